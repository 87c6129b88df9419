/** statfs: the pool's space (one pool query), so `df` on the mount shows the pool. */
import { type FuseStatfs, toFuseStatfs } from '../fuse-stat.js';
import type { DfuseState } from '../state.js';

export async function statfs(state: DfuseState): Promise<FuseStatfs> {
  return toFuseStatfs(await state.live.dfs.statfs());
}
