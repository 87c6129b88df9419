/**
 * mknod: a regular file (created and closed), or a FIFO, socket or device node (an inode record with
 * no object, rdev kept in it; the kernel serves FIFOs and sockets itself once it sees the type). The
 * handle that created the entry becomes its cache entry, with the entry's stat.
 */
import { MODE_PERMISSION_MASK, O_CREAT, O_EXCL, O_RDWR, S_IFMT, S_IFREG } from '../../dfs/index.js';
import type { DfuseState, Owner } from '../state.js';
import { createOptions } from './open.js';
import { onParent } from './resolve.js';

export function mknod(state: DfuseState, caller: Owner, path: string, mode: number, rdev: number): Promise<void> {
  return onParent(state, path, 'mknod', async (view, parent, name, inner) => {
    const options = createOptions(state, caller);
    const handle = (mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0
      ? await view.dfs.open(parent.handle, name, O_CREAT | O_EXCL | O_RDWR, mode & MODE_PERMISSION_MASK, options)
      : await view.dfs.mknod(parent.handle, name, mode, rdev, options);
    view.map.insert(inner, handle, view.dfs.createdStat(handle)).noXattrs = true;
    view.map.noteDirChange(parent.path);
  });
}
