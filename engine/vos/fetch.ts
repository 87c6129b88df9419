/**
 * Fetch: reads akeys of one dkey at an epoch. A single value is the newest version at or below the epoch
 * that survives the punch cover; an array is painted newest-wins per record from the surviving extents
 * overlapping each requested extent, with holes and punched records left as zeros. Read-only.
 */
import { Der, EngineError } from '../wire/errors.js';
import type { VosContext } from './context.js';
import { paintExtents } from './extent-paint.js';
import type { Extent, FetchIod, FetchOp, FetchValue } from './operation.js';
import { AkeyKind, type AkeyRowLayout, type DkeyId, type VersionRowLayout } from './schema.js';
import { survives } from './stamp.js';
import type { Cover } from './visibility.js';
import { isDataVersion } from './version-store.js';
import { validateFetchIods, validateKey, validateObjectRef, validateReadEpoch } from './validate.js';

export function validateFetch(op: FetchOp): void {
  validateObjectRef(op);
  validateKey(op.dkey, 'dkey');
  validateReadEpoch(op.epoch);
  validateFetchIods(op.iods);
}

/** Reads a validated fetch. DER_NONEXIST for dkeyCond 'exists' on an absent dkey; DER_INVAL on kind mismatch. */
export function applyFetch(context: VosContext, op: FetchOp): FetchValue[] {
  const { keys, visibility } = context;
  const objectId = keys.findObject(op);
  const dkeyId = objectId === undefined ? undefined : keys.findDkey(objectId, op.dkey);
  if (objectId === undefined || dkeyId === undefined) {
    if (op.dkeyCond === 'exists') throw new EngineError(Der.NONEXIST, 'dkey does not exist');
    return op.iods.map(emptyValue);
  }
  const objectCover = visibility.objectCover(objectId, op.epoch);
  if (op.dkeyCond === 'exists' && !visibility.dkeyExists(dkeyId, objectCover, op.epoch)) {
    throw new EngineError(Der.NONEXIST, 'dkey does not exist');
  }
  const dkeyCover = visibility.dkeyCover(objectCover, dkeyId, op.epoch);
  return op.iods.map((iod) => fetchIod(context, dkeyId, dkeyCover, op.epoch, iod));
}

export function emptyValue(iod: FetchIod): FetchValue {
  if (iod.type === 'single') return { type: 'single', value: null };
  const records = iod.extents.reduce((sum, extent) => sum + extent.count, 0);
  return { type: 'array', data: Buffer.alloc(records * iod.recordSize), filled: 0 };
}

function fetchIod(context: VosContext, dkeyId: DkeyId, dkeyCover: Cover, epoch: number, iod: FetchIod): FetchValue {
  const row = context.keys.findAkey(dkeyId, iod.akey);
  if (row === undefined || row.kind === AkeyKind.unset) return emptyValue(iod);
  checkIodKind(row, iod);
  const cover = context.visibility.akeyCover(dkeyCover, row.id, epoch);
  if (iod.type === 'single') {
    const newest = context.versions.newest(row.id, epoch);
    if (newest === undefined || !survives(newest, cover)) return { type: 'single', value: null };
    return { type: 'single', value: context.versions.payload(newest) };
  }
  return readArray(context, row.rsize, iod.extents, (lo, hi) => context.versions.overlapping(row.id, epoch, lo, hi).filter((v) => survives(v, cover)));
}

/** Checks that akey `row` can answer `iod` (DER_INVAL: the other kind, or an array of another record size). */
export function checkIodKind(row: Pick<AkeyRowLayout, 'kind' | 'rsize'>, iod: FetchIod): void {
  if (iod.type === 'single') {
    if (row.kind !== AkeyKind.single) throw new EngineError(Der.INVAL, 'akey holds an array');
    return;
  }
  if (row.kind !== AkeyKind.array) throw new EngineError(Der.INVAL, 'akey holds a single value');
  if (row.rsize !== iod.recordSize) throw new EngineError(Der.INVAL, `akey record size is ${row.rsize}`);
}

/**
 * Reads the requested extents of an array akey into one buffer, holes and punched records as zeros;
 * `filled` counts the records that came from written data. `candidates(lo, hi)` gives the extents (data
 * or punch) that overlap records [lo, hi) and survive the akey's cover, in any order. Only the records no
 * data covers are zeroed (a whole-buffer zero fill wrote every byte of a 1 MiB read twice).
 */
export function readArray(
  context: VosContext,
  recordSize: number,
  extents: Extent[],
  candidates: (lo: number, hi: number, extentIndex: number) => VersionRowLayout[],
): FetchValue & { type: 'array' } {
  const records = extents.reduce((sum, extent) => sum + extent.count, 0);
  const target = Buffer.allocUnsafe(records * recordSize);
  const zero = (from: number, to: number): void => {
    if (to > from) target.fill(0, from, to);
  };
  let base = 0;
  let filled = 0;
  for (const [extentIndex, extent] of extents.entries()) {
    const lo = extent.index;
    const hi = extent.index + extent.count;
    // Segments are sorted and disjoint: zero the gap before each data segment, then the tail.
    let zeroFrom = base;
    for (const segment of paintExtents(candidates(lo, hi, extentIndex), { lo, hi })) {
      const source = segment.source;
      if (!isDataVersion(source)) continue;
      zero(zeroFrom, base + (segment.lo - lo) * recordSize);
      zeroFrom = base + (segment.hi - lo) * recordSize;
      filled += segment.hi - segment.lo;
      context.versions.readPayload(
        source,
        (segment.lo - source.lo) * recordSize,
        (segment.hi - segment.lo) * recordSize,
        target,
        base + (segment.lo - lo) * recordSize,
      );
    }
    zero(zeroFrom, base + extent.count * recordSize);
    base += extent.count * recordSize;
  }
  return { type: 'array', data: target, filled };
}
