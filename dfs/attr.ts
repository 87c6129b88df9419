/**
 * stat and setattr (DAOS dfs_ostat / dfs_osetattr). Attributes come from the dirent; size and times also
 * from the object: one max-key query gives a file's size and its newest write epoch (a directory's: its
 * newest entry change); none is needed while the dirent says the object was never written (first-write.ts).
 * Data writes never touch the dirent, so mtime = the object's newest write time, unless an explicit mtime
 * was stored since (the dirent keeps the object epoch of that moment; a later
 * write wins again); ctime = the later of the stored ctime and the object time. atime is stored, never
 * updated by reads. setattr checks ownership (mode, uid/gid, explicit times: EPERM) and write permission
 * (size, "now" times: EACCES), truncates or extends through the array, then rewrites only the changed
 * inode fields with an update that requires the entry to exist (ENOENT after a concurrent remove).
 */
import { ARRAY_AKEY, type MaxKey, type Oid, chunkOfDkey, oidEquals } from '../engine/client/index.js';
import { type Epoch, epochToMs } from '../engine/wire/epoch.js';
import { W_OK, inGroup, isOwnerOrRoot, mayAccess, requireAccess, requireChown, requireOwner } from './access.js';
import { getEntry, updateEntry, updateEntryIfUnchanged } from './entry.js';
import { fsFail, isFsError } from './errors.js';
import { ensureWritten, isUnwritten } from './first-write.js';
import type { DfsObject, PathNode } from './handle.js';
import {
  type EntryKind, type Inode, MODE_PERMISSION_MASK, S_IFMT, S_ISGID, type Timespec, kindOfMode, laterTimespec, timespecFromMs, timespecNow,
} from './inode.js';
import { type Ino, inoOfOid } from './inode-table.js';
import { INODE_RECORD_BYTES, type InodeChange, entryGuard } from './layout.js';
import type { DfsMount } from './mount.js';

const STAT_BLOCK_BYTES = 512;

export interface DfsStat {
  readonly ino: Ino;
  readonly kind: EntryKind;
  /** File type and permission bits. */
  readonly mode: number;
  /** Always 1 (no hard links; directories do not count their subdirectories). */
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes: file data end, symlink target length, 0 for directories. */
  readonly size: number;
  /** Device number of a character or block special file; 0 otherwise. */
  readonly rdev: number;
  /** 512-byte blocks covering `size` (files are sparse; this is an upper bound). */
  readonly blocks: number;
  /** Preferred I/O size: the file's chunk size. */
  readonly blockSizeBytes: number;
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly oid: Oid;
}

export interface SetAttrs {
  /** Permission bits (the file type is kept). */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly atime?: Timespec | 'now';
  readonly mtime?: Timespec | 'now';
  /** Truncate or extend a file. */
  readonly size?: number;
}

export interface SetattrOptions {
  /**
   * The handle's attributes as the caller holds them, recent enough for it to answer a stat with (a
   * cache bound by an attribute time, kept in step with its own writes). A change that leaves the data
   * alone (no size) then takes the size, blocks and data time from them instead of asking the object:
   * the setattr costs the entry update alone. Ignored when they are of another object.
   */
  readonly known?: DfsStat;
}

export interface ObjectState {
  readonly size: number;
  /** Newest write epoch of the object; 0 when never written. */
  readonly maxEpoch: number;
}

const NEVER_WRITTEN: ObjectState = { size: 0, maxEpoch: 0 };

/**
 * st_size of a directory: its entry record's size, as DAOS reports sizeof(struct dfs_entry). Not 0, which
 * tools that copy by size without checking the type (libuv's copyfile: fs.copyFile) take for an empty file.
 */
export const DIR_STAT_SIZE = INODE_RECORD_BYTES;

/**
 * The max-key query the state of an inode's object needs, or the state itself when it needs none. A
 * directory needs only its object's newest epoch (its size is DIR_STAT_SIZE): akey null spares the engines the search.
 */
function stateQuery(mount: DfsMount, inode: Inode): ObjectState | { readonly akey: Buffer | null } {
  const kind = kindOfMode(inode.mode);
  if (kind === 'symlink') return { size: inode.symlinkBytes, maxEpoch: 0 };
  if (kind === 'special' || isUnwritten(mount, inode)) return NEVER_WRITTEN;
  return { akey: kind === 'file' ? ARRAY_AKEY : null };
}

function stateFromMax(inode: Inode, chunkSizeBytes: number, max: MaxKey): ObjectState {
  if (kindOfMode(inode.mode) !== 'file' || max.dkey === null) return { size: 0, maxEpoch: max.maxEpoch };
  const chunk = chunkOfDkey(max.dkey);
  if (chunk === undefined) fsFail('EIO', 'file object holds a dkey that is not a chunk');
  return { size: chunk * chunkSizeBytes + max.end, maxEpoch: max.maxEpoch };
}

/** Attributes of many entries at once (readdirplus): the queries their objects need go in one batch, one RPC per engine. */
export async function statNodes(mount: DfsMount, nodes: readonly PathNode[]): Promise<DfsStat[]> {
  const plans = nodes.map((node) => stateQuery(mount, node.inode));
  const asked: Array<{ index: number; akey: Buffer | null }> = [];
  plans.forEach((plan, index) => {
    if ('akey' in plan) asked.push({ index, akey: plan.akey });
  });
  const answers = await mount.cont.queryMaxMany(asked.map(({ index, akey }) => ({ oid: nodes[index]!.inode.oid, akey })));
  const states = plans.map((plan) => ('akey' in plan ? undefined : plan));
  asked.forEach(({ index }, position) => {
    const inode = nodes[index]!.inode;
    states[index] = stateFromMax(inode, fileChunkSize(mount, inode), answers[position]!);
  });
  return nodes.map((node, index) => statOf(mount, node.inode, states[index]!));
}

/** The chunk size files use when their entry stores none. */
export function fileChunkSize(mount: DfsMount, inode: Inode): number {
  return inode.chunkSizeBytes > 0 ? inode.chunkSizeBytes : mount.sb.chunkSizeBytes;
}

/**
 * Attributes from the inode alone, for an entry this mount has just created: its object holds nothing
 * yet, so size 0 (symlinks: the target's length) and the inode's times are exact. No RPC.
 */
export function statCreated(mount: DfsMount, node: PathNode): DfsStat {
  const inode = node.inode;
  const kind = kindOfMode(inode.mode)!;
  const size = kind === 'symlink' ? inode.symlinkBytes : kind === 'dir' ? DIR_STAT_SIZE : 0;
  return {
    ino: inoOfOid(inode.oid), kind, mode: inode.mode, nlink: 1, uid: inode.uid, gid: inode.gid,
    rdev: kind === 'special' ? inode.chunkSizeBytes : 0, size, blocks: Math.ceil(size / STAT_BLOCK_BYTES),
    blockSizeBytes: fileChunkSize(mount, inode), atime: inode.atime, mtime: inode.mtime, ctime: inode.ctime, oid: inode.oid,
  };
}

/** Attributes of an entry whose inode is `node.inode` (queries its object). */
export async function statNode(mount: DfsMount, node: PathNode): Promise<DfsStat> {
  return statOf(mount, node.inode, await objectStateOf(mount, node.inode));
}

/**
 * Size and newest write epoch of the object of `inode`: one max-key query; none for symlinks, special
 * files and objects the inode (read just now) says were never written (first-write.ts).
 */
export async function objectStateOf(mount: DfsMount, inode: Inode): Promise<ObjectState> {
  const query = stateQuery(mount, inode);
  if (!('akey' in query)) return query;
  return stateFromMax(inode, fileChunkSize(mount, inode), await mount.cont.object(inode.oid).queryMax({ akey: query.akey }));
}

/** Attributes of an entry from its inode and the state of its object (both read now). */
export function statOf(mount: DfsMount, inode: Inode, state: ObjectState): DfsStat {
  const chunkSizeBytes = fileChunkSize(mount, inode);
  const kind = kindOfMode(inode.mode)!;
  const size = kind === 'dir' ? DIR_STAT_SIZE : state.size;
  const objectTime = state.maxEpoch > 0 ? timespecFromMs(epochToMs(state.maxEpoch as Epoch)) : undefined;
  const written = objectTime !== undefined && state.maxEpoch > inode.mtimeEpoch;
  return {
    ino: inoOfOid(inode.oid), kind, mode: inode.mode, nlink: 1, uid: inode.uid, gid: inode.gid,
    rdev: kind === 'special' ? inode.chunkSizeBytes : 0,
    size, blocks: Math.ceil(size / STAT_BLOCK_BYTES), blockSizeBytes: chunkSizeBytes,
    atime: inode.atime, mtime: written ? objectTime : inode.mtime,
    ctime: objectTime === undefined ? inode.ctime : laterTimespec(inode.ctime, objectTime), oid: inode.oid,
  };
}

/**
 * Re-reads the handle's entry (ENOENT when it was removed or renamed away) and stats it, in one round:
 * the object is asked with the entry read (the entry must still name the handle's object, whose kind
 * and chunk size never change, so the query the handle's inode implies is the one the new inode would).
 */
export async function statHandle(mount: DfsMount, handle: DfsObject): Promise<DfsStat> {
  // The handle's unwritten mark may be stale: the object is then asked only if the entry read says so.
  const state = isUnwritten(mount, handle.inode) ? undefined : objectStateOf(mount, handle.inode);
  // The entry read may fail first; the query's outcome is then not wanted.
  state?.catch(() => undefined);
  const node = await refreshHandle(mount, handle);
  return statOf(mount, node.inode, await (state ?? objectStateOf(mount, node.inode)));
}

/**
 * The handle's entry as stored now; the handle's cached inode is refreshed. ENOENT when the name is gone
 * or now names another object (the handle's was removed, renamed away or replaced).
 */
export async function refreshHandle(mount: DfsMount, handle: DfsObject): Promise<PathNode> {
  const node = await getEntry(mount, handle.entry, handle.name);
  if (!oidEquals(node.inode.oid, handle.oid)) fsFail('ENOENT', `${handle.name} now names another object`);
  handle.inode = node.inode;
  if (handle.parent === undefined) mount.root = node;
  return node;
}

/** The inode change `attrs` asks for, after the ownership and permission checks. */
function checkedChange(mount: DfsMount, inode: Inode, attrs: SetAttrs): InodeChange & { touchesMtime: boolean } {
  const credentials = mount.credentials;
  let mode: number | undefined;
  if (attrs.mode !== undefined) {
    requireOwner(credentials, inode, 'chmod');
    let permissions = attrs.mode & MODE_PERMISSION_MASK;
    // Linux clears setgid when a non-root caller outside the file's group sets it.
    if (credentials.uid !== 0 && !inGroup(credentials, attrs.gid ?? inode.gid)) permissions &= ~S_ISGID;
    mode = (inode.mode & S_IFMT) | permissions;
  }
  if (attrs.uid !== undefined || attrs.gid !== undefined) requireChown(credentials, inode, attrs.uid, attrs.gid);
  for (const time of [attrs.atime, attrs.mtime]) {
    if (time === undefined) continue;
    if (time !== 'now') requireOwner(credentials, inode, 'utimens');
    else if (!isOwnerOrRoot(credentials, inode) && !mayAccess(credentials, inode, W_OK)) fsFail('EACCES', 'utimens: no write permission');
  }
  const now = timespecNow();
  const change: InodeChange = {
    ...(mode === undefined ? {} : { mode }),
    ...(attrs.uid === undefined ? {} : { uid: attrs.uid }),
    ...(attrs.gid === undefined ? {} : { gid: attrs.gid }),
    ...(attrs.atime === undefined ? {} : { atime: attrs.atime === 'now' ? now : attrs.atime }),
    ctime: now,
  };
  return { ...change, touchesMtime: attrs.mtime !== undefined };
}

/**
 * Applies `attrs` to the handle's entry; returns the new attributes. Without a size change it first tries
 * in one round trip (setattrAsCached); otherwise, or when the entry changed, it reads the entry and the object's
 * state together, then updates (two round trips); a size change queries the object once it is done.
 */
export async function setattr(mount: DfsMount, handle: DfsObject, attrs: SetAttrs, options: SetattrOptions = {}): Promise<DfsStat> {
  mount.assertWritable();
  if (attrs.size === undefined) {
    const known = options.known !== undefined && oidEquals(options.known.oid, handle.oid) ? options.known : undefined;
    const done = await setattrAsCached(mount, handle, attrs, known);
    if (done !== undefined) return done;
  }
  // The handle's unwritten mark may be stale: the object is then asked only if the entry read says so.
  const early = attrs.size !== undefined || isUnwritten(mount, handle.inode) ? undefined : objectStateOf(mount, handle.inode);
  // The entry read or the checks may fail first; the query's outcome is then not wanted.
  early?.catch(() => undefined);
  const node = await refreshHandle(mount, handle);
  const inode = node.inode;
  const { touchesMtime, ...change } = checkedChange(mount, inode, attrs);
  if (attrs.size !== undefined) {
    if (handle.kind === 'dir') fsFail('EISDIR', 'cannot set the size of a directory');
    if (handle.kind !== 'file') fsFail('EINVAL', 'only files have a settable size');
    if (!Number.isSafeInteger(attrs.size) || attrs.size < 0) fsFail('EINVAL', `size ${attrs.size}`);
    requireAccess(mount.credentials, inode, W_OK, 'truncate');
    await ensureWritten(mount, handle.entry, inode);
    await handle.array().setSize(attrs.size);
  }
  // The object's state as of this moment: a later write makes the object's time the mtime again.
  const state = await (early ?? objectStateOf(mount, inode));
  const full: InodeChange = touchesMtime ? { ...change, mtime: { time: explicitMtime(attrs), epoch: state.maxEpoch } } : change;
  await updateEntry(mount, handle.entry, full);
  const updated = applied(inode, full);
  handle.inode = updated;
  if (handle.parent === undefined) mount.root = { ...node, inode: updated };
  return statOf(mount, updated, state);
}

/**
 * setattr without reading the entry first: the checks run against the handle's inode, and the entry is
 * changed by a compare-and-update on what they rest on (entryGuard: object, type and permission bits,
 * owner, group; the unwritten mark too when the answer relies on it), while the object's state is asked at
 * the same time: one round trip. An explicit mtime takes the update's epoch as its object epoch: every
 * write the caller finished is below it, every later one above. Undefined, with nothing changed, when the
 * handle's inode fails the checks or the entry no longer matches it (the caller reads the entry and decides
 * again), and for the root (its node is the mount's). With `known` attributes the object is not asked at all.
 */
async function setattrAsCached(mount: DfsMount, handle: DfsObject, attrs: SetAttrs, known: DfsStat | undefined): Promise<DfsStat | undefined> {
  if (handle.parent === undefined) return undefined;
  const inode = handle.inode;
  let checked: ReturnType<typeof checkedChange>;
  try {
    checked = checkedChange(mount, inode, attrs);
  } catch (error) {
    // Decided again on the entry as stored: the handle's owner or bits may be out of date.
    if (isFsError(error)) return undefined;
    throw error;
  }
  const { touchesMtime, ...change } = checked;
  const epoch = mount.cont.object(handle.entry.dirOid).nextEpoch();
  const full: InodeChange = touchesMtime ? { ...change, mtime: { time: explicitMtime(attrs), epoch } } : change;
  const state = known === undefined ? objectStateOf(mount, inode) : undefined;
  state?.catch(() => undefined);
  if (!(await updateEntryIfUnchanged(mount, handle.entry, full, entryGuard(inode, isUnwritten(mount, inode)), epoch))) return undefined;
  const updated = applied(inode, full);
  handle.inode = updated;
  return state === undefined ? statFromKnown(mount, updated, known!, touchesMtime) : statOf(mount, updated, await state);
}

/**
 * The attributes after a change that left the data alone, from the ones known before it: size, blocks and
 * the data's time as known; the changed fields, and the mtime if it was set, as now stored.
 */
function statFromKnown(mount: DfsMount, inode: Inode, known: DfsStat, mtimeSet: boolean): DfsStat {
  const stat = statOf(mount, inode, NEVER_WRITTEN);
  return {
    ...stat, size: known.size, blocks: known.blocks,
    mtime: mtimeSet ? stat.mtime : known.mtime, ctime: laterTimespec(stat.ctime, known.ctime),
  };
}

function explicitMtime(attrs: SetAttrs): Timespec {
  return attrs.mtime === 'now' || attrs.mtime === undefined ? timespecNow() : attrs.mtime;
}

/** `inode` with `change` applied, as the entry now stores it. */
function applied(inode: Inode, change: InodeChange): Inode {
  const { mtime, ...stored } = change;
  return { ...inode, ...stored, ...(mtime === undefined ? {} : { mtime: mtime.time, mtimeEpoch: mtime.epoch }) };
}
