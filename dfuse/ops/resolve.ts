/**
 * How operations find what they act on: the entry a path names (pinned while the operation runs) or
 * the parent directory of a path plus the last component, in the view serving that path; or, when the
 * path went stale, a file open on the node (onEntryOrOpenFile).
 */
import { FsError } from '../../dfs/index.js';
import type { OpenFile, OpenFileOf } from '../file-table.js';
import type { MapEntry } from '../inode-map.js';
import { parentOf } from '../path.js';
import { SNAPSHOT_DIR_PATH } from '../snapshot-dir.js';
import { type DfuseState, viewOf } from '../state.js';
import type { View } from '../view.js';

/** New names directly in `.snapshot` (a create, or a rename's target there) are EROFS, not a lookup of a snapshot. */
export function assertNotInSnapshotDir(path: string, syscall: string): void {
  if (parentOf(path).parent === SNAPSHOT_DIR_PATH) throw new FsError('EROFS', { syscall, path, detail: 'the snapshot directory is read-only' });
}

/** Runs `fn` on the pinned entry of `path`. */
export async function onEntry<T>(state: DfuseState, path: string, syscall: string, fn: (view: View, entry: MapEntry, innerPath: string) => Promise<T>): Promise<T> {
  const { view, path: inner } = await viewOf(state, path, syscall);
  return view.map.with(inner, (entry) => fn(view, entry, inner));
}

/**
 * Runs `fn` (which makes or removes the name `path` ends with) on the pinned parent directory of `path`.
 * From now on the name may exist: it is never answered missing from what dfuse knows of the directory.
 */
export async function onParent<T>(
  state: DfuseState, path: string, syscall: string, fn: (view: View, parent: MapEntry, name: string, innerPath: string) => Promise<T>,
): Promise<T> {
  assertNotInSnapshotDir(path, syscall);
  const { view, path: inner } = await viewOf(state, path, syscall);
  if (inner === '/') throw new FsError(syscall === 'mkdir' ? 'EEXIST' : 'EBUSY', { syscall, path, detail: 'the root of a view' });
  const { parent, name } = parentOf(inner);
  view.map.mayExist(inner);
  return view.map.with(parent, (entry) => fn(view, entry, name, inner));
}

/**
 * `byPath` (an operation on the entry a path names), unless the path no longer finds the file because
 * another client moved a directory above it: this mount's path is then stale (the operation fails ENOENT,
 * or ENOTDIR where something else took a directory's name) or lost (`byPath` undefined: the node table
 * lost it when a rename through this mount replaced a directory above). Then `byHandle` on one of the
 * node's open files (`openFile`, asked only then), once its buffered writes went out. Its DFS handle finds
 * the entry by parent directory and name, as DAOS dfuse does from the inode. ESTALE when the path is lost
 * and no file of the node is open here.
 */
export async function onEntryOrOpenFile<T>(
  state: DfuseState, syscall: string, openFile: OpenFileOf | undefined, byPath: (() => Promise<T>) | undefined, byHandle: (file: OpenFile) => Promise<T>,
): Promise<T> {
  if (byPath === undefined) {
    const fh = openFile?.();
    if (fh === undefined) throw new FsError('ESTALE', { syscall, detail: 'the node lost its path (a directory above it was replaced) and has no file open here' });
    return throughOpenFile(state, syscall, fh, byHandle);
  }
  try {
    return await byPath();
  } catch (error) {
    const fh = error instanceof FsError && (error.code === 'ENOENT' || error.code === 'ENOTDIR') ? openFile?.() : undefined;
    if (fh === undefined) throw error;
    return throughOpenFile(state, syscall, fh, byHandle);
  }
}

/** `byHandle` on open file `fh`, once its buffered writes went out. */
export async function throughOpenFile<T>(state: DfuseState, syscall: string, fh: number, byHandle: (file: OpenFile) => Promise<T>): Promise<T> {
  const file = state.files.get(fh, syscall);
  await state.data.settle(file.handle.oid);
  return byHandle(file);
}
