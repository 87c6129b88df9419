/**
 * Fetch: reads akeys of one dkey at an epoch. A single value is the newest version at or below the epoch
 * that survives the punch cover; an array is painted newest-wins per record from the surviving extents
 * overlapping each requested extent, with holes and punched records left as zeros. Read-only.
 */
import { Der, EngineError } from '../wire/errors.js';
import type { VosContext } from './context.js';
import { paintExtents } from './extent-paint.js';
import type { Extent, FetchIod, FetchOp, FetchValue } from './operation.js';
import { AkeyKind, type AkeyRowLayout, type DkeyId } from './schema.js';
import { survives, type Stamp } from './stamp.js';
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

function emptyValue(iod: FetchIod): FetchValue {
  if (iod.type === 'single') return { type: 'single', value: null };
  const records = iod.extents.reduce((sum, extent) => sum + extent.count, 0);
  return { type: 'array', data: Buffer.alloc(records * iod.recordSize), filled: 0 };
}

function fetchIod(context: VosContext, dkeyId: DkeyId, dkeyCover: Cover, epoch: number, iod: FetchIod): FetchValue {
  const row = context.keys.findAkey(dkeyId, iod.akey);
  if (row === undefined || row.kind === AkeyKind.unset) return emptyValue(iod);
  if (iod.type === 'single') {
    if (row.kind !== AkeyKind.single) throw new EngineError(Der.INVAL, 'akey holds an array');
    const cover = context.visibility.akeyCover(dkeyCover, row.id, epoch);
    const newest = context.versions.newest(row.id, epoch);
    if (newest === undefined || !survives(newest, cover)) return { type: 'single', value: null };
    return { type: 'single', value: context.versions.payload(newest) };
  }
  if (row.kind !== AkeyKind.array) throw new EngineError(Der.INVAL, 'akey holds a single value');
  if (row.rsize !== iod.recordSize) throw new EngineError(Der.INVAL, `akey record size is ${row.rsize}`);
  const cover = context.visibility.akeyCover(dkeyCover, row.id, epoch);
  return { type: 'array', ...readArray(context, row, cover, epoch, iod.extents) };
}

/**
 * Reads the requested extents of an array akey into one buffer, holes and punched records as zeros;
 * `filled` counts the records that came from written data. Only the records no data covers are zeroed
 * (a whole-buffer zero fill wrote every byte of a 1 MiB read twice).
 */
function readArray(
  context: VosContext,
  row: AkeyRowLayout,
  cover: Stamp | null,
  epoch: number,
  extents: Extent[],
): { data: Buffer; filled: number } {
  const records = extents.reduce((sum, extent) => sum + extent.count, 0);
  const target = Buffer.allocUnsafe(records * row.rsize);
  const zero = (from: number, to: number): void => {
    if (to > from) target.fill(0, from, to);
  };
  let base = 0;
  let filled = 0;
  for (const extent of extents) {
    const lo = extent.index;
    const hi = extent.index + extent.count;
    const candidates = context.versions.overlapping(row.id, epoch, lo, hi).filter((v) => survives(v, cover));
    // Segments are sorted and disjoint: zero the gap before each data segment, then the tail.
    let zeroFrom = base;
    for (const segment of paintExtents(candidates, { lo, hi })) {
      const source = segment.source;
      if (!isDataVersion(source)) continue;
      zero(zeroFrom, base + (segment.lo - lo) * row.rsize);
      zeroFrom = base + (segment.hi - lo) * row.rsize;
      filled += segment.hi - segment.lo;
      context.versions.readPayload(
        source,
        (segment.lo - source.lo) * row.rsize,
        (segment.hi - segment.lo) * row.rsize,
        target,
        base + (segment.lo - lo) * row.rsize,
      );
    }
    zero(zeroFrom, base + extent.count * row.rsize);
    base += extent.count * row.rsize;
  }
  return { data: target, filled };
}
