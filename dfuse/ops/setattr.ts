/**
 * chmod, chown, utimens: DFS setattr; the answer becomes the cached stat. The kernel has checked the
 * caller's rights already (default_permissions); DFS checks again against the daemon's credentials.
 * chown's -1 keeps an id; utimens sets only the times it is given ('now': the current time).
 * Buffered writes of the object go out first: the answer's size must include them, and an explicit
 * mtime (tar, cp -p) must not be overtaken by data that was written before it. A stat still cached
 * (it follows this mount's writes) gives the answer its size and data time: the change costs one RPC,
 * the entry update, instead of that and a size query of the object (tar's three per file).
 * A file open here whose path went stale (another client renamed a directory above it), or now names
 * another object, is changed through its open file's DFS handle (`openFile`: onEntryOrOpenFile).
 */
import type { SetAttrs, Timespec } from '../../dfs/index.js';
import type { OpenFile, OpenFileOf } from '../file-table.js';
import type { DfuseState } from '../state.js';
import { onEntry, onEntryOrOpenFile, throughOpenFile } from './resolve.js';

const KEEP_ID = 0xffffffff;

function setattr(state: DfuseState, path: string | undefined, syscall: string, attrs: SetAttrs, openFile?: OpenFileOf): Promise<void> {
  const byHandle = async (file: OpenFile): Promise<void> => {
    await file.view.dfs.setattr(file.handle, attrs);
  };
  const byPath = path === undefined ? undefined : (): Promise<void> => onEntry(state, path, syscall, async (view, entry) => {
    // The path names another object than the node's open file (another client put it there): change the node's.
    const fh = openFile?.();
    if (fh !== undefined && state.files.get(fh, syscall).handle.ino !== entry.handle.ino) return throughOpenFile(state, syscall, fh, byHandle);
    const since = entry.changes;
    await state.data.settle(entry.handle.oid);
    const known = view.map.freshStat(entry);
    view.map.setStat(entry, await view.dfs.setattr(entry.handle, attrs, known === undefined ? {} : { known }), since);
  });
  return onEntryOrOpenFile(state, syscall, openFile, byPath, byHandle);
}

export function chmod(state: DfuseState, path: string | undefined, mode: number, openFile?: OpenFileOf): Promise<void> {
  return setattr(state, path, 'chmod', { mode }, openFile);
}

export function chown(state: DfuseState, path: string | undefined, uid: number, gid: number, openFile?: OpenFileOf): Promise<void> {
  const keep = (id: number): boolean => id === KEEP_ID || id === -1;
  return setattr(state, path, 'chown', { ...(keep(uid) ? {} : { uid }), ...(keep(gid) ? {} : { gid }) }, openFile);
}

/** Sets the times given ('now': the current time; undefined: kept). */
export function utimens(state: DfuseState, path: string | undefined, atime: Timespec | 'now' | undefined, mtime: Timespec | 'now' | undefined, openFile?: OpenFileOf): Promise<void> {
  return setattr(state, path, 'utimens', { ...(atime === undefined ? {} : { atime }), ...(mtime === undefined ? {} : { mtime }) }, openFile);
}
