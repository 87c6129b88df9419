/**
 * write: kept in the file's write-back buffer and answered at once (write-back.ts), or, with caching
 * off, written through before the answer (O_APPEND: at the end of the file as the engines have it,
 * OpenFile.appendsAtEnd). Either way the object's read windows are dropped and the
 * cached stat of the path follows the write, so a getattr right after sees the new size. `data` is the
 * request's own copy (the FUSE addon makes one per write): write-back keeps it without copying again.
 * What other open files of the object have buffered goes out first (DataCache.settleOthers).
 */
import type { DfuseState } from '../state.js';

export async function write(state: DfuseState, path: string, fh: number, data: Buffer, position: number): Promise<number> {
  const file = state.files.get(fh, 'write');
  const length = data.length;
  let end = position + length;
  if (file.writer !== undefined) {
    await state.data.settleOthers(file);
    await file.writer.write(data, position, true);
  } else {
    // O_APPEND through no page cache: at the end as it is now (OpenFile.appendsAtEnd).
    const at = file.appendsAtEnd ? await file.view.dfs.getSize(file.handle) : position;
    await file.view.dfs.write(file.handle, data, at);
    end = at + length;
  }
  state.data.dropReads(file.handle.oid);
  if (file.view === state.live) state.live.map.noteWrite(path, end, file.handle.oid);
  return length;
}
