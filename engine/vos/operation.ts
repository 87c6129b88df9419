/**
 * The public shapes of VOS operations: I/O descriptors (iods), extents, and the op objects that
 * VosTarget methods take. Plain data only (Buffers, numbers, strings) so the server can build them
 * straight from decoded RPCs. Nothing here touches storage; validate.ts checks them.
 */
import type { Epoch } from '../wire/epoch.js';

/** A run of array records: records [index, index + count). Units are records, not bytes. */
export interface Extent {
  index: number;
  count: number;
}

/**
 * What one update does to one akey.
 * - single: the value replaces the akey's single value at the op's epoch (an empty value is a value).
 * - array: `data` is the concatenation of the extents' records, in order (length = sum(count) * recordSize);
 *   `data: null` punches the extents (they read as zeros at epochs >= the op's epoch).
 */
export type UpdateIod =
  | { akey: Buffer; type: 'single'; value: Buffer }
  | { akey: Buffer; type: 'array'; recordSize: number; extents: Extent[]; data: Buffer | null };

/** What one fetch reads from one akey. */
export type FetchIod =
  | { akey: Buffer; type: 'single' }
  | { akey: Buffer; type: 'array'; recordSize: number; extents: Extent[] };

/**
 * One fetched akey, in iod order. single: null when no value is visible at the epoch.
 * array: the requested extents' records concatenated; holes and punched records are zero bytes. `filled`
 * counts the records that hold written data (all of them: no hole, so a reader needs no size query).
 */
export type FetchValue =
  | { type: 'single'; value: Buffer | null }
  | { type: 'array'; data: Buffer; filled: number; blob?: BlobPlaces };

/**
 * A placed array answer (FetchOp.placed): the bytes at `places` are in the data blob file, the rest of the
 * answer is `data` (the bytes between the places, in order). `places` holds triples: offset in the
 * answer, offset in the file, length, in answer order.
 */
export interface BlobPlaces {
  path: string;
  ino: number;
  places: number[];
}

/** Names one object shard on this target. `oid` is 16 bytes. */
export interface ObjectRef {
  cont: string;
  oid: Buffer;
  shard: number;
}

/**
 * Conditionals are checked against the newest state (EPOCH_MAX), before anything is written:
 * dkeyCond/akeyCond 'insert' -> DER_EXIST when present, 'update' -> DER_NONEXIST when absent; ifMatch ->
 * DER_NONEXIST unless the records match (record-match.ts: a compare-and-update, so a caller can change a
 * key it read without reading it again first).
 */
export interface UpdateOp extends ObjectRef {
  dkey: Buffer;
  epoch: Epoch;
  iods: UpdateIod[];
  dkeyCond?: 'insert' | 'update';
  akeyCond?: 'insert' | 'update';
  ifMatch?: RecordMatch;
}

/** dkeyCond 'exists': DER_NONEXIST when the dkey has no visible value at the fetch epoch. */
export interface FetchOp extends ObjectRef {
  dkey: Buffer;
  epoch: Epoch;
  iods: FetchIod[];
  dkeyCond?: 'exists';
  /** Array bytes held in the data blob may be answered by place (BlobPlaces) when local reads are on. */
  placed?: boolean;
}

/**
 * A compare for conditional punches and updates: the array akey `akey` (of the op's dkey) holds exactly
 * `data` in `extents` (records of `recordSize` bytes, concatenated in order), as the newest state reads them.
 */
export interface RecordMatch {
  akey: Buffer;
  recordSize: number;
  extents: Extent[];
  data: Buffer;
}

/**
 * No dkey: punch the object shard. dkey only: punch the dkey. dkey + akeys: punch those akeys.
 * ifExists: DER_NONEXIST (and nothing punched) when the target (object, dkey, or any akey) is absent.
 * ifMatch (with a dkey): DER_NONEXIST (and nothing punched) unless the records match: a compare-and-punch,
 * so a caller that read a key can remove it only while it still holds what was read.
 */
export interface PunchOp extends ObjectRef {
  epoch: Epoch;
  dkey?: Buffer;
  akeys?: Buffer[];
  ifExists?: boolean;
  ifMatch?: RecordMatch;
}

/** anchor: null to start, then the anchor of the previous result. dkey given: list its akeys. */
export interface ListOp extends ObjectRef {
  epoch: Epoch;
  anchor: Buffer | null;
  limit: number;
  dkey?: Buffer;
}

/** Keys in byte order; anchor null when the listing is complete. */
export interface ListResult {
  keys: Buffer[];
  anchor: Buffer | null;
}

/** A dkey listing that also reads, for each listed dkey, the values of `iods` and its first `akeysLimit` akeys. */
export interface ListValuesOp extends ListOp {
  iods?: FetchIod[];
  akeysLimit?: number;
}

/** `values[i]` and `akeys[i]` belong to `keys[i]` (each present when asked for). */
export interface ListValuesResult extends ListResult {
  values?: FetchValue[][];
  akeys?: Buffer[][];
}

export interface QueryMaxOp extends ObjectRef {
  akey: Buffer;
  epoch: Epoch;
}

/** The greatest dkey holding visible array data for the akey, and the end (in records) of its data. */
export interface QueryMaxResult {
  dkey: Buffer | null;
  end: number;
}

export interface AggregateOptions {
  /** Snapshot epochs whose reads must not change. */
  retained: Epoch[];
  /** Only versions at or below this epoch are considered; reads at >= upTo must not change. */
  upTo: Epoch;
  /** Soft bound on versions examined in this call; call again until `done`. Omitted: one full pass. */
  limit?: number;
}

export interface AggregateResult {
  versionsRemoved: number;
  /** Version and akey rows this call looked at (objects unchanged since a complete walk are skipped). */
  rowsExamined: number;
  bytesFreed: number;
  done: boolean;
}

export interface VosUsage {
  /** Bytes of the sqlite database (pages in use by metadata, small values and indexes). */
  metadataBytes: number;
  /** Value bytes held: blob bytes allocated to versions plus inline value bytes. */
  dataBytes: number;
  /** Size of the data blob file (at least the end of its last allocation). */
  blobFileBytes: number;
  /** Bytes of the data blob file that no version references (reusable). */
  blobFreeBytes: number;
}

export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface VosLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface VosOpenOptions {
  dir: string;
  /** Updates that would take dataBytes above this fail with DER_NOSPACE. Omitted: unlimited. */
  capacityBytes?: number;
  logger?: VosLogger;
  /** Allows placed fetch answers, read in place by clients on this host within half this lease (DataBlob). */
  localReadLeaseMs?: number;
}
