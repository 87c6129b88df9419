/**
 * unlink and rmdir. The kind is checked first (unlink of a directory is EISDIR, rmdir of anything else
 * ENOTDIR), then DFS removes the entry (a non-empty directory: ENOTEMPTY; the directory the cache knows
 * is probed for entries while DFS reads the entry) and the cache forgets it.
 * libfuse2 itself renames a file that is still open to .fuse_hidden* and unlinks it at release.
 */
import { FsError } from '../../dfs/index.js';
import type { DfuseState } from '../state.js';
import { onParent } from './resolve.js';

export function unlink(state: DfuseState, path: string): Promise<void> {
  return removeEntry(state, path, 'unlink');
}

export function rmdir(state: DfuseState, path: string): Promise<void> {
  return removeEntry(state, path, 'rmdir');
}

function removeEntry(state: DfuseState, path: string, syscall: 'unlink' | 'rmdir'): Promise<void> {
  return onParent(state, path, syscall, async (view, parent, name, inner) => {
    const like = await view.map.with(inner, async (entry) => entry.handle);
    if (syscall === 'unlink' && like.kind === 'dir') throw new FsError('EISDIR', { syscall, path });
    if (syscall === 'rmdir' && like.kind !== 'dir') throw new FsError('ENOTDIR', { syscall, path });
    try {
      await view.dfs.remove(parent.handle, name, { like });
    } finally {
      view.map.invalidateTree(inner);
      view.map.noteDirChange(parent.path);
    }
  });
}
