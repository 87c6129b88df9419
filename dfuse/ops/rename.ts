/**
 * rename: one DFS rename (a transaction across directories), with renameat2's RENAME_NOREPLACE (EEXIST
 * if the target exists) and RENAME_EXCHANGE (swap two existing names). Both names and everything below
 * them leave the cache; the parents' stats are asked for again. Files open under a moved name follow it
 * (their handles' entry is the new one), so ftruncate and the like through them still find their entry.
 */
import { type DfsObject, FsError, type RenameOptions, oidEquals } from '../../dfs/index.js';
import { parentOf } from '../path.js';
import { type DfuseState, viewOf } from '../state.js';
import type { View } from '../view.js';
import { assertNotInSnapshotDir } from './resolve.js';

export async function rename(state: DfuseState, from: string, to: string, options: RenameOptions = {}): Promise<void> {
  assertNotInSnapshotDir(from, 'rename');
  assertNotInSnapshotDir(to, 'rename');
  const source = await viewOf(state, from, 'rename');
  const target = await viewOf(state, to, 'rename');
  if (source.view !== target.view) throw new FsError('EXDEV', { syscall: 'rename', path: from, detail: 'across views' });
  const view = source.view;
  if (source.path === '/' || target.path === '/') throw new FsError('EBUSY', { syscall: 'rename', path: from });
  const src = parentOf(source.path);
  const dst = parentOf(target.path);
  await view.map.with(src.parent, (srcDir) => view.map.with(dst.parent, async (dstDir) => {
    try {
      await view.dfs.rename(srcDir.handle, src.name, dstDir.handle, dst.name, options);
      const moved = openAt(state, view, srcDir.handle, src.name);
      const swapped = options.exchange === true ? openAt(state, view, dstDir.handle, dst.name) : [];
      for (const handle of moved) view.dfs.updateParent(handle, dstDir.handle, dst.name);
      for (const handle of swapped) view.dfs.updateParent(handle, srcDir.handle, src.name);
    } finally {
      view.map.invalidateTree(source.path);
      view.map.invalidateTree(target.path);
      view.map.noteDirChange(src.parent);
      view.map.noteDirChange(dst.parent);
    }
  }));
}

/** Handles of the files open in `view` whose entry is `name` in `dir`. */
function openAt(state: DfuseState, view: View, dir: DfsObject, name: string): DfsObject[] {
  return state.files.all().filter(({ handle, view: opened }) => opened === view && handle.name === name && oidEquals(handle.entry.dirOid, dir.oid)).map((file) => file.handle);
}
