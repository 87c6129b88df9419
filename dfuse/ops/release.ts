/**
 * release: the kernel closed its last reference to an open file. Buffered writes go out first (a failure
 * here has nobody left to hear it: the close that could report it was flush, so it is logged), then the
 * file's DFS handle goes.
 */
import type { DfuseState } from '../state.js';

export async function release(state: DfuseState, fh: number): Promise<void> {
  const file = state.files.remove(fh);
  if (file === undefined) return;
  try {
    await file.writer?.flush();
  } catch (error) {
    state.log.warn({ file: file.handle.name, err: (error as Error).message }, 'buffered writes failed after the last close');
  } finally {
    state.data.unregister(file);
    file.view.dfs.release(file.handle);
  }
}
