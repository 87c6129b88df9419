/**
 * fallocate(2) on an open file. FALLOC_FL_PUNCH_HOLE (with KEEP_SIZE, as the kernel requires) punches the
 * range: it reads as zeros and its space is freed once aggregated, the size kept. FALLOC_FL_ZERO_RANGE
 * punches too, then grows the size to the range's end unless KEEP_SIZE. Mode 0 grows the size to the
 * range's end; DAOS has no preallocation (space is taken when data is written), so a later write may still
 * meet ENOSPC. KEEP_SIZE alone changes nothing. Collapse, insert and unshare: EOPNOTSUPP. Buffered writes
 * of the file go out first, as for ftruncate.
 */
import { FsError } from '../../dfs/index.js';
import type { DfuseState } from '../state.js';
import { ftruncate } from './truncate.js';

/** linux/falloc.h */
const Falloc = { KEEP_SIZE: 0x01, PUNCH_HOLE: 0x02, ZERO_RANGE: 0x10 } as const;
const SUPPORTED = Falloc.KEEP_SIZE | Falloc.PUNCH_HOLE | Falloc.ZERO_RANGE;

export async function fallocate(state: DfuseState, path: string, fh: number, mode: number, offset: number, length: number): Promise<void> {
  if ((mode & ~SUPPORTED) !== 0) throw new FsError('EOPNOTSUPP', { syscall: 'fallocate', path, detail: `mode 0x${mode.toString(16)}` });
  const file = state.files.get(fh, 'fallocate');
  const { dfs } = file.view;
  await state.data.settle(file.handle.oid);
  const punches = (mode & (Falloc.PUNCH_HOLE | Falloc.ZERO_RANGE)) !== 0;
  if (punches) {
    await dfs.punch(file.handle, offset, length);
    state.data.dropReads(file.handle.oid);
  }
  const grows = (mode & (Falloc.KEEP_SIZE | Falloc.PUNCH_HOLE)) === 0 && offset + length > (await dfs.getSize(file.handle));
  // ftruncate forgets the cached stat itself.
  if (grows) await ftruncate(state, path, fh, offset + length);
  else if (punches && file.view === state.live) state.live.map.forgetStat(path);
}
