/**
 * read: buffered writes of the same object go out first, so a read sees every write made through this
 * mount. Large reads come from 1 MiB windows (read-ahead.ts), as views when they fit in one. Short at
 * end of file. The answer is copied to the kernel before anything can change it.
 */
import type { DfuseState } from '../state.js';

export async function read(state: DfuseState, fh: number, length: number, position: number): Promise<Buffer> {
  const file = state.files.get(fh, 'read');
  if (state.data.isDirty(file.handle.oid)) await state.data.settle(file.handle.oid);
  if (file.reader !== undefined) return file.reader.read(length, position);
  return file.view.dfs.read(file.handle, length, position);
}
