/** mkdir, owned like create (DFS keeps only the permission bits of `mode`); cached with its stat, and known empty. */
import type { DfuseState, Owner } from '../state.js';
import { createOptions } from './open.js';
import { onParent } from './resolve.js';

export function mkdir(state: DfuseState, caller: Owner, path: string, mode: number): Promise<void> {
  return onParent(state, path, 'mkdir', async (view, parent, name, inner) => {
    const handle = await view.dfs.mkdir(parent.handle, name, mode, createOptions(state, caller));
    view.map.insert(inner, handle, view.dfs.createdStat(handle)).noXattrs = true;
    view.map.knowEmpty(inner);
    view.map.noteDirChange(parent.path);
  });
}
