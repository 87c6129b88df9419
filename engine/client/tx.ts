/**
 * Tx: a distributed transaction over one container (DAOS daos_tx_*). It has one epoch and a random
 * 16-byte id. Writes (update, punch) are buffered in order; reads see the transaction's own writes first
 * (tx-overlay.ts) and otherwise go to the engines at the transaction's epoch, tagged with its id so a
 * later write below that epoch restarts instead of slipping under the read. commit() plans the
 * participants (tx-plan.ts) and runs two-phase commit (tx-protocol.ts): it resolves once commit is
 * decided, and the engines apply it in the background (`applied()`). A transaction opened at a snapshot
 * only reads, at the snapshot's epoch. States: open -> committing -> committed | aborted | unknown;
 * restart() (from open or aborted) starts over with a new epoch, a new id and an empty buffer.
 * Errors: EngineError — NO_PERM (write in a read-only transaction), INVAL (wrong state, bad operation),
 * OVERFLOW (buffer limits), TX_RESTART (conflict, or a participant that did not answer its prepare and was
 * reported to the pool service: restart and retry; nothing was committed), EXIST/NONEXIST (a condition
 * failed at prepare), DATA_LOSS, and OutcomeUnknownError (TIMEDOUT: the coordinator never said whether it
 * committed).
 */
import { randomBytes } from 'node:crypto';
import type { Oid } from '../placement/oid.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError, isEngineError } from '../wire/errors.js';
import type { FetchIodBody, FetchValueBody } from '../wire/rpc/obj.js';
import type { ListAnchor } from './anchor.js';
import { TX_LIST_KEYS_MAX } from './constants.js';
import type { ObjectIoContext } from './io-context.js';
import { type PunchOptions, type UpdateOptions, ObjectHandle } from './object.js';
import { ShardError, isUnreachable } from './shard-error.js';
import { TxKv } from './tx-kv.js';
import { TxOpBuffer } from './tx-ops.js';
import { overlayDkeys, overlayFetch } from './tx-overlay.js';
import { planCommit } from './tx-plan.js';
import {
  OutcomeUnknownError, TX_PROTOCOL_LIMITS, type TxProtocolContext, type TxProtocolLimits, type TxRpc, decideAndFinish, prepareAll,
} from './tx-protocol.js';

export type TxState = 'open' | 'committing' | 'committed' | 'aborted' | 'unknown';

/** Compare-and-write (ifMatch) is not a transaction operation: a transaction reads what it depends on. */
export type TxUpdateOptions = Omit<UpdateOptions, 'epoch' | 'ifMatch'>;
export type TxPunchOptions = Omit<PunchOptions, 'epoch' | 'ifMatch'>;

export interface TxInit {
  /** Read-only at this epoch (a snapshot); default: a read-write transaction at a fresh epoch. */
  readonly snapshotEpoch?: Epoch;
  /** Protocol limits (tests and the fault suite shorten the decide wait). */
  readonly limits?: Partial<TxProtocolLimits>;
}

export class Tx {
  readonly readOnly: boolean;
  readonly #context: ObjectIoContext;
  readonly #buffer = new TxOpBuffer();
  readonly #limits: TxProtocolLimits;
  readonly #snapshotEpoch: Epoch | undefined;
  #txid: Buffer;
  #epoch: Epoch;
  #state: TxState = 'open';
  #applied: Promise<void> = Promise.resolve();

  constructor(context: ObjectIoContext, init: TxInit = {}) {
    this.#context = context;
    this.#snapshotEpoch = init.snapshotEpoch ?? (context.readOnly ? context.readEpoch : undefined);
    this.readOnly = this.#snapshotEpoch !== undefined;
    this.#limits = { ...TX_PROTOCOL_LIMITS, ...init.limits };
    this.#txid = randomBytes(16);
    this.#epoch = this.#snapshotEpoch ?? context.pool.hlc.now();
  }

  /** The transaction's id (16 bytes; a new one after restart()). */
  get txid(): Buffer {
    return this.#txid;
  }

  /** Every read and write of the transaction happens at this epoch. */
  get epoch(): Epoch {
    return this.#epoch;
  }

  get state(): TxState {
    return this.#state;
  }

  /** Buffers an update of `dkey` (conditions are tested at prepare, on the group leader). */
  update(oid: Oid, options: TxUpdateOptions): void {
    this.assertWritable();
    const op = { type: 'update' as const, oid, dkey: options.dkey, iods: options.iods };
    this.#buffer.add({
      ...op,
      ...(options.dkeyCond === undefined ? {} : { dkeyCond: options.dkeyCond }),
      ...(options.akeyCond === undefined ? {} : { akeyCond: options.akeyCond }),
    });
  }

  /** Buffers a punch of the object, a dkey, or akeys of a dkey. */
  punch(oid: Oid, options: TxPunchOptions = {}): void {
    this.assertWritable();
    this.#buffer.add({
      type: 'punch',
      oid,
      ...(options.dkey === undefined ? {} : { dkey: options.dkey }),
      ...(options.akeys === undefined ? {} : { akeys: options.akeys }),
      ...(options.ifExists === true ? { ifExists: true } : {}),
    });
  }

  /** The iods of `dkey` as the transaction sees them: its own writes, else the store at its epoch. */
  async fetch(oid: Oid, options: { dkey: Buffer; iods: FetchIodBody[] }): Promise<FetchValueBody[]> {
    this.assertOpen();
    const overlays = overlayFetch(this.#buffer.ops, oid, options.dkey, options.iods);
    const storeIndexes = overlays.flatMap((overlay, index) => (overlay.source === 'store' ? [index] : []));
    const stored = storeIndexes.length === 0 ? [] : await this.object(oid).fetch({
      dkey: options.dkey, iods: storeIndexes.map((index) => options.iods[index]!), epoch: this.#epoch, ...this.readTag(),
    });
    const values: FetchValueBody[] = [];
    let next = 0;
    for (const overlay of overlays) values.push(overlay.source === 'buffer' ? overlay.value : overlay.apply(stored[next++]!));
    return values;
  }

  /** Every dkey of `oid` at the transaction's epoch, with its own writes and punches applied. */
  async listDkeys(oid: Oid): Promise<Buffer[]> {
    this.assertOpen();
    const object = this.object(oid);
    const keys: Buffer[] = [];
    let anchor: ListAnchor | undefined;
    do {
      const limit = TX_LIST_KEYS_MAX - keys.length;
      if (limit === 0) throw new EngineError(Der.OVERFLOW, `more than ${TX_LIST_KEYS_MAX} dkeys in one transactional listing`);
      const page = await object.listDkeys({ limit, epoch: this.#epoch, ...this.readTag(), ...(anchor === undefined ? {} : { anchor }) });
      keys.push(...page.keys);
      anchor = page.anchor;
    } while (!anchor.eof);
    return overlayDkeys(this.#buffer.ops, oid, keys);
  }

  /** A key-value view of a MULTI_LEXICAL object inside this transaction. */
  kv(oid: Oid): TxKv {
    return new TxKv(this, oid);
  }

  /**
   * Commits: resolves once commit is decided (visible to every later read). Nothing to write: resolves
   * at once. On any error but OutcomeUnknownError nothing of the transaction became visible.
   */
  async commit(): Promise<void> {
    this.assertOpen();
    if (this.#buffer.ops.length === 0) {
      this.#state = 'committed';
      return;
    }
    this.#state = 'committing';
    const context = this.protocolContext();
    try {
      const pool = this.#context.pool;
      const plan = planCommit(this.#buffer.ops, (oid) => pool.layout(oid), pool.map.version);
      await prepareAll(context, plan);
      const { applied } = await decideAndFinish(context, plan);
      this.#applied = applied;
      this.#state = 'committed';
    } catch (error) {
      this.#state = error instanceof OutcomeUnknownError ? 'unknown' : 'aborted';
      throw await this.restartOnMapChange(error);
    }
  }

  /** Resolves once every participant answered the commit message (or failed to); never rejects. */
  applied(): Promise<void> {
    return this.#applied;
  }

  /** Drops the buffered writes (nothing is prepared before commit, so nothing remote is left). */
  async abort(): Promise<void> {
    if (this.#state === 'aborted') return;
    if (this.#state !== 'open') throw new EngineError(Der.INVAL, `cannot abort a ${this.#state} transaction`);
    this.#buffer.clear();
    this.#state = 'aborted';
  }

  /** Starts over (after TX_RESTART): a new epoch (unless at a snapshot), a new id, no buffered writes. */
  restart(): void {
    if (this.#state !== 'open' && this.#state !== 'aborted') throw new EngineError(Der.INVAL, `cannot restart a ${this.#state} transaction`);
    this.#buffer.clear();
    this.#txid = randomBytes(16);
    this.#epoch = this.#snapshotEpoch ?? this.#context.pool.hlc.now();
    this.#state = 'open';
  }

  private object(oid: Oid): ObjectHandle {
    return new ObjectHandle(this.#context, oid);
  }

  /** Reads of a read-write transaction carry its id; snapshot reads need no protection. */
  private readTag(): { txid?: Buffer } {
    return this.readOnly ? {} : { txid: this.#txid };
  }

  private protocolContext(): TxProtocolContext {
    const pool = this.#context.pool;
    const rpc: TxRpc = { call: async (def, rank, request, options) => pool.transportFor(rank).call(def, request, options) };
    return {
      rpc,
      id: { pool: pool.uuid, cont: this.#context.contUuid, txid: this.#txid, epoch: this.#epoch },
      log: pool.log,
      limits: this.#limits,
    };
  }

  /**
   * A prepare refused for an old pool map: take the newer map. A participant that did not answer its
   * prepare (the transaction was aborted, so nothing of it becomes visible): report the engine to the pool
   * service, which may exclude it (an engine lost under a replicated object, as plain I/O rides it out).
   * Either way the transaction must restart, on the map as it is then.
   */
  private async restartOnMapChange(error: unknown): Promise<unknown> {
    const pool = this.#context.pool;
    if (isEngineError(error, Der.STALE)) {
      await pool.refreshMap(error.info.mapVersion).catch(() => undefined);
      return new EngineError(Der.TX_RESTART, 'a participant has a newer pool map');
    }
    if (this.#state === 'aborted' && error instanceof ShardError && isUnreachable(error)) {
      await pool.reportUnreachable(error.rank).catch(() => undefined);
      return new EngineError(Der.TX_RESTART, `a participant did not answer its prepare (${error.message})`);
    }
    return error;
  }

  private assertOpen(): void {
    if (this.#state !== 'open') throw new EngineError(Der.INVAL, `transaction is ${this.#state}`);
  }

  private assertWritable(): void {
    if (this.readOnly) throw new EngineError(Der.NO_PERM, 'transaction is read-only (opened at a snapshot)');
    this.assertOpen();
  }
}
