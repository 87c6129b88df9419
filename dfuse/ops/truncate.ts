/**
 * truncate and ftruncate: buffered writes of the object go out first (they must not land after the new
 * size), then DFS setattr({ size }); read windows are dropped and the answer becomes the cached stat.
 */
import type { DfuseState } from '../state.js';
import { onEntry } from './resolve.js';

export function truncate(state: DfuseState, path: string, size: number): Promise<void> {
  return onEntry(state, path, 'truncate', async (view, entry) => {
    const since = entry.changes;
    await state.data.settle(entry.handle.oid);
    view.map.setStat(entry, await view.dfs.setattr(entry.handle, { size }), since);
    state.data.dropReads(entry.handle.oid);
  });
}

/** `path`: the node's, undefined when the node lost it (its file is still open here). */
export async function ftruncate(state: DfuseState, path: string | undefined, fh: number, size: number): Promise<void> {
  const file = state.files.get(fh, 'ftruncate');
  await state.data.settle(file.handle.oid);
  await file.view.dfs.setattr(file.handle, { size });
  state.data.dropReads(file.handle.oid);
  if (file.view === state.live && path !== undefined) state.live.map.forgetStat(path);
}
