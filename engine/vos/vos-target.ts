/**
 * VosTarget: the versioned object store of one target, `<dir>/vos.sqlite` (+ WAL) and `<dir>/data.blob`.
 * This class only wires the parts together and gives each public call its transaction scope: mutating
 * calls are atomic (their own transaction, or a savepoint of the enclosing runBatch) and durable once
 * they return or their batch commits. Input is validated before any storage is touched (DER_INVAL).
 * One VosTarget per directory per process; all calls are synchronous and not re-entrant.
 */
import { DATA_BLOB_FILE_NAME } from '../constants.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { Aggregator } from './aggregate.js';
import { SqliteFreeListStore } from './blob-free-store.js';
import { destroyContainer } from './container-destroy.js';
import type { VosContext } from './context.js';
import { DataBlob } from './data-blob.js';
import { Dtx } from './dtx/dtx.js';
import { applyFetch, validateFetch } from './fetch.js';
import { KeyIndex } from './key-index.js';
import { listAkeys, listDkeys, listDkeysWithValues, validateList, validateListValues } from './list.js';
import type {
  AggregateOptions,
  AggregateResult,
  BatchResult,
  FetchOp,
  FetchValue,
  ListOp,
  ListResult,
  ListValuesOp,
  ListValuesResult,
  ObjectRef,
  PunchOp,
  QueryMaxOp,
  QueryMaxResult,
  UpdateOp,
  VosLogger,
  VosOpenOptions,
  VosUsage,
} from './operation.js';
import { applyPunch } from './punch.js';
import { PunchLog } from './punch-log.js';
import { queryMax, queryMaxEpoch, validateQueryMax } from './query-max.js';
import type { VosRecord } from './record.js';
import { Resync } from './resync.js';
import { MetaTable, openVosDatabase } from './schema.js';
import { SeqCounter } from './seq-counter.js';
import { SpaceAccount } from './space.js';
import { Transactor } from './transactor.js';
import { UndoLog } from './undo-log.js';
import { applyUpdate, validateUpdate } from './update.js';
import { validateObjectRef, validatePunch } from './validate.js';
import { VersionStore } from './version-store.js';
import { PageValues } from './page-values.js';
import { VisibleDkeys } from './visible-dkeys.js';
import { Visibility } from './visibility.js';

interface TransactionMark {
  blob: number;
  undo: number;
}

export const VOS_DATABASE_FILE = 'vos.sqlite';

export class VosTarget {
  private readonly transactor: Transactor<TransactionMark>;
  private readonly aggregator: Aggregator;
  private readonly resync: Resync;
  private readonly transactions: Dtx;
  private closed = false;

  private constructor(
    private readonly context: VosContext,
    undo: UndoLog,
  ) {
    this.aggregator = new Aggregator(context);
    this.resync = new Resync(context);
    this.transactor = new Transactor<TransactionMark>(context.db, {
      mark: () => ({ blob: context.blob.mark(), undo: undo.mark() }),
      rolledBack: (mark) => {
        context.blob.undoTo(mark?.blob ?? 0);
        undo.rollbackTo(mark?.undo ?? 0);
        if (mark === null) context.space.reload();
        context.keys.clearCache();
        this.aggregator.reset();
      },
      beforeCommit: () => {
        context.space.flush();
        context.keys.flushEpochs();
      },
      committed: () => {
        context.blob.commit();
        undo.clear();
      },
    });
    this.transactions = new Dtx(context, undo, (fn) => this.transactor.write(fn));
  }

  /**
   * The transaction side of this target (prepared intents, decisions, read timestamps; dtx/README.md).
   * Its mutating calls share this target's transaction scopes (runBatch). DER_SHUTDOWN once closed.
   */
  get dtx(): Dtx {
    this.checkOpen();
    return this.transactions;
  }

  /**
   * Opens (creating if needed) the store in `options.dir`. The caller owns the returned target and must
   * close() it. Throws EngineError(DER_INVAL) on bad options or a store of another layout version.
   */
  static open(options: VosOpenOptions): VosTarget {
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new EngineError(Der.INVAL, 'dir required');
    const capacity = options.capacityBytes;
    if (capacity !== undefined && (!Number.isSafeInteger(capacity) || capacity < 0)) {
      throw new EngineError(Der.INVAL, 'capacityBytes must be a non-negative integer');
    }
    fs.mkdirSync(options.dir, { recursive: true });
    const db = openVosDatabase(path.join(options.dir, VOS_DATABASE_FILE));
    try {
      const undo = new UndoLog();
      const meta = new MetaTable(db);
      const seq = new SeqCounter(db, meta);
      const blob = DataBlob.open(path.join(options.dir, DATA_BLOB_FILE_NAME), new SqliteFreeListStore(db, meta), { localReadLeaseMs: options.localReadLeaseMs });
      const space = new SpaceAccount(db, meta, blob, capacity ?? null, undo);
      const keys = new KeyIndex(db, undo);
      const versions = new VersionStore(db, blob, seq, space);
      const punches = new PunchLog(db, seq);
      const visibility = new Visibility(keys, versions, punches);
      const visibleDkeys = new VisibleDkeys(db);
      const pageValues = new PageValues(db);
      const target = new VosTarget({ db, meta, seq, blob, space, keys, versions, punches, visibility, visibleDkeys, pageValues }, undo);
      logOpen(options.logger, options.dir, target.usage());
      return target;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Stores the iods at op.epoch. DER_INVAL, DER_EXIST / DER_NONEXIST (conditionals), DER_NOSPACE. */
  update(op: UpdateOp): void {
    this.checkOpen();
    validateUpdate(op);
    this.transactor.write(() => applyUpdate(this.context, op));
  }

  /** Reads the iods at op.epoch; returns fresh Buffers owned by the caller. DER_INVAL, DER_NONEXIST. */
  fetch(op: FetchOp): FetchValue[] {
    this.checkOpen();
    validateFetch(op);
    return applyFetch(this.context, op);
  }

  /** Punches the object shard, a dkey, or akeys at op.epoch. DER_INVAL, DER_NONEXIST (ifExists). */
  punch(op: PunchOp): void {
    this.checkOpen();
    validatePunch(op);
    this.transactor.write(() => applyPunch(this.context, op));
  }

  /** dkeys visible at op.epoch, in byte order, after op.anchor. */
  listDkeys(op: ListOp): ListResult {
    this.checkOpen();
    validateList(op);
    return listDkeys(this.context, op);
  }

  /**
   * listDkeys, with the values of op.iods and the first op.akeysLimit akeys of every listed dkey, read in
   * the same synchronous call (one state). DER_INVAL as fetch for a kind mismatch.
   */
  listDkeysWithValues(op: ListValuesOp): ListValuesResult {
    this.checkOpen();
    validateListValues(op);
    return listDkeysWithValues(this.context, op);
  }

  /** akeys of op.dkey visible at op.epoch, in byte order, after op.anchor. */
  listAkeys(op: ListOp & { dkey: Buffer }): ListResult {
    this.checkOpen();
    validateList(op);
    if (op.dkey === undefined) throw new EngineError(Der.INVAL, 'listAkeys needs a dkey');
    return listAkeys(this.context, op);
  }

  /** Greatest dkey with visible array data for op.akey and the end of that data, in records. */
  queryMax(op: QueryMaxOp): QueryMaxResult {
    this.checkOpen();
    validateQueryMax(op);
    return queryMax(this.context, op);
  }

  /** Newest epoch ever written or punched in the object shard (a high-water mark); 0 when none. */
  queryMaxEpoch(op: ObjectRef): Epoch {
    this.checkOpen();
    validateObjectRef(op);
    return queryMaxEpoch(this.context, op) as Epoch;
  }

  /** Drops versions no retained epoch (nor >= upTo) can see; see aggregate.ts. DER_INVAL on bad options. */
  aggregate(options: AggregateOptions): AggregateResult {
    this.checkOpen();
    // Prepared intents will land at their epoch when committed: aggregation must stay below them.
    const upTo = this.transactions.capAggregation(options.upTo);
    return this.transactor.write(() => this.aggregator.run({ ...options, upTo }));
  }

  /** Removes every object shard of `cont` on this target and frees its space. */
  destroyContainer(cont: string): void {
    this.checkOpen();
    this.transactor.write(() => {
      destroyContainer(this.context, cont);
      this.transactions.dropContainer(cont);
    });
    this.aggregator.reset();
  }

  /** Raw records with epoch > sinceEpoch in arrival order; pass the returned cursor to continue. */
  exportSince(options: { sinceEpoch: Epoch; cursor: Buffer | null; limit: number }): { records: VosRecord[]; cursor: Buffer | null } {
    this.checkOpen();
    return this.resync.exportSince(options);
  }

  /** Applies exported records atomically with `options.shard` as their shard; idempotent. */
  ingest(records: VosRecord[], options: { shard: number }): void {
    this.checkOpen();
    this.transactor.write(() => this.resync.ingest(records, options.shard));
  }

  /** Runs synchronous ops in one sqlite transaction; a throwing op leaves no trace, the rest commit. */
  runBatch<T>(ops: ReadonlyArray<() => T>): Array<BatchResult<T>> {
    this.checkOpen();
    return this.transactor.runBatch(ops);
  }

  usage(): VosUsage {
    this.checkOpen();
    return this.context.space.usage();
  }

  /** Closes the database and the blob; later calls throw DER_SHUTDOWN. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.context.db.close();
    this.context.blob.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new EngineError(Der.SHUTDOWN, 'vos target is closed');
  }
}

function logOpen(logger: VosLogger | undefined, dir: string, usage: VosUsage): void {
  logger?.info({ dir, ...usage }, 'vos target opened');
}
