/**
 * read: buffered writes of the same object go out first, so a read sees every write made through this
 * mount. Large reads come from 1 MiB windows (read-ahead.ts), views of them, with their bytes left in the
 * engines' files when the engines run on this host (PlacedBytes, valid for a while). Short at end of
 * file. The answer goes to the kernel at once, before anything can change it or its time runs out.
 */
import { PlacedBytes } from '../../dfs/index.js';
import type { DfuseState } from '../state.js';

export async function read(state: DfuseState, fh: number, length: number, position: number): Promise<PlacedBytes> {
  const file = state.files.get(fh, 'read');
  if (state.data.isDirty(file.handle.oid)) await state.data.settle(file.handle.oid);
  if (file.reader !== undefined) return file.reader.read(length, position);
  return PlacedBytes.of(await file.view.dfs.read(file.handle, length, position));
}
