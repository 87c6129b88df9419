/**
 * The public shapes of the transaction side of VOS (DTX): prepared operations, intents, decisions, and the
 * reads and writes that the conflict rules look at. Plain data only, so the server builds them straight from
 * decoded RPCs (engine/wire/rpc/tx.ts); nothing here touches storage.
 */
import type { Epoch } from '../../wire/epoch.js';
import type { UpdateIod } from '../operation.js';

/** 16 bytes naming one transaction attempt (one epoch, one coordinator). */
export type Txid = Buffer;

export type DtxDecision = 'commit' | 'abort';
export type DtxResolution = DtxDecision | 'undecided';

/** Where a transaction's decision is recorded: one target of one engine. */
export interface DtxCoordinator {
  readonly rank: number;
  readonly target: number;
}

/** One buffered operation, addressed to one object shard of this target (the container is the prepare's). */
export type DtxOp =
  | {
      readonly type: 'update';
      readonly oid: Buffer;
      readonly shard: number;
      readonly dkey: Buffer;
      readonly iods: UpdateIod[];
      readonly dkeyCond?: 'insert' | 'update' | undefined;
      readonly akeyCond?: 'insert' | 'update' | undefined;
    }
  | {
      readonly type: 'punch';
      readonly oid: Buffer;
      readonly shard: number;
      /** Absent: punch the object shard. */
      readonly dkey?: Buffer | undefined;
      readonly akeys?: Buffer[] | undefined;
      readonly ifExists?: boolean | undefined;
    };

export interface DtxPrepareRequest {
  readonly txid: Txid;
  readonly cont: string;
  readonly epoch: Epoch;
  readonly coordinator: DtxCoordinator;
  readonly ops: readonly DtxOp[];
  /** Wall time of the prepare (ms); the resolver ages intents by it. */
  readonly nowMs: number;
}

/** 'prepared': intents recorded now; 'repeated': the same ops were already prepared (a client retry). */
export type DtxPrepareOutcome = 'prepared' | 'repeated';

/** What this target holds for one prepared transaction (all its prepares merged). */
export interface DtxIntent {
  readonly txid: Txid;
  readonly cont: string;
  readonly epoch: number;
  readonly coordinator: DtxCoordinator;
  /** Wall time of the oldest prepare of this transaction here (ms). */
  readonly preparedMs: number;
  /** Prepares recorded (a transaction's ops may arrive in several). */
  readonly parts: number;
}

/** The object shard (and optionally one dkey of it) that a read or a write touches. */
export interface DtxKeyRef {
  readonly cont: string;
  readonly oid: Buffer;
  readonly shard: number;
  /** Absent: the whole object shard (lists, query max, object punches). */
  readonly dkey?: Buffer | undefined;
}

/** A read as the conflict rules see it; `tx` set for reads inside a transaction. */
export interface DtxRead extends DtxKeyRef {
  readonly epoch: number;
  readonly tx?: Txid | undefined;
}

/** A non-transactional write (OBJ_UPDATE / OBJ_PUNCH) as the conflict rules see it. */
export interface DtxWrite extends DtxKeyRef {
  readonly epoch: number;
}

/** Called at precise steps so fault tests can crash the process there (hw/faults.ts). */
export interface DtxStepHooks {
  /** Prepare: all checks passed, nothing recorded yet. */
  readonly beforePersist?: () => void;
  /** Finish: intents exist and are about to be applied or dropped. */
  readonly beforeApply?: () => void;
}
