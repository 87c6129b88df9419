/**
 * open and create. open duplicates the cached lookup handle with the caller's flags (DAOS dfs_dup: no
 * RPC). O_APPEND is dropped before DFS, as DAOS dfuse does: the kernel turns appends into writes at its
 * own idea of the end of file, which keeps appends through one mount atomic. Without the page cache
 * (data caching off, so nothing the kernel keeps can disagree) dfuse goes further: the write lands at
 * the end the engines report (OpenFile.appendsAtEnd), so appends from several mounts (clients) follow
 * each other instead of overwriting; not atomically, as on NFS. create makes the file
 * owned by the caller (multi-user) or by the daemon's user, and caches the new entry with its stat so
 * the getattr libfuse sends right after costs nothing.
 */
import { type DfsObject, MODE_PERMISSION_MASK, O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC } from '../../dfs/index.js';
import { ReadAhead } from '../read-ahead.js';
import { type DfuseState, type Owner, viewOf } from '../state.js';
import type { MapEntry } from '../inode-map.js';
import type { View } from '../view.js';
import { WriteBack } from '../write-back.js';
import { onParent } from './resolve.js';

export async function open(state: DfuseState, path: string, flags: number): Promise<number> {
  const { view, path: inner } = await viewOf(state, path, 'open');
  return view.map.with(inner, async (entry) => {
    const truncates = (flags & O_TRUNC) !== 0;
    if (truncates) await state.data.settle(entry.handle.oid);
    const handle = await view.dfs.dup(entry.handle, flags & ~(O_APPEND | O_CREAT | O_EXCL));
    const appends = (flags & O_APPEND) !== 0;
    if (!truncates) return addFile(state, view, handle, appends, entry.stat?.size, entry);
    view.map.forgetStat(inner);
    state.data.dropReads(handle.oid);
    return addFile(state, view, handle, appends, 0);
  });
}

/**
 * Registers an open DFS handle under a new file handle number, with its data caches (`sizeHint`: the size
 * known, if any; `entry`: the path's cache entry, whose valid stat the reads end at: ReadAhead).
 */
function addFile(state: DfuseState, view: View, handle: DfsObject, appends: boolean, sizeHint?: number, entry?: MapEntry): number {
  try {
    const writes = (handle.flags & O_ACCMODE) !== O_RDONLY;
    // Not while a write of this mount is in flight: the stat follows it, but the engines may not have it yet.
    const held = entry === undefined || state.data.isDirty(handle.oid) ? undefined : () => view.map.freshStat(entry)?.size;
    const file = state.files.add(handle, view, state.dataCaching && handle.kind === 'file'
      ? { reader: new ReadAhead(view.dfs, handle, state.data.windows, sizeHint, held), ...(writes ? { writer: new WriteBack(view.dfs, handle, state.data.budget) } : {}) }
      : { appendsAtEnd: appends && writes });
    state.data.register(file);
    return file.fh;
  } catch (error) {
    view.dfs.release(handle);
    throw error;
  }
}

export function createOptions(state: DfuseState, caller: Owner): { owner?: Owner } {
  return state.multiUser ? { owner: { uid: caller.uid, gid: caller.gid } } : {};
}

/**
 * Creates (or, without O_EXCL in `flags`, opens an existing) file: a new file handle open for reading and
 * writing (O_APPEND in `flags`: appending, as open()).
 */
export async function create(state: DfuseState, caller: Owner, path: string, mode: number, flags = 0): Promise<number> {
  const exclusive = (flags & O_EXCL) !== 0;
  return onParent(state, path, 'create', async (view, parent, name, inner) => {
    const handle = await view.dfs.open(parent.handle, name, O_CREAT | O_RDWR | (exclusive ? O_EXCL : 0), mode & MODE_PERMISSION_MASK, createOptions(state, caller));
    try {
      // O_CREAT without O_EXCL may find the name taken (made by another client since the kernel's lookup).
      const entry = view.map.insert(inner, await view.dfs.dup(handle, 0), view.dfs.createdStat(handle));
      if (handle.created) {
        entry.noXattrs = true;
        view.map.noteDirChange(parent.path);
      }
    } catch (error) {
      view.dfs.release(handle);
      throw error;
    }
    return addFile(state, view, handle, (flags & O_APPEND) !== 0, handle.created ? 0 : undefined);
  });
}
