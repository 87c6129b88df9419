/**
 * read: into the kernel's buffer (fuse-native hands us libfuse's memory; it is detached once we answer,
 * so nothing may keep it). Buffered writes of the same object go out first, so a read sees every write
 * made through this mount. Large reads come from 1 MiB windows (read-ahead.ts). Short at end of file.
 */
import type { DfuseState } from '../state.js';

export async function read(state: DfuseState, fh: number, buffer: Buffer, length: number, position: number): Promise<number> {
  const file = state.files.get(fh, 'read');
  if (state.data.isDirty(file.handle.oid)) await state.data.settle(file.handle.oid);
  if (file.reader !== undefined) return file.reader.read(buffer, length, position);
  return file.view.dfs.read(file.handle, buffer.subarray(0, length), position);
}
