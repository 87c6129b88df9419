/**
 * Namespace changes inside one directory (DAOS dfs_mkdir, dfs_remove, symlinks): mkdir and symlink are
 * conditional inserts (create.ts), as is mknod of special files; remove punches the entry with
 * punch-if-exists (or compare-and-punch, given what the caller saw), so of two racing removers exactly one
 * succeeds, then has the entry's object punched (in the background, with those of other removes:
 * object-reaper.ts) unless the entry says it was never written (first-write.ts: then a directory needs no
 * emptiness probe either). The entry goes first: a crash in between leaks an object (found by a scan)
 * rather than leaving an entry without its object. A non-empty directory is ENOTEMPTY unless `recursive`,
 * which empties it depth-first (bounded fan-out per level) before removing it. Entries created concurrently
 * inside a directory being removed recursively go with its object (their own objects then leak).
 */
import { W_OK, X_OK, requireAccess, requireStickyRight } from './access.js';
import { mapBounded, oidEquals } from '../engine/client/index.js';
import { READDIR_ENTRIES_MAX, REMOVE_IN_FLIGHT_MAX } from './constants.js';
import { type CreateOptions, createEntry } from './create.js';
import { childRef, findEntry, getEntry, isDirEmpty, punchEntry, punchEntryIfUnchanged } from './entry.js';
import { fsFail } from './errors.js';
import { isUnwritten } from './first-write.js';
import type { DfsObject, PathNode } from './handle.js';
import { S_IFMT, S_ISVTX, kindOfMode } from './inode.js';
import { type DirAnchor } from './readdir.js';
import { hasObject, isDirNode } from './lookup.js';
import type { DfsMount } from './mount.js';
import { handleOf } from './open.js';

function checkDir(dir: DfsObject): void {
  if (dir.kind !== 'dir') fsFail('ENOTDIR', `${dir.name} is not a directory`);
}

/** Creates directory `name` in `dir` and returns a handle on it (caller releases). */
export async function mkdir(mount: DfsMount, dir: DfsObject, name: string, permissions: number, options: CreateOptions = {}): Promise<DfsObject> {
  checkDir(dir);
  const node = await createEntry(mount, dir.node, { name, kind: 'dir', permissions }, options);
  return handleOf(mount, node, [...dir.ancestors, dir.node], 0, true);
}

/**
 * Creates special file `name` (FIFO, socket, character or block device: `mode` carries the type) in
 * `dir`: an inode record with no object, `rdev` kept in it. EINVAL for other types.
 */
export async function mknod(mount: DfsMount, dir: DfsObject, name: string, mode: number, rdev: number, options: CreateOptions = {}): Promise<DfsObject> {
  checkDir(dir);
  if (kindOfMode(mode) !== 'special') fsFail('EINVAL', `mknod makes FIFOs, sockets and devices, not mode ${(mode & S_IFMT).toString(8)}`);
  if (!Number.isSafeInteger(rdev) || rdev < 0) fsFail('EINVAL', `rdev ${rdev}`);
  const node = await createEntry(mount, dir.node, { name, kind: 'special', permissions: mode, special: { typeBits: mode & S_IFMT, rdev } }, options);
  return handleOf(mount, node, [...dir.ancestors, dir.node], 0, true);
}

/** Creates symlink `name` in `dir` pointing at `target` (not resolved); returns a handle (caller releases). */
export async function symlink(mount: DfsMount, dir: DfsObject, name: string, target: string, options: CreateOptions = {}): Promise<DfsObject> {
  checkDir(dir);
  const node = await createEntry(mount, dir.node, { name, kind: 'symlink', permissions: 0o777, symlinkTarget: target }, options);
  return handleOf(mount, node, [...dir.ancestors, dir.node], 0, true);
}

/** The target of a symlink handle; EINVAL for other kinds. */
export function readlink(handle: DfsObject): string {
  if (handle.kind !== 'symlink' || handle.symlinkTarget === undefined) fsFail('EINVAL', `${handle.name} is not a symlink`);
  return handle.symlinkTarget;
}

/** The entry (read just now) has an object that may hold something: not a symlink or special file, not unwritten. */
function mayHoldData(mount: DfsMount, node: PathNode): boolean {
  return hasObject(node) && !isUnwritten(mount, node.inode);
}

/** Punches the object behind an entry read just now (none for symlinks and never-written objects). */
export async function punchObject(mount: DfsMount, node: PathNode): Promise<void> {
  if (mayHoldData(mount, node)) await mount.cont.object(node.inode.oid).punch();
}

/**
 * Hands the object behind a removed entry (read just now) to the mount's reaper, which punches it shortly
 * (object-reaper.ts); an object never written has nothing to punch.
 */
export function reapObject(mount: DfsMount, node: PathNode): void {
  if (mayHoldData(mount, node)) mount.reaper.punch(node.inode.oid);
}

export interface RemoveOptions {
  /** Remove a non-empty directory with everything below it. */
  readonly recursive?: boolean;
  /**
   * A handle on what the caller last saw under this name (released or not). While the name still names
   * the same object, unchanged in its unwritten mark, a file, symlink, special file or never-written
   * directory is removed with one compare-and-punch and no read (not in a sticky directory, whose rule
   * needs the owner as stored now). Otherwise the entry is read; a directory is then probed for entries
   * while it is read, and the probe counts if the entry still names it (one round less).
   */
  readonly like?: DfsObject;
}

/** Removes entry `name` of `dir` (with its subtree when `recursive`). */
export async function remove(mount: DfsMount, dir: DfsObject, name: string, options: RemoveOptions = {}): Promise<void> {
  mount.assertWritable();
  checkDir(dir);
  const ref = childRef(dir.oid, name);
  requireAccess(mount.credentials, dir.inode, W_OK | X_OK, `remove from ${dir.name}`);
  const seen = options.like?.mount === mount ? options.like : undefined;
  if (seen !== undefined && removableUnread(mount, dir, seen) && await punchEntryIfUnchanged(mount, ref, seen.inode)) {
    reapObject(mount, seen.node);
    return;
  }
  // A directory the caller last saw unwritten is probed only if the entry read says it was written since.
  const like = seen?.kind === 'dir' && !isUnwritten(mount, seen.inode) ? seen : undefined;
  const probe = like === undefined ? undefined : isDirEmpty(mount, like.oid).catch(() => undefined);
  const node = await getEntry(mount, ref, name);
  requireStickyRight(mount.credentials, dir.inode, node.inode);
  const probed = like !== undefined && oidEquals(node.inode.oid, like.oid) ? await probe : undefined;
  if (isDirNode(node) && !isUnwritten(mount, node.inode) && !(probed ?? (await isDirEmpty(mount, node.inode.oid)))) {
    if (options.recursive !== true) fsFail('ENOTEMPTY', `${name} is not empty`);
    await emptyTree(mount, node);
  }
  await punchEntry(mount, ref);
  reapObject(mount, node);
}

/**
 * Whether the entry `seen` names can be removed without reading it: nothing about it needs checking but
 * that it is unchanged (compare-and-punch). A directory only while its object was never written (then it
 * is empty: an entry inserted into it clears the mark first, which the compare sees).
 */
function removableUnread(mount: DfsMount, dir: DfsObject, seen: DfsObject): boolean {
  if ((dir.inode.mode & S_ISVTX) !== 0) return false;
  return seen.kind !== 'dir' || isUnwritten(mount, seen.inode);
}

/** Punches the objects of everything under directory `dirNode` (the entries go with its object). */
async function emptyTree(mount: DfsMount, dirNode: PathNode): Promise<void> {
  requireAccess(mount.credentials, dirNode.inode, W_OK | X_OK, `remove from ${dirNode.name}`);
  const object = mount.cont.object(dirNode.inode.oid);
  let anchor: DirAnchor | undefined;
  do {
    const page = await object.listDkeys(anchor === undefined ? { limit: READDIR_ENTRIES_MAX } : { anchor, limit: READDIR_ENTRIES_MAX });
    await mapBounded(page.keys, REMOVE_IN_FLIGHT_MAX, async (key) => {
      const name = key.toString('utf8');
      const child = await findEntry(mount, { dirOid: dirNode.inode.oid, key }, name);
      if (child === undefined) return;
      if (isDirNode(child)) await emptyTree(mount, child);
      await punchObject(mount, child);
    });
    anchor = page.anchor;
  } while (!anchor.eof);
}
