/**
 * Rename and exchange (DAOS dfs_move / dfs_exchange). A rename is planned from fresh reads (source and
 * target entries with their xattrs), checked (EEXIST for noReplace, ENOTDIR/EISDIR/ENOTEMPTY against the
 * target, EINVAL for a directory moved into its own subtree, sticky bits), then written: the source's
 * record, symlink target and xattrs under the new name (conditional: insert when the target was absent,
 * update when it existed), stale akeys of a replaced target punched, and the source name punched with
 * punch-if-exists. A replaced target's object is punched afterwards, in the background (object-reaper.ts).
 * The target directory's unwritten mark is cleared first, and moved entries never carry one (first-write.ts).
 *
 * With transactions (renames across directories, and every rename of a 'balanced' filesystem) the plan's
 * reads and writes run in one transaction (cont.runTx): atomic across both directory objects. Otherwise
 * (DAOS "relaxed" mode) the writes go one by one: the conditions make racing renames fail cleanly (a lost
 * race re-plans, at most RENAME_ATTEMPTS_MAX times), but a crash mid-rename may leave both names.
 */
import {
  type ContHandle, Der, type FetchIodBody, type FetchValueBody, type Oid, type UpdateIodBody, isEngineError, oidEquals,
} from '../engine/client/index.js';
import { W_OK, X_OK, requireAccess, requireStickyRight } from './access.js';
import { AKEYS_PER_LIST_MAX, ENTRY_IODS_PER_RPC_MAX, RENAME_ATTEMPTS_MAX } from './constants.js';
import { childRef, isDirEmpty } from './entry.js';
import { fsFail } from './errors.js';
import { ensureWritten, isUnwritten } from './first-write.js';
import type { DfsObject, EntryRef, PathNode } from './handle.js';
import { timespecNow } from './inode.js';
import { decodeEntry, entryFetchIods, inodeIod, symlinkIod, xattrNameOfKey } from './layout.js';
import { isDirNode, isSymlinkNode } from './lookup.js';
import type { DfsMount } from './mount.js';
import { reapObject } from './dir.js';

export interface RenameOptions {
  /** Fail with EEXIST instead of replacing an existing target (RENAME_NOREPLACE). */
  readonly noReplace?: boolean;
  /** Swap source and target, which must both exist (RENAME_EXCHANGE). */
  readonly exchange?: boolean;
}

export interface RenameArgs {
  readonly srcDir: DfsObject;
  readonly srcName: string;
  readonly dstDir: DfsObject;
  readonly dstName: string;
  readonly options: RenameOptions;
}

type Fetch = (oid: Oid, dkey: Buffer, iods: FetchIodBody[]) => Promise<FetchValueBody[]>;

/** One write of a plan, applied in order (directly, or buffered in a transaction). */
type Write =
  | { readonly type: 'update'; readonly oid: Oid; readonly dkey: Buffer; readonly iods: UpdateIodBody[]; readonly dkeyCond: 'insert' | 'update' }
  | { readonly type: 'punch'; readonly oid: Oid; readonly dkey: Buffer; readonly akeys?: Buffer[]; readonly ifExists?: boolean };

interface EntryState {
  readonly node: PathNode;
  /** Every akey under the entry's dkey (inode, symlink target, xattrs). */
  readonly akeys: Buffer[];
  readonly xattrs: UpdateIodBody[];
}

interface RenamePlan {
  readonly writes: Write[];
  /** The target entry this rename replaces (its object is punched after the rename). */
  readonly replaced: PathNode | undefined;
}

/** The entry at `ref` with its akeys and xattr values, or undefined when absent. */
async function readEntryState(mount: DfsMount, fetch: Fetch, ref: EntryRef, name: string): Promise<EntryState | undefined> {
  const { inode, symlinkTarget } = decodeEntry(await fetch(ref.dirOid, ref.key, entryFetchIods()));
  if (inode === undefined) return undefined;
  const object = mount.cont.object(ref.dirOid);
  const akeys: Buffer[] = [];
  let anchor: Parameters<typeof object.listAkeys>[0]['anchor'];
  do {
    const page = await object.listAkeys(anchor === undefined ? { dkey: ref.key, limit: AKEYS_PER_LIST_MAX } : { dkey: ref.key, anchor, limit: AKEYS_PER_LIST_MAX });
    akeys.push(...page.keys);
    anchor = page.anchor;
  } while (!anchor.eof);
  const xattrKeys = akeys.filter((akey) => xattrNameOfKey(akey) !== undefined);
  const xattrs: UpdateIodBody[] = [];
  for (let start = 0; start < xattrKeys.length; start += ENTRY_IODS_PER_RPC_MAX) {
    const batch = xattrKeys.slice(start, start + ENTRY_IODS_PER_RPC_MAX);
    const values = await fetch(ref.dirOid, ref.key, batch.map((akey) => ({ type: 'single', akey })));
    values.forEach((value, index) => {
      if (value.type === 'single' && value.value !== null) xattrs.push({ type: 'single', akey: batch[index]!, value: value.value });
    });
  }
  return { node: { name, ref, inode, symlinkTarget }, akeys, xattrs };
}

/** The writes that put `source` (record, symlink target, xattrs) under `target`, replacing `previous`. */
function entryWrites(target: EntryRef, source: EntryState, previous: EntryState | undefined, dkeyCond: 'insert' | 'update'): Write[] {
  // Never with the unwritten mark: it may have been read just before a writer elsewhere cleared it.
  const iods: UpdateIodBody[] = [inodeIod({ ...source.node.inode, ctime: timespecNow(), unwritten: false })];
  if (isSymlinkNode(source.node)) iods.push(symlinkIod(source.node.symlinkTarget ?? ''));
  iods.push(...source.xattrs);
  const writes: Write[] = [];
  for (let start = 0; start < iods.length; start += ENTRY_IODS_PER_RPC_MAX) {
    const batch = iods.slice(start, start + ENTRY_IODS_PER_RPC_MAX);
    writes.push({ type: 'update', oid: target.dirOid, dkey: target.key, iods: batch, dkeyCond: start === 0 ? dkeyCond : 'update' });
  }
  const written = new Set(iods.map((iod) => iod.akey.toString('base64')));
  const stale = (previous?.akeys ?? []).filter((akey) => !written.has(akey.toString('base64')));
  for (let start = 0; start < stale.length; start += ENTRY_IODS_PER_RPC_MAX) {
    writes.push({ type: 'punch', oid: target.dirOid, dkey: target.key, akeys: stale.slice(start, start + ENTRY_IODS_PER_RPC_MAX) });
  }
  return writes;
}

function chainHolds(dir: DfsObject, oid: Oid): boolean {
  return oidEquals(dir.oid, oid) || dir.ancestors.some((node) => oidEquals(node.inode.oid, oid));
}

/** The semantic checks of a rename from `src` to `dst` (undefined: absent). */
async function checkRename(mount: DfsMount, args: RenameArgs, src: EntryState, dst: EntryState | undefined): Promise<void> {
  const { srcDir, dstDir, options } = args;
  if (options.noReplace === true && dst !== undefined) fsFail('EEXIST', `${args.dstName} exists`);
  if (options.exchange === true && dst === undefined) fsFail('ENOENT', `${args.dstName} does not exist`);
  if (isDirNode(src.node) && chainHolds(dstDir, src.node.inode.oid)) fsFail('EINVAL', 'cannot move a directory into its own subtree');
  if (dst !== undefined && options.exchange === true && isDirNode(dst.node) && chainHolds(srcDir, dst.node.inode.oid)) {
    fsFail('EINVAL', 'cannot move a directory into its own subtree');
  }
  requireStickyRight(mount.credentials, srcDir.inode, src.node.inode);
  if (dst === undefined) return;
  requireStickyRight(mount.credentials, dstDir.inode, dst.node.inode);
  if (options.exchange === true) return;
  if (isDirNode(src.node) && !isDirNode(dst.node)) fsFail('ENOTDIR', `${args.dstName} is not a directory`);
  if (!isDirNode(src.node) && isDirNode(dst.node)) fsFail('EISDIR', `${args.dstName} is a directory`);
  if (isDirNode(dst.node) && !isUnwritten(mount, dst.node.inode) && !(await isDirEmpty(mount, dst.node.inode.oid))) fsFail('ENOTEMPTY', `${args.dstName} is not empty`);
}

/** Reads and checks; the writes of the rename, or undefined when it changes nothing. */
async function planRename(mount: DfsMount, fetch: Fetch, args: RenameArgs): Promise<RenamePlan | undefined> {
  const srcRef = childRef(args.srcDir.oid, args.srcName);
  const dstRef = childRef(args.dstDir.oid, args.dstName);
  const src = await readEntryState(mount, fetch, srcRef, args.srcName);
  if (src === undefined) fsFail('ENOENT', `${args.srcName} does not exist`);
  if (oidEquals(srcRef.dirOid, dstRef.dirOid) && srcRef.key.equals(dstRef.key)) return undefined;
  const dst = await readEntryState(mount, fetch, dstRef, args.dstName);
  await checkRename(mount, args, src, dst);
  if (dst !== undefined && oidEquals(src.node.inode.oid, dst.node.inode.oid)) return undefined;
  if (args.options.exchange === true) {
    return { writes: [...entryWrites(dstRef, src, dst, 'update'), ...entryWrites(srcRef, dst!, src, 'update')], replaced: undefined };
  }
  const writes = entryWrites(dstRef, src, dst, dst === undefined ? 'insert' : 'update');
  writes.push({ type: 'punch', oid: srcRef.dirOid, dkey: srcRef.key, ifExists: true });
  return { writes, replaced: dst?.node };
}

/** Whether a failure is a lost race (a condition failed): the rename is planned again. */
function lostRace(error: unknown): boolean {
  return isEngineError(error, Der.EXIST) || isEngineError(error, Der.NONEXIST);
}

/** Relaxed mode: the writes one by one; a lost source punch removes the target it inserted. */
async function applyRelaxed(cont: ContHandle, plan: RenamePlan): Promise<void> {
  const inserted = plan.writes.find((write) => write.type === 'update' && write.dkeyCond === 'insert');
  for (const write of plan.writes) {
    try {
      if (write.type === 'update') await cont.object(write.oid).update({ dkey: write.dkey, iods: write.iods, dkeyCond: write.dkeyCond });
      else await cont.object(write.oid).punch({ dkey: write.dkey, ...(write.akeys === undefined ? {} : { akeys: write.akeys }), ...(write.ifExists === true ? { ifExists: true } : {}) });
    } catch (error) {
      // The source vanished after the target was written (a racing rename or remove won): undo the copy.
      if (write.type === 'punch' && write.ifExists === true && inserted !== undefined && isEngineError(error, Der.NONEXIST)) {
        await cont.object(inserted.oid).punch({ dkey: inserted.dkey });
      }
      throw error;
    }
  }
}

/** Transaction mode: plan and writes in one transaction, retried by runTx on conflicts. */
function applyInTx(mount: DfsMount, args: RenameArgs): Promise<RenamePlan | undefined> {
  return mount.cont.runTx(async (tx) => {
    const plan = await planRename(mount, (oid, dkey, iods) => tx.fetch(oid, { dkey, iods }), args);
    for (const write of plan?.writes ?? []) {
      if (write.type === 'update') tx.update(write.oid, { dkey: write.dkey, iods: write.iods, dkeyCond: write.dkeyCond });
      else tx.punch(write.oid, { dkey: write.dkey, ...(write.akeys === undefined ? {} : { akeys: write.akeys }), ...(write.ifExists === true ? { ifExists: true } : {}) });
    }
    return plan;
  });
}

/** Whether this rename runs as one transaction. */
function usesTx(mount: DfsMount, args: RenameArgs): boolean {
  if (!mount.transactions) return false;
  return mount.sb.mode === 'balanced' || !oidEquals(args.srcDir.oid, args.dstDir.oid);
}

/** Renames (or exchanges) an entry; see the file header for semantics. */
export async function rename(mount: DfsMount, args: RenameArgs): Promise<void> {
  mount.assertWritable();
  for (const dir of [args.srcDir, args.dstDir]) {
    if (dir.kind !== 'dir') fsFail('ENOTDIR', `${dir.name} is not a directory`);
    requireAccess(mount.credentials, dir.inode, W_OK | X_OK, `rename in ${dir.name}`);
  }
  await ensureWritten(mount, args.dstDir.entry, args.dstDir.inode);
  const direct: Fetch = (oid, dkey, iods) => mount.cont.object(oid).fetch({ dkey, iods });
  for (let attempt = 1; ; attempt++) {
    try {
      let plan: RenamePlan | undefined;
      if (usesTx(mount, args)) plan = await applyInTx(mount, args);
      else {
        plan = await planRename(mount, direct, args);
        if (plan !== undefined) await applyRelaxed(mount.cont, plan);
      }
      if (plan?.replaced !== undefined) reapObject(mount, plan.replaced);
      return;
    } catch (error) {
      if (!lostRace(error)) throw error;
      if (attempt >= RENAME_ATTEMPTS_MAX) fsFail('EBUSY', `rename lost ${attempt} races`);
    }
  }
}
