/**
 * Directory listing (DAOS dfs_readdir / dfs_readdirplus / dfs_obj_anchor_split): dkey enumeration of the
 * directory object, resumed from a serialisable anchor, group by group (lexical order within a group).
 * An entry present for the whole listing is returned exactly once; '.' and '..' are not stored and not
 * returned. anchorSplit gives one anchor per redundancy group, each pinned to it, so N workers list a
 * large directory in parallel and together see every entry once. readdirplus lists the entries with their
 * inode records and xattr names in the same RPCs (the engine reads them under each name it lists, at the
 * listing's epoch), then asks what a stat needs beyond the record (written files' sizes) for the whole
 * page at once: one RPC per engine. readdirHandles and readdirplusHandles also hand a handle on each listed
 * entry, as a lookup of it would have (for front ends that cache lookups: dfuse refreshes a large directory
 * that way), readdirHandles without the attributes (none of those queries).
 */
import { type ListAnchor, startAnchor } from '../engine/client/index.js';
import { R_OK, requireAccess, X_OK } from './access.js';
import { type DfsStat, statNodes } from './attr.js';
import { READDIR_ENTRIES_MAX, READDIRPLUS_ENTRY_AKEYS_MAX } from './constants.js';
import { childRef } from './entry.js';
import { fsFail } from './errors.js';
import type { DfsObject, PathNode } from './handle.js';
import { O_NOFOLLOW, O_RDONLY } from './inode.js';
import { decodeEntry, entryFetchIods, entryKey, xattrNameOfKey } from './layout.js';
import type { DfsMount } from './mount.js';
import { handleOf } from './open.js';

/** Where a directory listing stands: plain JSON, may be handed to another process; `eof` when done. */
export type DirAnchor = ListAnchor;

export interface DirPage<E> {
  readonly entries: E[];
  /** Pass back to continue; `anchor.eof` once the directory (or the anchor's group) is exhausted. */
  readonly anchor: DirAnchor;
}

export interface DirEntryPlus {
  readonly name: string;
  readonly stat: DfsStat;
  /** The entry's extended attribute names, as listed with it; undefined when it has too many to list here. */
  readonly xattrs: readonly string[] | undefined;
}

/** The anchor that lists a whole directory from its start. */
export function dirAnchorStart(): DirAnchor {
  return startAnchor();
}

function checkListable(mount: DfsMount, dir: DfsObject, count: number): void {
  if (dir.kind !== 'dir') fsFail('ENOTDIR', `${dir.name} is not a directory`);
  if (!Number.isInteger(count) || count < 1 || count > READDIR_ENTRIES_MAX) fsFail('EINVAL', `count ${count} outside 1..${READDIR_ENTRIES_MAX}`);
  requireAccess(mount.credentials, dir.inode, R_OK, `list ${dir.name}`);
}

/** Up to `count` entry names from `anchor` (default: the start). */
export async function readdir(mount: DfsMount, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<DirPage<string>> {
  checkListable(mount, dir, count);
  if (anchor?.eof === true) return { entries: [], anchor };
  const page = await mount.cont.object(dir.oid).listDkeys(anchor === undefined ? { limit: count } : { anchor, limit: count });
  return { entries: page.keys.map((key) => key.toString('utf8')), anchor: page.anchor };
}

/** A listed entry with a handle on it, as a lookup of its name gives (the caller releases it). */
export interface DirEntryRef {
  readonly name: string;
  /** As DirEntryPlus.xattrs. */
  readonly xattrs: readonly string[] | undefined;
  readonly handle: DfsObject;
}

/** A readdirplus entry with a handle on it (the caller releases it). */
export interface DirEntryHandle extends DirEntryPlus, DirEntryRef {}

/** Like readdir, with each entry's attributes. */
export async function readdirplus(mount: DfsMount, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<DirPage<DirEntryPlus>> {
  checkListable(mount, dir, count);
  const { listed, anchor: next } = await listRecords(mount, dir, anchor, count);
  const stats = await statsOf(mount, listed);
  return { entries: listed.map(({ node, xattrs }, index) => ({ name: node.name, stat: stats[index]!, xattrs })), anchor: next };
}

/**
 * A page of entries with a handle on each: what a lookup of its name (O_NOFOLLOW, read-only) would return,
 * built from the listing's read instead of an RPC per name. Needs search permission on `dir` as a lookup does.
 */
export async function readdirHandles(mount: DfsMount, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<DirPage<DirEntryRef>> {
  checkListable(mount, dir, count);
  requireAccess(mount.credentials, dir.inode, X_OK, `search ${dir.name}`);
  const { listed, anchor: next } = await listRecords(mount, dir, anchor, count);
  return { entries: handlesOf(mount, dir, listed), anchor: next };
}

/** readdirHandles with each entry's attributes. */
export async function readdirplusHandles(mount: DfsMount, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<DirPage<DirEntryHandle>> {
  checkListable(mount, dir, count);
  requireAccess(mount.credentials, dir.inode, X_OK, `search ${dir.name}`);
  const { listed, anchor: next } = await listRecords(mount, dir, anchor, count);
  const stats = await statsOf(mount, listed);
  return { entries: handlesOf(mount, dir, listed).map((entry, index) => ({ ...entry, stat: stats[index]! })), anchor: next };
}

type ListedRecord = { node: PathNode; xattrs: string[] | undefined };

/** A handle on each listed entry, counted by the mount (ENFILE part way: none of them stays counted). */
function handlesOf(mount: DfsMount, dir: DfsObject, listed: readonly ListedRecord[]): DirEntryRef[] {
  const chain = [...dir.ancestors, dir.node];
  const entries: DirEntryRef[] = [];
  try {
    for (const { node, xattrs } of listed) {
      entries.push({ name: node.name, xattrs, handle: handleOf(mount, node, chain, O_RDONLY | O_NOFOLLOW) });
    }
  } catch (error) {
    for (const entry of entries) mount.disown(entry.handle);
    throw error;
  }
  return entries;
}

/** The attributes of listed entries: what their records lack is asked for the whole page at once. */
function statsOf(mount: DfsMount, listed: readonly ListedRecord[]): Promise<DfsStat[]> {
  return statNodes(mount, listed.map(({ node }) => node));
}

/** One page of entries with their records and xattr names (the caller checked the directory is listable). */
async function listRecords(mount: DfsMount, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<{
  listed: ListedRecord[]; anchor: DirAnchor;
}> {
  if (anchor?.eof === true) return { listed: [], anchor };
  const object = mount.cont.object(dir.oid);
  const iods = entryFetchIods();
  const akeysMax = READDIRPLUS_ENTRY_AKEYS_MAX;
  const page = await object.listDkeyValues(anchor === undefined ? { iods, akeysMax, limit: count } : { iods, akeysMax, anchor, limit: count });
  const listed: ListedRecord[] = [];
  page.keys.forEach((key, index) => {
    const name = key.toString('utf8');
    const { inode, symlinkTarget } = decodeEntry(page.values[index]!);
    // A listed name always has its record (both come from one read); a malformed one is skipped, not fatal.
    if (inode === undefined) return;
    const akeys = page.akeys[index];
    const xattrs = akeys === null || akeys === undefined ? undefined : akeys.flatMap((akey) => xattrNameOfKey(akey) ?? []);
    listed.push({ node: { name, ref: childRef(dir.oid, name), inode, symlinkTarget }, xattrs });
  });
  return { listed, anchor: page.anchor };
}

/** True when a listing of `dir` now at `anchor` has gone past the place of entry `name` (it would have been listed). */
export function listingPassed(mount: DfsMount, dir: DfsObject, anchor: DirAnchor, name: string): boolean {
  return mount.cont.object(dir.oid).anchorPassed(anchor, entryKey(name));
}

/** One anchor per redundancy group of the directory object, each pinned to its group. */
export function anchorSplit(mount: DfsMount, dir: DfsObject): DirAnchor[] {
  if (dir.kind !== 'dir') fsFail('ENOTDIR', `${dir.name} is not a directory`);
  requireAccess(mount.credentials, dir.inode, R_OK, `list ${dir.name}`);
  return mount.cont.object(dir.oid).splitAnchors();
}
