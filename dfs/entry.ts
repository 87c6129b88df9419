/**
 * Reading and writing one directory entry on its directory object: fetch (one RPC: inode record and
 * symlink target), conditional insert (create: exactly one of racing creators wins), field updates that
 * require the entry to exist (setattr), punch-if-exists (remove: exactly one of racing removers wins),
 * compare-and-punch (remove of what the caller saw, without reading it again),
 * and the emptiness probe of a directory object. Engine conditions become errnos here: an insert that
 * finds the name → EEXIST, an update or punch that does not → ENOENT.
 */
import { Der, type Epoch, type Oid, type RecordMatchBody, isEngineError, mapBounded } from '../engine/client/index.js';
import { GROUP_PROBES_IN_FLIGHT_MAX } from './constants.js';
import { fsFail } from './errors.js';
import type { EntryRef, PathNode } from './handle.js';
import type { Inode } from './inode.js';
import { type InodeChange, decodeEntry, entryFetchIods, entryIdentity, entryKey, inodeChangeIod, inodeIod, symlinkIod } from './layout.js';
import type { DfsMount } from './mount.js';

/** The entry `name` of directory object `dirOid` (validates the name). */
export function childRef(dirOid: Oid, name: string): EntryRef {
  return { dirOid, key: entryKey(name) };
}

/** The entry at `ref`, or undefined when there is none. */
export async function findEntry(mount: DfsMount, ref: EntryRef, name: string): Promise<PathNode | undefined> {
  const values = await mount.cont.object(ref.dirOid).fetch({ dkey: ref.key, iods: entryFetchIods() });
  const { inode, symlinkTarget } = decodeEntry(values);
  return inode === undefined ? undefined : { name, ref, inode, symlinkTarget };
}

/** The entry at `ref`; ENOENT when there is none. */
export async function getEntry(mount: DfsMount, ref: EntryRef, name: string): Promise<PathNode> {
  const node = await findEntry(mount, ref, name);
  if (node === undefined) fsFail('ENOENT', `no entry ${name}`);
  return node;
}

/** Inserts a new entry; EEXIST when the name exists (also when another client just created it). */
export async function insertEntry(mount: DfsMount, ref: EntryRef, inode: Inode, symlinkTarget?: string): Promise<Epoch> {
  const iods = symlinkTarget === undefined ? [inodeIod(inode)] : [inodeIod(inode), symlinkIod(symlinkTarget)];
  try {
    return await mount.cont.object(ref.dirOid).update({ dkey: ref.key, iods, dkeyCond: 'insert' });
  } catch (error) {
    if (isEngineError(error, Der.EXIST)) fsFail('EEXIST', 'entry exists');
    throw error;
  }
}

/** Rewrites the fields in `change` of an existing entry (at `epoch` if given); ENOENT when it is gone. */
export async function updateEntry(mount: DfsMount, ref: EntryRef, change: InodeChange, epoch?: Epoch): Promise<void> {
  const update = { dkey: ref.key, iods: [inodeChangeIod(change)], dkeyCond: 'update' as const };
  try {
    await mount.cont.object(ref.dirOid).update(epoch === undefined ? update : { ...update, epoch });
  } catch (error) {
    if (isEngineError(error, Der.NONEXIST)) fsFail('ENOENT', 'entry was removed');
    throw error;
  }
}

/**
 * Rewrites the fields in `change` at `epoch` only while the entry holds the records of `guard` (one
 * compare-and-update, no read first). False, with nothing written, when it does not (or is gone), or when
 * a transaction made the fixed epoch unusable (TX_RESTART): the caller reads the entry and decides again.
 */
export async function updateEntryIfUnchanged(mount: DfsMount, ref: EntryRef, change: InodeChange, guard: RecordMatchBody, epoch: Epoch): Promise<boolean> {
  try {
    await mount.cont.object(ref.dirOid).update({ dkey: ref.key, iods: [inodeChangeIod(change)], ifMatch: guard, epoch });
    return true;
  } catch (error) {
    if (isEngineError(error, Der.NONEXIST) || isEngineError(error, Der.TX_RESTART)) return false;
    throw error;
  }
}

/** Removes the entry (its dkey: inode, symlink target, xattrs); ENOENT when it is already gone. */
export async function punchEntry(mount: DfsMount, ref: EntryRef): Promise<void> {
  try {
    await mount.cont.object(ref.dirOid).punch({ dkey: ref.key, ifExists: true });
  } catch (error) {
    if (isEngineError(error, Der.NONEXIST)) fsFail('ENOENT', 'entry was removed');
    throw error;
  }
}

/**
 * Removes the entry only while it still names what `inode` names (same object, same unwritten mark: one
 * compare-and-punch, no read first). False when the name is gone or names something else now.
 */
export async function punchEntryIfUnchanged(mount: DfsMount, ref: EntryRef, inode: Inode): Promise<boolean> {
  try {
    await mount.cont.object(ref.dirOid).punch({ dkey: ref.key, ifMatch: entryIdentity(inode) });
    return true;
  } catch (error) {
    if (isEngineError(error, Der.NONEXIST)) return false;
    throw error;
  }
}

/**
 * Whether the directory object `dirOid` holds no entry. Every redundancy group is asked for one key at
 * once: a listing from the start walks the groups one after another, which for an empty directory of a
 * wide class (SX: one group per target) is one round trip per group.
 */
export async function isDirEmpty(mount: DfsMount, dirOid: Oid): Promise<boolean> {
  const object = mount.cont.object(dirOid);
  const pages = await mapBounded(object.splitAnchors(), GROUP_PROBES_IN_FLIGHT_MAX, (anchor) => object.listDkeys({ anchor, limit: 1 }));
  return pages.every((page) => page.keys.length === 0);
}
