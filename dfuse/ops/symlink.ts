/** symlink (owned like create; the target is stored as given) and readlink (from the cached entry). */
import type { DfuseState, Owner } from '../state.js';
import { createOptions } from './open.js';
import { onEntry, onParent } from './resolve.js';

export function symlink(state: DfuseState, caller: Owner, target: string, path: string): Promise<void> {
  return onParent(state, path, 'symlink', async (view, parent, name, inner) => {
    const handle = await view.dfs.symlink(parent.handle, name, target, createOptions(state, caller));
    view.map.insert(inner, handle, view.dfs.createdStat(handle)).noXattrs = true;
    view.map.noteDirChange(parent.path);
  });
}

export function readlink(state: DfuseState, path: string): Promise<string> {
  return onEntry(state, path, 'readlink', async (view, entry) => entry.handle.symlinkTarget ?? view.dfs.readlink(entry.handle));
}
