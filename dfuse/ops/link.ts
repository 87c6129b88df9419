/**
 * link: hard links are not built yet (the DFS global inode table is a later issue), so link(2) fails
 * with EPERM — what Linux filesystems without hard links report — and says why in the log once.
 */
import { FsError } from '../../dfs/index.js';
import type { DfuseState } from '../state.js';

let explained = false;

export function link(state: DfuseState, from: string, to: string): Promise<void> {
  if (!explained) {
    explained = true;
    state.log.warn({ from, to }, 'hard links are not supported yet (EPERM)');
  }
  return Promise.reject(new FsError('EPERM', { syscall: 'link', path: to, detail: 'hard links are not supported yet' }));
}
