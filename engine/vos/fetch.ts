/**
 * Fetch: reads akeys of one dkey at an epoch. A single value is the newest version at or below the epoch
 * that survives the punch cover; an array is painted newest-wins per record from the surviving extents
 * overlapping each requested extent, with holes and punched records left as zeros. Read-only.
 */
import { Der, EngineError } from '../wire/errors.js';
import type { VosContext } from './context.js';
import type { BlobFile, DataBlob } from './data-blob.js';
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
  return op.iods.map((iod) => fetchIod(context, dkeyId, dkeyCover, op.epoch, iod, op.placed === true));
}

export function emptyValue(iod: FetchIod): FetchValue {
  if (iod.type === 'single') return { type: 'single', value: null };
  const records = iod.extents.reduce((sum, extent) => sum + extent.count, 0);
  return { type: 'array', data: Buffer.alloc(records * iod.recordSize), filled: 0 };
}

function fetchIod(context: VosContext, dkeyId: DkeyId, dkeyCover: Cover, epoch: number, iod: FetchIod, placed: boolean): FetchValue {
  const row = context.keys.findAkey(dkeyId, iod.akey);
  if (row === undefined || row.kind === AkeyKind.unset) return emptyValue(iod);
  checkIodKind(row, iod);
  const cover = context.visibility.akeyCover(dkeyCover, row.id, epoch);
  if (iod.type === 'single') {
    const newest = context.versions.newest(row.id, epoch);
    if (newest === undefined || !survives(newest, cover)) return { type: 'single', value: null };
    return { type: 'single', value: context.versions.payload(newest) };
  }
  return readArray(context, row.rsize, iod.extents, (lo, hi) => context.versions.overlapping(row.id, epoch, lo, hi).filter((v) => survives(v, cover)), placed);
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
 * data covers are zeroed (a whole-buffer zero fill wrote every byte of a 1 MiB read twice). `placed`: bytes
 * held in the data blob are answered by place when local reads are on (BlobPlaces).
 */
export function readArray(
  context: VosContext,
  recordSize: number,
  extents: Extent[],
  candidates: (lo: number, hi: number, extentIndex: number) => VersionRowLayout[],
  placed = false,
): FetchValue & { type: 'array' } {
  const records = extents.reduce((sum, extent) => sum + extent.count, 0);
  const out = placed && context.blob.placesAllowed ? new PlacedArray(context.blob) : new FilledArray(context, records * recordSize);
  let filled = 0;
  for (const [extentIndex, extent] of extents.entries()) {
    const lo = extent.index;
    const hi = extent.index + extent.count;
    // Segments are sorted and disjoint: zeros for the gap before each data segment, then the tail.
    let next = lo;
    for (const segment of paintExtents(candidates(lo, hi, extentIndex), { lo, hi })) {
      const source = segment.source;
      if (!isDataVersion(source)) continue;
      out.zeros((segment.lo - next) * recordSize);
      out.payload(source, (segment.lo - source.lo) * recordSize, (segment.hi - segment.lo) * recordSize);
      next = segment.hi;
      filled += segment.hi - segment.lo;
    }
    out.zeros((hi - next) * recordSize);
  }
  if (out instanceof FilledArray) return { type: 'array', data: out.target, filled };
  const data = out.data();
  return out.file === undefined ? { type: 'array', data, filled } : { type: 'array', data, filled, blob: { ...out.file, places: out.places } };
}

/** An array answer written in order into one buffer of its size. */
class FilledArray {
  readonly target: Buffer;
  private at = 0;

  constructor(private readonly context: VosContext, bytes: number) {
    this.target = Buffer.allocUnsafe(bytes);
  }

  zeros(bytes: number): void {
    if (bytes <= 0) return;
    this.target.fill(0, this.at, this.at + bytes);
    this.at += bytes;
  }

  payload(source: VersionRowLayout, offsetBytes: number, bytes: number): void {
    this.context.versions.readPayload(source, offsetBytes, bytes, this.target, this.at);
    this.at += bytes;
  }
}

/** An array answer written in order as places of blob bytes plus the other bytes (BlobPlaces). */
class PlacedArray {
  readonly places: number[] = [];
  /** The blob file, once a place was named (which starts the lease). */
  file: BlobFile | undefined = undefined;
  private readonly parts: Buffer[] = [];
  private at = 0;

  constructor(private readonly blob: DataBlob) {}

  zeros(bytes: number): void {
    if (bytes <= 0) return;
    this.parts.push(Buffer.alloc(bytes));
    this.at += bytes;
  }

  payload(source: VersionRowLayout, offsetBytes: number, bytes: number): void {
    if (source.boff !== null) {
      this.file ??= this.blob.placeFor();
      this.places.push(this.at, source.boff + offsetBytes, bytes);
    } else {
      this.parts.push(source.inl?.subarray(offsetBytes, offsetBytes + bytes) ?? Buffer.alloc(bytes));
    }
    this.at += bytes;
  }

  data(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }
}
