/**
 * Opening entries (DAOS dfs_open, dfs_lookup_rel): O_CREAT is a conditional insert (create.ts); when the
 * name exists, O_EXCL fails with EEXIST and otherwise the existing entry is opened. Opening checks the
 * access mode against the entry's permissions (a freshly created file is opened whatever its mode, as
 * POSIX does), refuses writes to directories (EISDIR) and on read-only mounts (EROFS), honours
 * O_DIRECTORY (ENOTDIR) and O_NOFOLLOW (ELOOP on a symlink), and O_TRUNC sets a file's size to 0.
 */
import { R_OK, W_OK, requireAccess } from './access.js';
import { type CreateOptions, createEntry } from './create.js';
import { fsFail, isFsError } from './errors.js';
import { setattr } from './attr.js';
import { ensureWritten, isUnwritten } from './first-write.js';
import { DfsObject, type PathNode } from './handle.js';
import {
  type EntryKind, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, kindOfMode,
} from './inode.js';
import { isDirNode, isSymlinkNode, resolveChild, resolvePath } from './lookup.js';
import type { DfsMount } from './mount.js';

/** The permission bits an access mode needs (O_TRUNC also needs write). */
function wantedAccess(flags: number): number {
  const accessMode = flags & O_ACCMODE;
  let want = accessMode === O_WRONLY ? W_OK : accessMode === O_RDWR ? R_OK | W_OK : R_OK;
  if ((flags & O_TRUNC) !== 0) want |= W_OK;
  return want;
}

function writesData(flags: number): boolean {
  return (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
}

/** A handle on a resolved entry, counted in the inode table. */
export function handleOf(mount: DfsMount, node: PathNode, ancestors: readonly PathNode[], flags: number, created = false): DfsObject {
  return mount.adopt(new DfsObject(mount, node, ancestors, flags, created));
}

/** Checks an existing entry against the open flags; truncates files for O_TRUNC. */
async function openExisting(mount: DfsMount, node: PathNode, ancestors: readonly PathNode[], flags: number): Promise<DfsObject> {
  if (isSymlinkNode(node)) fsFail('ELOOP', `${node.name} is a symlink (O_NOFOLLOW)`);
  const dir = isDirNode(node);
  if ((flags & O_DIRECTORY) !== 0 && !dir) fsFail('ENOTDIR', `${node.name} is not a directory`);
  if (dir && (flags & O_ACCMODE) !== O_RDONLY) fsFail('EISDIR', `${node.name} is a directory`);
  if (writesData(flags)) mount.assertWritable();
  requireAccess(mount.credentials, node.inode, wantedAccess(flags), `open ${node.name}`);
  const handle = handleOf(mount, node, ancestors, flags);
  if ((flags & O_TRUNC) !== 0 && !dir) {
    try {
      let before = 0;
      if (!isUnwritten(mount, handle.inode)) {
        await ensureWritten(mount, handle.entry, handle.inode);
        before = await handle.array().setSize(0);
      }
      // Emptying a file that was empty changes no data, yet its mtime and ctime move, as with Linux's open(O_TRUNC).
      if (before === 0) await setattr(mount, handle, { mtime: 'now' });
    } catch (error) {
      mount.disown(handle);
      throw error;
    }
  }
  return handle;
}

/**
 * Opens (or creates, with O_CREAT) entry `name` of directory `dir`; the caller releases the handle.
 * `permissions` (with an optional S_IFDIR type to create a directory) applies only when created.
 */
export async function openEntry(
  mount: DfsMount, dir: DfsObject, name: string, flags: number, permissions: number, options: CreateOptions = {},
): Promise<DfsObject> {
  const chain = [...dir.ancestors, dir.node];
  if ((flags & O_CREAT) !== 0) {
    const kind: EntryKind = kindOfMode(permissions) === 'dir' ? 'dir' : 'file';
    try {
      const node = await createEntry(mount, dir.node, { name, kind, permissions }, options);
      return handleOf(mount, node, chain, flags, true);
    } catch (error) {
      // Existing names are opened (unless O_EXCL); a read-only mount may still open what exists.
      const exists = isFsError(error, 'EEXIST');
      if ((exists && (flags & O_EXCL) !== 0) || !(exists || isFsError(error, 'EROFS'))) throw error;
      if (!exists) return openAfterRofs(mount, chain, name, flags);
    }
  }
  const resolved = await resolveChild(mount, chain, name, (flags & O_NOFOLLOW) === 0);
  // As Linux: O_CREAT of a file over an existing directory is EISDIR, whatever the access mode.
  if ((flags & O_CREAT) !== 0 && kindOfMode(permissions) !== 'dir' && isDirNode(resolved.node)) fsFail('EISDIR', `${name} is a directory`);
  return openExisting(mount, resolved.node, resolved.ancestors, flags);
}

/** O_CREAT on a read-only mount: open the entry if it exists (O_EXCL or a missing name: EROFS). */
async function openAfterRofs(mount: DfsMount, chain: readonly PathNode[], name: string, flags: number): Promise<DfsObject> {
  if ((flags & O_EXCL) !== 0) mount.assertWritable();
  try {
    const resolved = await resolveChild(mount, chain, name, (flags & O_NOFOLLOW) === 0);
    return await openExisting(mount, resolved.node, resolved.ancestors, flags);
  } catch (error) {
    if (isFsError(error, 'ENOENT')) mount.assertWritable();
    throw error;
  }
}

/**
 * A lookup: the entry with search permission checked on the way, symlinks returned as such under
 * O_NOFOLLOW. Read-only lookups check nothing more (stat needs no read permission); a write access mode
 * is checked as open does.
 */
async function lookupResolved(mount: DfsMount, resolved: { node: PathNode; ancestors: PathNode[] }, flags: number): Promise<DfsObject> {
  if (isSymlinkNode(resolved.node) || !writesData(flags)) return handleOf(mount, resolved.node, resolved.ancestors, flags & (O_ACCMODE | O_NOFOLLOW));
  return openExisting(mount, resolved.node, resolved.ancestors, flags);
}

/** Looks up an absolute path; the caller releases the handle. */
export async function lookupPath(mount: DfsMount, path: string, flags: number): Promise<DfsObject> {
  return lookupResolved(mount, await resolvePath(mount, path, (flags & O_NOFOLLOW) === 0), flags);
}

/** Looks up entry `name` of `dir`; the caller releases the handle. */
export async function lookupChild(mount: DfsMount, dir: DfsObject, name: string, flags: number): Promise<DfsObject> {
  return lookupResolved(mount, await resolveChild(mount, [...dir.ancestors, dir.node], name, (flags & O_NOFOLLOW) === 0), flags);
}

/**
 * A new handle on the entry behind `handle` with other open flags (DAOS dfs_dup): no RPC, the entry as
 * the handle last saw it. Checks the flags against that inode as open does (ELOOP on a symlink, EISDIR,
 * ENOTDIR, EROFS, EACCES) and truncates for O_TRUNC. For front ends that cache lookups (dfuse).
 */
export function dupHandle(mount: DfsMount, handle: DfsObject, flags: number): Promise<DfsObject> {
  return openExisting(mount, handle.node, handle.ancestors, flags);
}
