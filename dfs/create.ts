/**
 * Creating an entry (file, directory or symlink): picks the object class and chunk size (explicit option,
 * else the parent directory's default, else the superblock's), allocates the oid, and inserts the entry
 * with a conditional insert, so of two clients racing to create one name exactly one succeeds and the
 * other gets EEXIST. Objects are not written: a file or directory object exists from its first write, and
 * the new entry says so (first-write.ts); the directory's own mark is cleared before the insert.
 * Needs write and search permission on the directory; the caller applies its umask to `permissions`.
 */
import type { ObjClassName } from '../engine/placement/object-class.js';
import { requireAccess, W_OK, X_OK } from './access.js';
import { childRef, insertEntry } from './entry.js';
import { fsFail } from './errors.js';
import { ensureWritten, marksUnwritten } from './first-write.js';
import type { PathNode } from './handle.js';
import { type EntryKind, type Inode, MODE_PERMISSION_MASK, S_ISGID, timespecNow, typeBitsOf } from './inode.js';
import { checkSymlinkTarget } from './layout.js';
import { isDirNode } from './lookup.js';
import type { DfsMount } from './mount.js';
import { allocateEntryOid } from './oid.js';

export interface CreateOptions {
  /** Class of the new object; default: the directory's file class (files), the superblock's (directories). */
  readonly oclass?: ObjClassName;
  /** Files: the chunk size. Directories: the default chunk size of files created under it. */
  readonly chunkSizeBytes?: number;
  /** Directories: the default class of files created under it. */
  readonly fileOclass?: ObjClassName;
  /**
   * Owner of the new entry instead of the mount's credentials (a multi-user front end creating on behalf
   * of its caller). Only a mount with uid 0 may name another owner (EPERM). A set-group-ID directory
   * still gives its group.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

function ownerFor(mount: DfsMount, options: CreateOptions): { uid: number; gid: number } {
  const credentials = mount.credentials;
  const owner = options.owner;
  if (owner === undefined) return { uid: credentials.uid, gid: credentials.gid };
  const mine = owner.uid === credentials.uid && owner.gid === credentials.gid;
  if (!mine && credentials.uid !== 0) fsFail('EPERM', `only uid 0 may create entries owned by uid ${owner.uid}`);
  if (!Number.isInteger(owner.uid) || !Number.isInteger(owner.gid) || owner.uid < 0 || owner.gid < 0) fsFail('EINVAL', 'owner ids');
  return { uid: owner.uid, gid: owner.gid };
}

function classFor(mount: DfsMount, dir: PathNode, kind: EntryKind, options: CreateOptions): ObjClassName {
  if (options.oclass !== undefined) return options.oclass;
  if (kind === 'dir') return mount.sb.dirOclass;
  if (kind === 'symlink' || kind === 'special') return mount.sb.oclass;
  return dir.inode.oclass ?? mount.sb.fileOclass;
}

function chunkSizeFor(mount: DfsMount, dir: PathNode, kind: EntryKind, options: CreateOptions): number {
  const chunk = options.chunkSizeBytes;
  if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1)) fsFail('EINVAL', `chunk size ${chunk}`);
  if (kind === 'dir') return chunk ?? 0;
  if (kind === 'symlink' || kind === 'special') return 0;
  return chunk ?? (dir.inode.chunkSizeBytes > 0 ? dir.inode.chunkSizeBytes : mount.sb.chunkSizeBytes);
}

/**
 * Creates entry `name` of `kind` in the directory `dir` and returns it. EEXIST, ENOTDIR, EACCES, EROFS,
 * EINVAL/ENAMETOOLONG (name), ENOENT/ENAMETOOLONG (symlink target).
 */
export async function createEntry(
  mount: DfsMount,
  dir: PathNode,
  entry: { name: string; kind: EntryKind; permissions: number; symlinkTarget?: string; special?: { typeBits: number; rdev: number } },
  options: CreateOptions = {},
): Promise<PathNode> {
  mount.assertWritable();
  const ref = childRef(dir.inode.oid, entry.name);
  if (!isDirNode(dir)) fsFail('ENOTDIR', `${dir.name} is not a directory`);
  const symlinkBytes = entry.kind === 'symlink' ? checkSymlinkTarget(entry.symlinkTarget ?? '') : 0;
  requireAccess(mount.credentials, dir.inode, W_OK | X_OK, `create in ${dir.name}`);
  const owner = ownerFor(mount, options);
  const setgid = (dir.inode.mode & S_ISGID) !== 0;
  let permissions = entry.kind === 'symlink' ? 0o777 : entry.permissions & MODE_PERMISSION_MASK;
  if (setgid && entry.kind === 'dir') permissions |= S_ISGID;
  const now = timespecNow();
  const inode: Inode = {
    mode: typeBitsOf(entry.kind, entry.special?.typeBits) | permissions,
    oid: await allocateEntryOid(mount.cont, entry.kind, classFor(mount, dir, entry.kind, options)),
    atime: now, mtime: now, ctime: now, mtimeEpoch: 0,
    chunkSizeBytes: entry.kind === 'special' ? entry.special?.rdev ?? 0 : chunkSizeFor(mount, dir, entry.kind, options),
    oclass: entry.kind === 'dir' ? options.fileOclass : entry.kind === 'file' ? classFor(mount, dir, 'file', options) : undefined,
    uid: owner.uid, gid: setgid ? dir.inode.gid : owner.gid, symlinkBytes,
    unwritten: (entry.kind === 'file' || entry.kind === 'dir') && marksUnwritten(mount),
  };
  await ensureWritten(mount, dir.ref, dir.inode);
  await insertEntry(mount, ref, inode, entry.kind === 'symlink' ? entry.symlinkTarget : undefined);
  return { name: entry.name, ref, inode, symlinkTarget: entry.kind === 'symlink' ? entry.symlinkTarget : undefined };
}
