/**
 * Dtx: the transaction side of one VOS target (VosTarget.dtx). Participants keep prepared intents (durable
 * rows + an in-memory lock index), read timestamps and the conflict rules; coordinators keep decisions.
 * Every mutating call is one atomic scope of the target (its own sqlite transaction, or a savepoint of the
 * enclosing runBatch), so a prepare either records all its ops or nothing, and a finish applies all of a
 * transaction's intents as ordinary versions and drops them, or does nothing.
 * Must not: talk to other targets or engines (the server does: engine/server/tx/), or apply an intent twice.
 */
import { Der, EngineError } from '../../wire/errors.js';
import { asEpoch, type Epoch } from '../../wire/epoch.js';
import { DTX_INTENTS_PER_TARGET_MAX, DTX_OPS_PER_PREPARE_MAX, READ_STAMPS_ENTRIES_MAX, RTS_BOUND_AHEAD_EPOCHS } from '../constants.js';
import type { VosContext } from '../context.js';
import { applyPunch } from '../punch.js';
import type { UndoLog } from '../undo-log.js';
import { applyUpdate, updateSpaceBytes } from '../update.js';
import { validateWriteEpoch } from '../validate.js';
import { conflictKeysOf, txKeyOf, type TxKey } from './conflict-key.js';
import { DecisionStore } from './decision-store.js';
import { IntentStore } from './intent-store.js';
import { decodeIntentOps, encodeIntentOps, type IntentRowLayout } from './layout.js';
import { LockIndex } from './lock-index.js';
import type {
  DtxDecision, DtxIntent, DtxKeyRef, DtxPrepareOutcome, DtxPrepareRequest, DtxRead, DtxResolution, DtxStepHooks,
  DtxWrite, Txid,
} from './operation.js';
import { checkPrepareOp, CommittedEpochs, validatePrepareOps } from './prepare-checks.js';
import { ReadStamps } from './read-stamps.js';

const TXID_BYTES = 16;

/** Runs `fn` as one atomic scope of the target (VosTarget's transactor). */
export type AtomicScope = <T>(fn: () => T) => T;

export class Dtx {
  private readonly locks: LockIndex;
  private readonly stamps: ReadStamps;
  private readonly intents: IntentStore;
  private readonly decisions: DecisionStore;
  private readonly committed: CommittedEpochs;
  /** Highest `upTo` aggregation ran with; intents at or below it could never be applied (README of vos). */
  private aggregatedUpTo = 0;

  constructor(
    private readonly context: VosContext,
    undo: UndoLog,
    private readonly atomic: AtomicScope,
  ) {
    this.locks = new LockIndex(undo);
    this.stamps = new ReadStamps(context.meta, undo, { entriesMax: READ_STAMPS_ENTRIES_MAX, boundAheadEpochs: RTS_BOUND_AHEAD_EPOCHS });
    this.intents = new IntentStore(context.db);
    this.decisions = new DecisionStore(context.db);
    this.committed = new CommittedEpochs(context);
    for (const row of this.intents.all()) this.lockStoredPart(row);
  }

  /**
   * Checks the ops (README "TX_PREPARE") and durably records them as intents of `request.txid`, locking
   * their keys. Same txid and same ops again: 'repeated', nothing checked or changed. Throws
   * DER_TX_RESTART (conflict), DER_EXIST / DER_NONEXIST (conditions), DER_INVAL, DER_BUSY (too many
   * transactions prepared here), DER_NOSPACE; on any error nothing is recorded.
   */
  prepare(request: DtxPrepareRequest, hooks: DtxStepHooks = {}): DtxPrepareOutcome {
    checkTxid(request.txid);
    if (request.ops.length > DTX_OPS_PER_PREPARE_MAX) throw new EngineError(Der.INVAL, `more than ${DTX_OPS_PER_PREPARE_MAX} ops`);
    validateWriteEpoch(request.epoch);
    validatePrepareOps(request.cont, request.epoch, request.ops);
    const tx = txKeyOf(request.txid);
    const encoded = encodeIntentOps(request.cont, request.ops);
    return this.atomic(() => {
      const held = this.locks.intent(tx);
      if (held !== undefined) {
        checkSameAttempt(held, request);
        if (this.intents.hasPart(request.txid, encoded.digest)) return 'repeated';
      } else if (this.locks.size >= DTX_INTENTS_PER_TARGET_MAX) {
        throw new EngineError(Der.BUSY, `${DTX_INTENTS_PER_TARGET_MAX} transactions already prepared on this target`);
      }
      if (request.epoch <= this.aggregatedUpTo) throw new EngineError(Der.TX_RESTART, 'epoch below the aggregated range');
      const deps = { context: this.context, locks: this.locks, stamps: this.stamps, committed: this.committed };
      const keys = request.ops.map((op) => checkPrepareOp(deps, { tx, cont: request.cont, epoch: request.epoch }, op));
      this.context.space.checkCapacity(request.ops.reduce((sum, op) => sum + (op.type === 'update' ? updateSpaceBytes(this.context, op.iods) : 0), 0));
      hooks.beforePersist?.();
      const txid = Buffer.from(request.txid);
      this.intents.insert({
        txid, digest: encoded.digest, cont: request.cont, epoch: request.epoch, coordinator: request.coordinator,
        preparedMs: request.nowMs, ops: encoded.bytes,
      });
      const intent: DtxIntent = held === undefined
        ? { txid, cont: request.cont, epoch: request.epoch, coordinator: { ...request.coordinator }, preparedMs: request.nowMs, parts: 1 }
        : { ...held, parts: held.parts + 1 };
      this.locks.addPart(tx, intent, keys);
      return 'prepared';
    });
  }

  /**
   * Applies a decision to the transaction's intents here: commit writes every op as an ordinary version or
   * punch at the transaction's epoch; both drop the intents and their locks. Returns the prepares finished
   * (0: nothing was prepared here, which is success too: the call is idempotent). `forgetDecision`, at the
   * coordinator: the caller knows every other participant applied `decision`, so the decision recorded here
   * is dropped in the same store transaction (only when it is `decision`).
   */
  finish(txid: Txid, decision: DtxDecision, hooks: DtxStepHooks = {}, forgetDecision = false): number {
    checkTxid(txid);
    const tx = txKeyOf(txid);
    return this.atomic(() => {
      if (forgetDecision && this.decisions.get(txid) === decision) this.decisions.remove(txid);
      const held = this.locks.intent(tx);
      if (held === undefined) return 0;
      hooks.beforeApply?.();
      if (decision === 'commit') for (const row of this.intents.partsOf(txid)) this.applyPart(row);
      this.intents.removeAllOf(txid);
      this.locks.remove(tx);
      return held.parts;
    });
  }

  /** Coordinator: records `decision` unless one exists; returns the decision that stands. */
  decide(txid: Txid, decision: DtxDecision, epoch: number, nowMs: number): { decision: DtxDecision; recorded: boolean } {
    checkTxid(txid);
    return this.atomic(() => this.decisions.recordFirst(Buffer.from(txid), decision, epoch, nowMs));
  }

  /** Coordinator: the recorded decision; when none, records 'abort' first if `abortIfUndecided`. */
  resolve(txid: Txid, abortIfUndecided: boolean, nowMs: number): DtxResolution {
    checkTxid(txid);
    const recorded = this.decisions.get(txid);
    if (recorded !== undefined || !abortIfUndecided) return recorded ?? 'undecided';
    return this.decide(txid, 'abort', 0, nowMs).decision;
  }

  /**
   * Coordinator: forgets up to `limit` aborts decided before `beforeMs` (wall time); returns how many. An
   * abort is only worth keeping while its client may still ask to commit (a forgotten one is what an
   * undecided transaction resolves to anyway).
   */
  forgetAbortsBefore(beforeMs: number, limit: number): number {
    return this.atomic(() => this.decisions.removeAbortsBefore(beforeMs, limit));
  }

  /** Coordinator: the recorded decision, if any. */
  decision(txid: Txid): DtxDecision | undefined {
    return this.decisions.get(txid);
  }

  /** The transaction's intents here, if it has any. */
  intent(txid: Txid): DtxIntent | undefined {
    return this.locks.intent(txKeyOf(txid));
  }

  /**
   * The intent of another transaction that a read must wait for: on the read's dkey or its whole object
   * (dkey reads), or anywhere in the object shard (object reads), at an epoch at or below the read's.
   */
  readBlocker(read: DtxRead): DtxIntent | undefined {
    if (this.locks.size === 0) return undefined;
    const self = read.tx === undefined ? undefined : txKeyOf(read.tx);
    for (const tx of this.holders(read, self)) {
      const intent = this.locks.intent(tx);
      if (intent !== undefined && intent.epoch <= read.epoch) return intent;
    }
    return undefined;
  }

  /** The intents of other transactions holding keys that the prepare's ops would lock (distinct). */
  prepareBlockers(request: Pick<DtxPrepareRequest, 'txid' | 'cont' | 'ops'>): DtxIntent[] {
    if (this.locks.size === 0) return [];
    const self = txKeyOf(request.txid);
    const found = new Map<TxKey, DtxIntent>();
    for (const op of request.ops) {
      for (const tx of this.holders({ cont: request.cont, oid: op.oid, shard: op.shard, dkey: op.dkey }, self)) {
        const intent = this.locks.intent(tx);
        if (intent !== undefined) found.set(tx, intent);
      }
    }
    return [...found.values()];
  }

  /** Records the read timestamp of a transactional read (no-op without `read.tx`). */
  recordRead(read: DtxRead): void {
    if (read.tx === undefined) return;
    const keys = conflictKeysOf(read);
    if (keys.dkey === undefined) this.stamps.recordObject(keys.object, read.epoch);
    else this.stamps.recordDkey(keys.object, keys.dkey, read.epoch);
  }

  /** The intent a non-transactional write to `ref` must wait for (any epoch), if any. */
  writeBlocker(ref: DtxKeyRef): DtxIntent | undefined {
    if (this.locks.size === 0) return undefined;
    for (const tx of this.holders(ref, undefined)) return this.locks.intent(tx);
    return undefined;
  }

  /** DER_TX_RESTART when a non-transactional write would land below a transactional read. */
  checkWriteStamps(write: DtxWrite): void {
    if (this.stamps.isEmpty()) return;
    const keys = conflictKeysOf(write);
    const stamp = keys.dkey === undefined ? this.stamps.objectStamp(keys.object) : this.stamps.dkeyStamp(keys.object, keys.dkey);
    if (write.epoch < stamp) throw new EngineError(Der.TX_RESTART, `write at ${write.epoch} below a read at ${stamp}`);
  }

  /** Up to `limit` transactions whose oldest prepare here is older than `beforeMs` (wall time). */
  intentsPreparedBefore(beforeMs: number, limit: number): DtxIntent[] {
    const found: DtxIntent[] = [];
    for (const intent of this.locks.intents()) {
      if (found.length >= limit) break;
      if (intent.preparedMs < beforeMs) found.push(intent);
    }
    return found;
  }

  intentCount(): number {
    return this.locks.size;
  }

  decisionCount(): number {
    return this.decisions.count();
  }

  /** The read-timestamp low-water mark (rts of every key without an entry). */
  readStampLowWater(): number {
    return this.stamps.lowWaterMark();
  }

  /**
   * The aggregation bound to use instead of `upTo`: below every prepared intent, whose versions will land at
   * their epoch later. Records it, so later prepares at or below it restart.
   */
  capAggregation(upTo: Epoch): Epoch {
    let capped: number = upTo;
    for (const intent of this.locks.intents()) capped = Math.min(capped, intent.epoch - 1);
    const result = asEpoch(Math.max(0, capped));
    this.aggregatedUpTo = Math.max(this.aggregatedUpTo, result);
    return result;
  }

  /** Drops the intents of a destroyed container (inside the destroy's scope). */
  dropContainer(cont: string): void {
    this.atomic(() => {
      for (const txid of this.intents.txidsOfContainer(cont)) {
        this.intents.removeAllOf(txid);
        this.locks.remove(txKeyOf(txid));
      }
    });
  }

  private *holders(ref: DtxKeyRef, self: TxKey | undefined): IterableIterator<TxKey> {
    const keys = conflictKeysOf(ref);
    if (keys.dkey === undefined) {
      yield* this.locks.objectMembersExcept(keys.object, self);
      return;
    }
    const holder = this.locks.dkeyHolder(keys, self);
    if (holder !== undefined) yield holder;
  }

  private applyPart(row: IntentRowLayout): void {
    const epoch = asEpoch(row.epoch);
    for (const op of decodeIntentOps(row.ops)) {
      const ref = { cont: row.cont, oid: op.oid, shard: op.shard };
      if (op.t === 'u') applyUpdate(this.context, { ...ref, dkey: op.dkey, epoch, iods: op.iods }, { capacity: false });
      else applyPunch(this.context, { ...ref, epoch, dkey: op.dkey ?? undefined, akeys: op.akeys ?? undefined });
    }
  }

  /** Rebuilds the locks of one stored prepare (open: nothing to undo). */
  private lockStoredPart(row: IntentRowLayout): void {
    const tx = txKeyOf(row.txid);
    const held = this.locks.intent(tx);
    const keys = decodeIntentOps(row.ops).map((op) =>
      conflictKeysOf({ cont: row.cont, oid: op.oid, shard: op.shard, dkey: op.dkey ?? undefined }));
    const intent: DtxIntent = held === undefined
      ? { txid: row.txid, cont: row.cont, epoch: row.epoch, coordinator: { rank: row.coord_rank, target: row.coord_target }, preparedMs: row.prepared_ms, parts: 1 }
      : { ...held, parts: held.parts + 1, preparedMs: Math.min(held.preparedMs, row.prepared_ms) };
    this.locks.addPart(tx, intent, keys, { undoable: false });
  }
}

function checkTxid(txid: Txid): void {
  if (!Buffer.isBuffer(txid) || txid.length !== TXID_BYTES) throw new EngineError(Der.INVAL, `txid must be ${TXID_BYTES} bytes`);
}

/** A txid names one attempt: one container, one epoch, one coordinator (a restart takes a new txid). */
function checkSameAttempt(held: DtxIntent, request: DtxPrepareRequest): void {
  const same = held.epoch === request.epoch && held.cont === request.cont
    && held.coordinator.rank === request.coordinator.rank && held.coordinator.target === request.coordinator.target;
  if (!same) throw new EngineError(Der.INVAL, 'txid already prepared here with another epoch, container or coordinator');
}
