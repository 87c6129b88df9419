/**
 * Opening transactions on a container and the retry loop around them. `openTx` resolves a snapshot name
 * to its epoch (a snapshot transaction only reads). `runTx` runs open -> fn(tx) -> commit, and on a
 * conflict (TX_RESTART, or INPROGRESS that outlasted the read's wait) backs off — bounded exponential
 * with jitter — and runs fn again on a fresh transaction, at most `retriesMax` times; every other error
 * is thrown at once. fn must be safe to run again (it only sees the transaction, whose writes are
 * discarded with it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Epoch, asEpoch } from '../wire/epoch.js';
import { Der, EngineError, isEngineError } from '../wire/errors.js';
import type { SnapshotBody } from '../wire/rpc/cont.js';
import { TX_BACKOFF_MS_MAX, TX_BACKOFF_MS_MIN, TX_RETRIES_MAX } from './constants.js';
import type { ObjectIoContext } from './io-context.js';
import { Tx, type TxInit } from './tx.js';
import type { TxProtocolLimits } from './tx-protocol.js';

export interface TxOpenOptions {
  /** Read-only at this snapshot: its name, or its epoch. */
  readonly snapshot?: string | number;
  /** Protocol limits (e.g. a shorter decide wait); defaults from constants.ts. */
  readonly limits?: Partial<TxProtocolLimits>;
}

export interface RunTxOptions extends TxOpenOptions {
  /** Fresh transactions after the first one restarted; default TX_RETRIES_MAX. */
  readonly retriesMax?: number;
}

/** Backoff before attempt `attempt + 1`: TX_BACKOFF_MS_MIN doubled per attempt, capped, scaled by 50–100 %. */
export function txBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(TX_BACKOFF_MS_MAX, TX_BACKOFF_MS_MIN * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(base * (0.5 + random() * 0.5)));
}

/** Conflicts that a fresh transaction may not meet again. */
export function isTxRestartable(error: unknown): boolean {
  return isEngineError(error) && (error.der === Der.TX_RESTART || error.der === Der.INPROGRESS);
}

/** Opens a transaction on the container behind `context`. NONEXIST: no snapshot of that name. */
export async function openTx(
  context: ObjectIoContext,
  snapshots: () => Promise<SnapshotBody[]>,
  options: TxOpenOptions = {},
): Promise<Tx> {
  const init: { snapshotEpoch?: Epoch; limits?: Partial<TxProtocolLimits> } = {};
  if (options.limits !== undefined) init.limits = options.limits;
  if (typeof options.snapshot === 'number') init.snapshotEpoch = asEpoch(options.snapshot);
  if (typeof options.snapshot === 'string') {
    const name = options.snapshot;
    const snapshot = (await snapshots()).find((entry) => entry.name === name);
    if (snapshot === undefined) throw new EngineError(Der.NONEXIST, `no snapshot named ${name}`);
    init.snapshotEpoch = asEpoch(snapshot.epoch);
  }
  return new Tx(context, init satisfies TxInit);
}

/**
 * open(), fn(tx), commit; retried on conflicts as described above. Resolves with fn's result once the
 * commit is decided.
 */
export async function runTx<T>(open: () => Promise<Tx>, fn: (tx: Tx) => Promise<T>, options: { retriesMax?: number } = {}): Promise<T> {
  const retriesMax = options.retriesMax ?? TX_RETRIES_MAX;
  if (!Number.isInteger(retriesMax) || retriesMax < 0) throw new EngineError(Der.INVAL, `retriesMax must be a non-negative integer, got ${retriesMax}`);
  for (let attempt = 1; ; attempt++) {
    const tx = await open();
    try {
      const result = await fn(tx);
      await tx.commit();
      return result;
    } catch (error) {
      if (tx.state === 'open') await tx.abort();
      if (!isTxRestartable(error) || attempt > retriesMax) throw error;
      await sleep(txBackoffMs(attempt));
    }
  }
}
