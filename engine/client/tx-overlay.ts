/**
 * Read-your-writes: what a transaction's own buffered operations say about a read, as pure functions.
 * For each fetched iod the newest buffered operation touching it decides: a punch (of the object, the
 * dkey or the akey) makes it absent (single value null, array records zero), an update gives its value.
 * Array records combine: the stored data (or zeros after a buffered punch) painted with the buffered
 * extents in order. Listings drop dkeys the transaction punched and add the ones it wrote. An akey punch
 * cannot tell whether its dkey is left empty without reading, so it never removes the dkey from a listing.
 */
import { type Oid, oidEquals } from '../placement/oid.js';
import type { FetchIodBody, FetchValueBody, UpdateIodBody } from '../wire/rpc/obj.js';
import type { TxBufferedOp } from './tx-ops.js';

/** One fetched iod: decided by the buffer alone, or the stored value with the buffer applied on top. */
export type IodOverlay =
  | { readonly source: 'buffer'; readonly value: FetchValueBody }
  | { readonly source: 'store'; readonly apply: (stored: FetchValueBody) => FetchValueBody };

type ArrayIod = Extract<UpdateIodBody, { type: 'array' }>;
type ArrayFetch = Extract<FetchIodBody, { type: 'array' }>;

const identity = (stored: FetchValueBody): FetchValueBody => stored;

/** True when `op` punches what holds (oid, dkey, akey). */
function punchCovers(op: TxBufferedOp, oid: Oid, dkey: Buffer, akey: Buffer): boolean {
  if (op.type !== 'punch' || !oidEquals(op.oid, oid)) return false;
  if (op.dkey === undefined) return true;
  if (!op.dkey.equals(dkey)) return false;
  return op.akeys === undefined || op.akeys.some((punched) => punched.equals(akey));
}

/** The iod of `op` that writes (oid, dkey, akey), if any. */
function updateIod(op: TxBufferedOp, oid: Oid, dkey: Buffer, akey: Buffer): UpdateIodBody | undefined {
  if (op.type !== 'update' || !op.dkey.equals(dkey) || !oidEquals(op.oid, oid)) return undefined;
  for (let index = op.iods.length - 1; index >= 0; index--) if (op.iods[index]!.akey.equals(akey)) return op.iods[index];
  return undefined;
}

function overlaySingle(ops: readonly TxBufferedOp[], oid: Oid, dkey: Buffer, akey: Buffer): IodOverlay {
  for (let index = ops.length - 1; index >= 0; index--) {
    const op = ops[index]!;
    if (punchCovers(op, oid, dkey, akey)) return { source: 'buffer', value: { type: 'single', value: null } };
    const iod = updateIod(op, oid, dkey, akey);
    if (iod?.type === 'single') return { source: 'buffer', value: { type: 'single', value: iod.value } };
  }
  return { source: 'store', apply: identity };
}

/** Copies the records of `writes` that fall inside the fetched extents into `out` (laid out as fetched). */
export function paintExtents(out: Buffer, fetch: ArrayFetch, writes: readonly ArrayIod[]): Buffer {
  const size = fetch.recordSize;
  let outRecord = 0;
  for (const wanted of fetch.extents) {
    const wantedEnd = wanted.index + wanted.count;
    for (const write of writes) {
      let dataRecord = 0;
      for (const extent of write.extents) {
        const low = Math.max(wanted.index, extent.index);
        const high = Math.min(wantedEnd, extent.index + extent.count);
        if (low < high) {
          const target = (outRecord + low - wanted.index) * size;
          if (write.data === null) out.fill(0, target, target + (high - low) * size);
          else write.data.copy(out, target, (dataRecord + low - extent.index) * size, (dataRecord + high - extent.index) * size);
        }
        dataRecord += extent.count;
      }
    }
    outRecord += wanted.count;
  }
  return out;
}

function overlayArray(ops: readonly TxBufferedOp[], oid: Oid, dkey: Buffer, fetch: ArrayFetch): IodOverlay {
  const writes: ArrayIod[] = [];
  let punched = false;
  for (let index = ops.length - 1; index >= 0 && !punched; index--) {
    const op = ops[index]!;
    if (punchCovers(op, oid, dkey, fetch.akey)) punched = true;
    const iod = updateIod(op, oid, dkey, fetch.akey);
    if (iod?.type === 'array' && iod.recordSize === fetch.recordSize) writes.unshift(iod);
  }
  const records = fetch.extents.reduce((sum, extent) => sum + extent.count, 0);
  if (punched) return { source: 'buffer', value: { type: 'array', data: paintExtents(Buffer.alloc(records * fetch.recordSize), fetch, writes) } };
  if (writes.length === 0) return { source: 'store', apply: identity };
  return {
    source: 'store',
    apply: (stored) => (stored.type === 'array' ? { type: 'array', data: paintExtents(Buffer.from(stored.data), fetch, writes) } : stored),
  };
}

/** Per iod of a fetch of (oid, dkey): how the transaction's own operations change what the store holds. */
export function overlayFetch(ops: readonly TxBufferedOp[], oid: Oid, dkey: Buffer, iods: readonly FetchIodBody[]): IodOverlay[] {
  return iods.map((iod) => (iod.type === 'single' ? overlaySingle(ops, oid, dkey, iod.akey) : overlayArray(ops, oid, dkey, iod)));
}

/**
 * The dkeys of `oid` as the transaction sees them: `stored` (in their order) without those it punched,
 * then the dkeys only it wrote, in byte order.
 */
export function overlayDkeys(ops: readonly TxBufferedOp[], oid: Oid, stored: readonly Buffer[]): Buffer[] {
  const present = new Map<string, { key: Buffer; live: boolean; stored: boolean }>();
  for (const key of stored) present.set(key.toString('hex'), { key, live: true, stored: true });
  for (const op of ops) {
    if (!oidEquals(op.oid, oid)) continue;
    if (op.type === 'punch' && op.dkey === undefined) {
      for (const entry of present.values()) entry.live = false;
    } else if (op.type === 'punch' && op.akeys === undefined) {
      const entry = present.get(op.dkey!.toString('hex'));
      if (entry !== undefined) entry.live = false;
    } else if (op.type === 'update') {
      const entry = present.get(op.dkey.toString('hex'));
      if (entry === undefined) present.set(op.dkey.toString('hex'), { key: op.dkey, live: true, stored: false });
      else entry.live = true;
    }
  }
  const kept = stored.filter((key) => present.get(key.toString('hex'))!.live);
  const added = [...present.values()].filter((entry) => entry.live && !entry.stored).map((entry) => entry.key).sort(Buffer.compare);
  return [...kept, ...added];
}
