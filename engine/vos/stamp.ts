/**
 * Stamps: the (epoch, seq) pair that totally orders every version and punch on a target. Epoch first,
 * then seq (arrival order), so an update and a punch at the same epoch are ordered by arrival.
 * Pure helpers only.
 */

export interface Stamp {
  epoch: number;
  seq: number;
}

/** True when `a` is ordered after `b`. */
export function isNewer(a: Stamp, b: Stamp): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

/** The later of two optional stamps (null = none). */
export function newerStamp(a: Stamp | null, b: Stamp | null): Stamp | null {
  if (a === null) return b;
  if (b === null) return a;
  return isNewer(a, b) ? a : b;
}

/** True when `stamp` is not hidden by `cover` (a punch stamp, or null for none). */
export function survives(stamp: Stamp, cover: Stamp | null): boolean {
  return cover === null || isNewer(stamp, cover);
}
