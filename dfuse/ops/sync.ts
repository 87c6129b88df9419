/**
 * flush (every close), fsync: buffered writes go out and are waited for; a failure of any of them since
 * the last report is returned here, so close(2) and fsync(2) tell the application. fsyncdir has
 * nothing to do: namespace changes are durable when they are answered.
 */
import type { DfuseState } from '../state.js';

export async function syncFile(state: DfuseState, fh: number, syscall: string): Promise<void> {
  const file = state.files.get(fh, syscall);
  await file.writer?.flush();
}
