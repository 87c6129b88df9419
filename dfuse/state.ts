/**
 * What every dfuse operation works with: the live view, the `.snapshot` tree, open files, the owner
 * policy, the logger; and route(), which maps a mount path to the view serving it and the path inside
 * that view.
 */
import { FsError } from '../dfs/index.js';
import type { Logger } from '../dfs/index.js';
import type { DataCache } from './data-cache.js';
import type { FileTable } from './file-table.js';
import { SNAPSHOT_DIR_PATH, type SnapshotDir } from './snapshot-dir.js';
import { isWithin } from './path.js';
import type { View } from './view.js';

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export interface DfuseState {
  readonly live: View;
  readonly snapshots: SnapshotDir;
  readonly files: FileTable;
  readonly data: DataCache;
  /** Write-back and read coalescing (off with --disable-caching). */
  readonly dataCaching: boolean;
  /**
   * Multi-user mounts create entries owned by the calling process; single-user mounts by the daemon's
   * user (the DFS mount's credentials), as DAOS dfuse does.
   */
  readonly multiUser: boolean;
  /** The daemon's own uid/gid (owner of `.snapshot`). */
  readonly self: Owner;
  readonly log: Logger;
}

/** Where a mount path is served. */
export type Route =
  | { readonly kind: 'view'; readonly view: View; readonly path: string }
  | { readonly kind: 'snapshot-dir' };

/** True when `path` is served by the live view (neither `.snapshot` nor anything under it). */
export function isLivePath(path: string): boolean {
  return !isWithin(path, SNAPSHOT_DIR_PATH);
}

export async function route(state: DfuseState, path: string): Promise<Route> {
  if (isLivePath(path)) return { kind: 'view', view: state.live, path };
  if (path === SNAPSHOT_DIR_PATH) return { kind: 'snapshot-dir' };
  const rest = path.slice(SNAPSHOT_DIR_PATH.length + 1);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  const view = await state.snapshots.view(name);
  return { kind: 'view', view, path: slash < 0 ? '/' : rest.slice(slash) };
}

/** The view and inner path of `path`; `.snapshot` itself cannot be changed (EROFS). */
export async function viewOf(state: DfuseState, path: string, syscall: string): Promise<{ view: View; path: string }> {
  const target = await route(state, path);
  if (target.kind === 'snapshot-dir') throw new FsError('EROFS', { syscall, path, detail: 'the snapshot directory is read-only' });
  return target;
}
