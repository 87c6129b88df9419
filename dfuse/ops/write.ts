/**
 * write: kept in the file's write-back buffer and answered at once (write-back.ts), or, with caching
 * off, written through before the answer. Either way the object's read windows are dropped and the
 * cached stat of the path follows the write, so a getattr right after sees the new size. `data` is the
 * request's own copy (the FUSE addon makes one per write): write-back keeps it without copying again.
 * What other open files of the object have buffered goes out first (DataCache.settleOthers).
 */
import type { DfuseState } from '../state.js';

export async function write(state: DfuseState, path: string, fh: number, data: Buffer, position: number): Promise<number> {
  const file = state.files.get(fh, 'write');
  const length = data.length;
  if (file.writer !== undefined) {
    await state.data.settleOthers(file);
    await file.writer.write(data, position, true);
  }
  else await file.view.dfs.write(file.handle, data, position);
  state.data.dropReads(file.handle.oid);
  if (file.view === state.live) state.live.map.noteWrite(path, position + length, file.handle.oid);
  return length;
}
