/**
 * VosRecord: one raw version or punch as exported for resync (exportSince) and applied by ingest.
 * Plain data (Buffers, numbers, strings), so it can travel in msgpack unchanged. A record carries its full
 * key path and epoch, never a target-local id or seq; ingest re-stamps it with the receiver's own seq,
 * in the order records are given (exportSince returns them in the sender's arrival order).
 */
import type { Epoch } from '../wire/epoch.js';
import type { Extent } from './operation.js';

interface VosRecordBase {
  cont: string;
  oid: Buffer;
  /** The sender's shard index; ingest overrides it with the receiver's. */
  shard: number;
  epoch: Epoch;
}

/** A single-value version. */
export interface SingleVosRecord extends VosRecordBase {
  kind: 'single';
  dkey: Buffer;
  akey: Buffer;
  value: Buffer;
}

/** One array extent; data null is an extent punch. */
export interface ArrayVosRecord extends VosRecordBase {
  kind: 'array';
  dkey: Buffer;
  akey: Buffer;
  recordSize: number;
  extent: Extent;
  data: Buffer | null;
}

export interface ObjectPunchVosRecord extends VosRecordBase {
  kind: 'punchObject';
}

export interface DkeyPunchVosRecord extends VosRecordBase {
  kind: 'punchDkey';
  dkey: Buffer;
}

export interface AkeyPunchVosRecord extends VosRecordBase {
  kind: 'punchAkey';
  dkey: Buffer;
  akey: Buffer;
}

export type VosRecord =
  | SingleVosRecord
  | ArrayVosRecord
  | ObjectPunchVosRecord
  | DkeyPunchVosRecord
  | AkeyPunchVosRecord;

/** Payload bytes a record carries (for export size caps). */
export function recordPayloadBytes(record: VosRecord): number {
  if (record.kind === 'single') return record.value.length;
  if (record.kind === 'array') return record.data?.length ?? 0;
  return 0;
}
