/**
 * Update: stores each iod of an op as new version rows at the op's epoch (never read-modify-write).
 * Order of work: validate, check conditionals (dkeyCond/akeyCond, ifMatch) and akey kinds and capacity
 * (all read-only), then write.
 * The caller runs this inside a transaction or savepoint, so a failure part-way leaves no trace; the
 * read-only checks first make the common failures (conditionals, INVAL, NOSPACE) cost nothing.
 */
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { BLOB_THRESHOLD_BYTES } from './constants.js';
import type { VosContext } from './context.js';
import { checkAkeyKind } from './key-index.js';
import type { UpdateIod, UpdateOp } from './operation.js';
import { AkeyKind, VersionKind, type AkeyRowLayout, type DkeyId, type ObjectId } from './schema.js';
import { NO_COVER } from './visibility.js';
import { checkRecordMatch } from './record-match.js';
import { validateKey, validateObjectRef, validateRecordMatch, validateUpdateIods, validateWriteEpoch } from './validate.js';

export function validateUpdate(op: UpdateOp): void {
  validateObjectRef(op);
  validateKey(op.dkey, 'dkey');
  validateWriteEpoch(op.epoch);
  validateUpdateIods(op.iods);
  if (op.ifMatch !== undefined) validateRecordMatch(op.ifMatch);
}

/**
 * Applies a validated update. Throws DER_EXIST / DER_NONEXIST / DER_INVAL / DER_NOSPACE before writing.
 * `options.capacity` false skips the NOSPACE check: a prepared transaction's commit must not fail.
 */
export function applyUpdate(context: VosContext, op: UpdateOp, options: { capacity?: boolean } = {}): void {
  const { keys } = context;
  const found = findUpdateTargets(context, op);
  checkUpdatePreconditions(context, op, found);
  if (options.capacity !== false) context.space.checkCapacity(updateSpaceBytes(context, op.iods));
  const objectId = found.objectId ?? keys.ensureObject(op);
  const dkeyId = found.dkeyId ?? keys.createDkey(objectId, op.dkey);
  op.iods.forEach((iod, index) => writeIod(context, dkeyId, op.epoch, iod, found.akeys[index]));
  keys.noteEpoch(objectId, op.epoch);
}

/** The read-only checks of applyUpdate (akey kinds, conditionals) without writing (DTX prepare). */
export function checkUpdate(context: VosContext, op: UpdateOp): void {
  checkUpdatePreconditions(context, op, findUpdateTargets(context, op));
}

/** Rows an update touches that exist already, looked up once. */
interface UpdateTargets {
  objectId: ObjectId | undefined;
  dkeyId: DkeyId | undefined;
  /** Per iod, in order. */
  akeys: Array<AkeyRowLayout | undefined>;
}

function findUpdateTargets(context: VosContext, op: UpdateOp): UpdateTargets {
  const objectId = context.keys.findObject(op);
  const dkeyId = objectId === undefined ? undefined : context.keys.findDkey(objectId, op.dkey);
  const akeys = op.iods.map((iod) => (dkeyId === undefined ? undefined : context.keys.findAkey(dkeyId, iod.akey)));
  return { objectId, dkeyId, akeys };
}

/** Bytes the iods will add to dataBytes (blob payloads count their aligned allocation). */
export function updateSpaceBytes(context: VosContext, iods: UpdateIod[]): number {
  let total = 0;
  const charge = (length: number): void => {
    total += length >= BLOB_THRESHOLD_BYTES ? context.blob.allocationBytes(length) : length;
  };
  for (const iod of iods) {
    if (iod.type === 'single') {
      charge(iod.value.length);
    } else if (iod.data !== null) {
      for (const extent of iod.extents) charge(extent.count * iod.recordSize);
    }
  }
  return total;
}

function checkUpdatePreconditions(context: VosContext, op: UpdateOp, found: UpdateTargets): void {
  op.iods.forEach((iod, index) => {
    const row = found.akeys[index];
    if (row !== undefined) checkAkeyKind(row, iod.type === 'single' ? AkeyKind.single : AkeyKind.array, iodRecordSize(iod));
  });
  if (op.ifMatch !== undefined) checkRecordMatch(context, op.dkey, op.ifMatch, op);
  if (op.dkeyCond === undefined && op.akeyCond === undefined) return;
  const { visibility } = context;
  const { objectId, dkeyId } = found;
  const objectCover = objectId === undefined ? NO_COVER : visibility.objectCover(objectId, EPOCH_MAX);
  if (op.dkeyCond !== undefined) {
    const exists = dkeyId !== undefined && visibility.dkeyExists(dkeyId, objectCover, EPOCH_MAX);
    if (op.dkeyCond === 'insert' && exists) throw new EngineError(Der.EXIST, 'dkey exists');
    if (op.dkeyCond === 'update' && !exists) throw new EngineError(Der.NONEXIST, 'dkey does not exist');
  }
  if (op.akeyCond === undefined) return;
  const dkeyCover = dkeyId === undefined ? NO_COVER : visibility.dkeyCover(objectCover, dkeyId, EPOCH_MAX);
  for (const row of found.akeys) {
    const exists = row !== undefined && visibility.akeyExists(row.id, dkeyCover, EPOCH_MAX);
    if (op.akeyCond === 'insert' && exists) throw new EngineError(Der.EXIST, 'akey exists');
    if (op.akeyCond === 'update' && !exists) throw new EngineError(Der.NONEXIST, 'akey does not exist');
  }
}

function iodRecordSize(iod: UpdateIod): number {
  return iod.type === 'single' ? 0 : iod.recordSize;
}

/**
 * Writes one iod's version rows; `known` is the akey row if it was looked up in this op. Also used by
 * ingest.
 */
export function writeIod(context: VosContext, dkeyId: DkeyId, epoch: number, iod: UpdateIod, known?: AkeyRowLayout): void {
  if (iod.type === 'single') {
    const akeyId = context.keys.ensureAkey(dkeyId, iod.akey, AkeyKind.single, 0, known);
    context.versions.insert({ akeyId, epoch, kind: VersionKind.single, lo: 0, hi: 0, data: iod.value });
    return;
  }
  const akeyId = context.keys.ensureAkey(dkeyId, iod.akey, AkeyKind.array, iod.recordSize, known);
  let offset = 0;
  for (const extent of iod.extents) {
    const lengthBytes = extent.count * iod.recordSize;
    const data = iod.data === null ? null : iod.data.subarray(offset, offset + lengthBytes);
    offset += lengthBytes;
    context.versions.insert({
      akeyId,
      epoch,
      kind: data === null ? VersionKind.extentPunch : VersionKind.extent,
      lo: extent.index,
      hi: extent.index + extent.count,
      data,
    });
  }
}
