/**
 * How operations find what they act on: the entry a path names (pinned while the operation runs) or
 * the parent directory of a path plus the last component, in the view serving that path.
 */
import { FsError } from '../../dfs/index.js';
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
