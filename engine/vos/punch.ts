/**
 * Punch: records an object-shard, dkey or akey punch at the op's epoch. Key rows are created when missing,
 * so a punch that arrives before an older update (replication, resync) still hides it. ifExists and
 * ifMatch check the newest state (EPOCH_MAX) before anything is written. Extent punches are updates
 * (update.ts).
 */
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { VosContext } from './context.js';
import type { PunchOp } from './operation.js';
import { checkRecordMatch } from './record-match.js';
import { AkeyKind, PunchLevel } from './schema.js';

/** Applies a validated punch. DER_NONEXIST when ifExists and the target is absent, or ifMatch does not match. */
export function applyPunch(context: VosContext, op: PunchOp): void {
  if (op.ifExists === true) checkPunchTargetExists(context, op);
  if (op.ifMatch !== undefined) checkRecordMatch(context, op.dkey!, op.ifMatch, op);
  const { keys, punches } = context;
  const objectId = keys.ensureObject(op);
  keys.markPunched(objectId);
  if (op.dkey === undefined) {
    punches.record(PunchLevel.object, objectId, op.epoch);
  } else if (op.akeys === undefined) {
    punches.record(PunchLevel.dkey, keys.ensureDkey(objectId, op.dkey), op.epoch);
  } else {
    const dkeyId = keys.ensureDkey(objectId, op.dkey);
    for (const akey of op.akeys) {
      punches.record(PunchLevel.akey, keys.ensureAkey(dkeyId, akey, AkeyKind.unset, 0), op.epoch);
    }
  }
  keys.noteEpoch(objectId, op.epoch);
}

/** DER_NONEXIST unless the punch's target (object, dkey or every akey) exists at EPOCH_MAX. Read-only. */
export function checkPunchTargetExists(context: VosContext, op: PunchOp): void {
  const { keys, visibility } = context;
  const absent = (what: string): never => {
    throw new EngineError(Der.NONEXIST, `${what} does not exist`);
  };
  const objectId = keys.findObject(op);
  if (objectId === undefined) return absent('object');
  if (op.dkey === undefined) {
    if (!visibility.objectExists(objectId, EPOCH_MAX)) absent('object');
    return;
  }
  const dkeyId = keys.findDkey(objectId, op.dkey);
  if (dkeyId === undefined) return absent('dkey');
  const objectCover = visibility.objectCover(objectId, EPOCH_MAX);
  if (op.akeys === undefined) {
    if (!visibility.dkeyExists(dkeyId, objectCover, EPOCH_MAX)) absent('dkey');
    return;
  }
  const dkeyCover = visibility.dkeyCover(objectCover, dkeyId, EPOCH_MAX);
  for (const akey of op.akeys) {
    const row = keys.findAkey(dkeyId, akey);
    if (row === undefined || !visibility.akeyExists(row.id, dkeyCover, EPOCH_MAX)) absent('akey');
  }
}

