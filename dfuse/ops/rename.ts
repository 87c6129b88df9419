/**
 * rename: one DFS rename (a transaction across directories), with renameat2's RENAME_NOREPLACE (EEXIST
 * if the target exists) and RENAME_EXCHANGE (swap two existing names). Both names and everything below
 * them leave the cache; the parents' stats are asked for again.
 */
import { FsError, type RenameOptions } from '../../dfs/index.js';
import { parentOf } from '../path.js';
import { type DfuseState, viewOf } from '../state.js';
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
    } finally {
      view.map.invalidateTree(source.path);
      view.map.invalidateTree(target.path);
      view.map.noteDirChange(src.parent);
      view.map.noteDirChange(dst.parent);
    }
  }));
}
