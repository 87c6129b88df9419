/**
 * The checks a TX_PREPARE makes for each of its operations, in order (README "TX_PREPARE"):
 *   1. another transaction's intent on the key, or on the object -> DER_TX_RESTART
 *   2. a transactional read of the key (or object) above the epoch -> DER_TX_RESTART
 *   3. anything committed on the key (or object) above the epoch -> DER_TX_RESTART
 *   4. the op's own conditions, seen as of "newest" like VOS does -> DER_EXIST / DER_NONEXIST; akey kinds
 *      (DER_INVAL), also across the ops of the transaction
 * Read-only: the caller records intents only after every op passed, so a failure leaves nothing behind.
 */
import type Database from 'better-sqlite3';
import type { Epoch } from '../../wire/epoch.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { VosContext } from '../context.js';
import { checkPunchTargetExists } from '../punch.js';
import { PunchLevel } from '../schema.js';
import { checkUpdate, validateUpdate } from '../update.js';
import { validatePunch } from '../validate.js';
import { conflictKeysOf, type ConflictKeys, type TxKey } from './conflict-key.js';
import type { LockIndex } from './lock-index.js';
import type { DtxKeyRef, DtxOp } from './operation.js';
import type { ReadStamps } from './read-stamps.js';

function restart(detail: string): never {
  throw new EngineError(Der.TX_RESTART, detail);
}

/** The newest committed epoch on a dkey or an object shard, for the write-write rule. */
export class CommittedEpochs {
  private readonly dkeyNewest: Database.Statement<[{ dkey: number }], { e: number | null }>;
  private readonly objectPunchNewest: Database.Statement<[number, number], { e: number | null }>;

  constructor(private readonly context: VosContext) {
    this.dkeyNewest = context.db.prepare(`
      SELECT max(e) AS e FROM (
        SELECT (SELECT max(epoch) FROM versions WHERE akey = a.id) AS e FROM akeys a WHERE a.dkey = @dkey
        UNION ALL SELECT (SELECT max(epoch) FROM punches WHERE level = ${PunchLevel.akey} AND target = a.id) FROM akeys a WHERE a.dkey = @dkey
        UNION ALL SELECT max(epoch) FROM punches WHERE level = ${PunchLevel.dkey} AND target = @dkey)`);
    this.objectPunchNewest = context.db.prepare('SELECT max(epoch) AS e FROM punches WHERE level = ? AND target = ?');
  }

  /** True when a version or punch committed on the ref's dkey (or, without dkey, its object) is above `epoch`. */
  newerThan(ref: DtxKeyRef, epoch: number): boolean {
    const { keys } = this.context;
    const objectId = keys.findObject(ref);
    // The object's high-water epoch covers everything under it: the common case costs one cached lookup.
    if (objectId === undefined || keys.maxEpoch(objectId) <= epoch) return false;
    if (ref.dkey === undefined) return true;
    if ((this.objectPunchNewest.get(PunchLevel.object, objectId)?.e ?? 0) > epoch) return true;
    const dkeyId = keys.findDkey(objectId, ref.dkey);
    return dkeyId !== undefined && (this.dkeyNewest.get({ dkey: dkeyId })?.e ?? 0) > epoch;
  }
}

export interface PrepareCheckDeps {
  readonly context: VosContext;
  readonly locks: LockIndex;
  readonly stamps: ReadStamps;
  readonly committed: CommittedEpochs;
}

/** Validates every op of a prepare (DER_INVAL) before anything is looked up. */
export function validatePrepareOps(cont: string, epoch: Epoch, ops: readonly DtxOp[]): void {
  for (const op of ops) {
    if (op.type === 'update') validateUpdate({ cont, oid: op.oid, shard: op.shard, dkey: op.dkey, epoch, iods: op.iods });
    else validatePunch({ cont, oid: op.oid, shard: op.shard, epoch, dkey: op.dkey, akeys: op.akeys });
  }
  checkAkeyShapesAcrossOps(ops);
}

/** Runs checks 1-4 for one op of transaction `tx`; returns the keys the op will lock. */
export function checkPrepareOp(deps: PrepareCheckDeps, request: { tx: TxKey; cont: string; epoch: Epoch }, op: DtxOp): ConflictKeys {
  const { tx, cont, epoch } = request;
  const ref: DtxKeyRef = { cont, oid: op.oid, shard: op.shard, dkey: op.dkey };
  const keys = conflictKeysOf(ref);
  if (keys.dkey === undefined) {
    if (deps.locks.objectMembersExcept(keys.object, tx).next().done !== true) restart('another transaction holds keys of the object');
    if (epoch < deps.stamps.objectStamp(keys.object)) restart('the object was read at a later epoch');
  } else {
    if (deps.locks.dkeyHolder(keys, tx) !== undefined) restart('another transaction holds the dkey');
    if (epoch < deps.stamps.dkeyStamp(keys.object, keys.dkey)) restart('the dkey was read at a later epoch');
  }
  if (deps.committed.newerThan(ref, epoch)) restart('a newer version is committed');
  if (op.type === 'update') {
    checkUpdate(deps.context, { ...ref, dkey: op.dkey, epoch, iods: op.iods, dkeyCond: op.dkeyCond, akeyCond: op.akeyCond });
  } else if (op.ifExists === true) {
    checkPunchTargetExists(deps.context, { ...ref, epoch, akeys: op.akeys, ifExists: true });
  }
  return keys;
}

/** An akey written by two ops of one transaction must be written the same way (kind, record size). */
function checkAkeyShapesAcrossOps(ops: readonly DtxOp[]): void {
  const shapes = new Map<string, string>();
  for (const op of ops) {
    if (op.type !== 'update') continue;
    const prefix = `${op.oid.toString('hex')}/${op.shard}/${op.dkey.toString('hex')}/`;
    for (const iod of op.iods) {
      const name = prefix + iod.akey.toString('hex');
      const shape = iod.type === 'single' ? 'single' : `array:${iod.recordSize}`;
      const seen = shapes.get(name);
      if (seen !== undefined && seen !== shape) throw new EngineError(Der.INVAL, 'one akey written as two value types in one transaction');
      shapes.set(name, shape);
    }
  }
}
