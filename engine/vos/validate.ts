/**
 * Input validation for VOS operations. The server validates requests too, but the store must never
 * corrupt itself: every public VosTarget entry point calls these before touching storage, and each
 * failure is EngineError(DER_INVAL). Pure functions; they return derived sizes the caller needs.
 */
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import {
  ARRAY_INDEX_END_MAX,
  CONT_ID_CHARS_MAX,
  EXTENTS_PER_IOD_MAX,
  IODS_PER_OP_MAX,
  IO_BYTES_MAX,
  KEY_BYTES_MAX,
  KEY_BYTES_MIN,
  LIST_LIMIT_MAX,
  OID_BYTES,
  PUNCH_AKEYS_MAX,
  RECORD_SIZE_BYTES_MAX,
  RECORD_SIZE_BYTES_MIN,
  SHARD_INDEX_MAX,
} from './constants.js';
import type { Extent, FetchIod, ObjectRef, PunchOp, RecordMatch, UpdateIod } from './operation.js';

function invalid(detail: string): never {
  throw new EngineError(Der.INVAL, detail);
}

export function validateObjectRef(ref: ObjectRef): void {
  if (typeof ref.cont !== 'string' || ref.cont.length === 0 || ref.cont.length > CONT_ID_CHARS_MAX) {
    invalid('container id must be a non-empty string');
  }
  if (!Buffer.isBuffer(ref.oid) || ref.oid.length !== OID_BYTES) invalid(`oid must be ${OID_BYTES} bytes`);
  if (!Number.isInteger(ref.shard) || ref.shard < 0 || ref.shard > SHARD_INDEX_MAX) invalid('bad shard index');
}

export function validateKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length < KEY_BYTES_MIN || key.length > KEY_BYTES_MAX) {
    invalid(`${what} must be ${KEY_BYTES_MIN}..${KEY_BYTES_MAX} bytes`);
  }
}

/** Epoch of a read: 0..EPOCH_MAX. */
export function validateReadEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) invalid('bad epoch');
}

/** Epoch of a write: 0..EPOCH_MAX-1 (EPOCH_MAX means "newest" and is not a version). */
export function validateWriteEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch >= EPOCH_MAX) invalid('bad write epoch');
}

export function validateRecordSize(recordSize: number): void {
  if (!Number.isInteger(recordSize) || recordSize < RECORD_SIZE_BYTES_MIN || recordSize > RECORD_SIZE_BYTES_MAX) {
    invalid('bad record size');
  }
}

/** Checks extents and returns their total record count. */
export function validateExtents(extents: Extent[]): number {
  if (!Array.isArray(extents) || extents.length === 0 || extents.length > EXTENTS_PER_IOD_MAX) {
    invalid(`an array iod needs 1..${EXTENTS_PER_IOD_MAX} extents`);
  }
  let records = 0;
  for (const extent of extents) {
    const { index, count } = extent;
    if (!Number.isSafeInteger(index) || index < 0) invalid('extent index must be a non-negative integer');
    if (!Number.isSafeInteger(count) || count < 1) invalid('extent count must be at least 1');
    if (index + count > ARRAY_INDEX_END_MAX) invalid('extent end out of range');
    records += count;
  }
  return records;
}

function validateIodCount(count: number): void {
  if (count === 0 || count > IODS_PER_OP_MAX) invalid(`an op needs 1..${IODS_PER_OP_MAX} iods`);
}

/** Checks update iods and returns the payload bytes they carry. */
export function validateUpdateIods(iods: UpdateIod[]): number {
  if (!Array.isArray(iods)) invalid('iods must be an array');
  validateIodCount(iods.length);
  let payloadBytes = 0;
  for (const iod of iods) {
    validateKey(iod.akey, 'akey');
    if (iod.type === 'single') {
      if (!Buffer.isBuffer(iod.value)) invalid('single value must be a Buffer');
      payloadBytes += iod.value.length;
    } else if (iod.type === 'array') {
      validateRecordSize(iod.recordSize);
      const records = validateExtents(iod.extents);
      if (iod.data !== null) {
        if (!Buffer.isBuffer(iod.data)) invalid('array data must be a Buffer or null');
        if (iod.data.length !== records * iod.recordSize) invalid('array data length does not match extents');
        payloadBytes += iod.data.length;
      }
    } else {
      invalid('iod type must be single or array');
    }
    if (payloadBytes > IO_BYTES_MAX) invalid(`update payload over ${IO_BYTES_MAX} bytes`);
  }
  if (iods.length > 1) checkRepeatedAkeys(iods);
  return payloadBytes;
}

/** An akey named twice in one update must be written the same way both times. */
function checkRepeatedAkeys(iods: UpdateIod[]): void {
  const shapes = new Map<string, string>();
  for (const iod of iods) {
    const name = iod.akey.toString('latin1');
    const shape = iod.type === 'single' ? 'single' : `array:${iod.recordSize}`;
    const seen = shapes.get(name);
    if (seen !== undefined && seen !== shape) invalid('one akey written as two value types in one update');
    shapes.set(name, shape);
  }
}

/** Checks fetch iods and returns the bytes the reply will carry for arrays. */
export function validateFetchIods(iods: FetchIod[]): number {
  if (!Array.isArray(iods)) invalid('iods must be an array');
  validateIodCount(iods.length);
  let replyBytes = 0;
  for (const iod of iods) {
    validateKey(iod.akey, 'akey');
    if (iod.type === 'array') {
      validateRecordSize(iod.recordSize);
      replyBytes += validateExtents(iod.extents) * iod.recordSize;
      if (replyBytes > IO_BYTES_MAX) invalid(`fetch reply over ${IO_BYTES_MAX} bytes`);
    } else if (iod.type !== 'single') {
      invalid('iod type must be single or array');
    }
  }
  return replyBytes;
}

/** A compare-and-write's records (record-match.ts). */
export function validateRecordMatch(match: RecordMatch): void {
  validateKey(match.akey, 'akey');
  validateRecordSize(match.recordSize);
  const records = validateExtents(match.extents);
  if (!Buffer.isBuffer(match.data) || match.data.length !== records * match.recordSize) invalid('ifMatch data must hold the records of its extents');
}

export function validatePunch(op: PunchOp): void {
  validateObjectRef(op);
  validateWriteEpoch(op.epoch);
  if (op.dkey !== undefined) validateKey(op.dkey, 'dkey');
  if (op.ifMatch !== undefined) {
    if (op.dkey === undefined) invalid('ifMatch needs a dkey');
    validateRecordMatch(op.ifMatch);
  }
  if (op.akeys === undefined) return;
  if (op.dkey === undefined) invalid('akeys punch needs a dkey');
  if (!Array.isArray(op.akeys) || op.akeys.length === 0 || op.akeys.length > PUNCH_AKEYS_MAX) {
    invalid(`akeys punch needs 1..${PUNCH_AKEYS_MAX} akeys`);
  }
  for (const akey of op.akeys) validateKey(akey, 'akey');
}

export function validateListLimit(limit: number, anchor: Buffer | null): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) invalid(`list limit must be 1..${LIST_LIMIT_MAX}`);
  if (anchor !== null) validateKey(anchor, 'anchor');
}
