/**
 * Failure recovery as composable wrappers around one attempt of an operation, in the manner of undici's
 * interceptors: the core I/O code never retries; `retrying(recoveries, attempt)` runs the attempt, and on an
 * EngineError asks each Recovery in turn whether (and after how long) another attempt can succeed. A
 * Recovery may act first (refresh the pool map, report an engine). Attempts are bounded by RPC_RETRIES_MAX;
 * after that, or when no recovery applies, the last EngineError is thrown unchanged. Attempts must be
 * idempotent at a fixed epoch (the caller fixes the epoch before the first attempt).
 * Conflicts with transactions are one level out (`retryingConflicts`): waiting out another transaction's
 * intent takes longer than a map refresh, and a write that must land above a transactional read needs a
 * fresh epoch, which an attempt at a fixed epoch cannot take.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RPC_RETRIES_MAX } from '../constants.js';
import type { Logger } from '../log.js';
import type { PoolMap, Rank } from '../pool-map/pool-map.js';
import { Der, type EngineError, isEngineError } from '../wire/errors.js';
import type { Epoch } from '../wire/epoch.js';
import { CONFLICT_RETRIES_MAX, CONFLICT_WAIT_MS_MAX, RETRY_BACKOFF_MS_MAX, RETRY_BACKOFF_MS_MIN } from './constants.js';
import { ShardError, isUnreachable } from './shard-error.js';

/** Given a failed attempt: milliseconds to wait before the next one, or undefined if this recovery does not apply. */
export type Recovery = (error: EngineError, attempt: number) => Promise<number | undefined>;

/** What recoveries need from a pool handle. */
export interface MapSource {
  readonly map: PoolMap;
  /** Fetches the map from the pool service (at least `minVersion` if given, when the service has it). */
  refreshMap(minVersion?: number): Promise<PoolMap>;
  /** Tells the pool service an engine did not answer; returns the map afterwards (maybe newer). */
  reportUnreachable(rank: Rank): Promise<PoolMap>;
}

/** Exponential backoff: RETRY_BACKOFF_MS_MIN doubled per attempt, capped, with up to 50 % jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(RETRY_BACKOFF_MS_MAX, RETRY_BACKOFF_MS_MIN * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/**
 * Runs `attempt(n)` for n = 1, 2, … until it succeeds, a recovery declines, or RPC_RETRIES_MAX retries
 * were made. Non-EngineErrors (bugs) are rethrown at once.
 */
export async function retrying<T>(recoveries: readonly Recovery[], attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isEngineError(error) || n > RPC_RETRIES_MAX) throw error;
      const delayMs = await chooseRecovery(recoveries, error, n);
      if (delayMs === undefined) throw error;
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

async function chooseRecovery(recoveries: readonly Recovery[], error: EngineError, attempt: number): Promise<number | undefined> {
  for (const recovery of recoveries) {
    const delayMs = await recovery(error, attempt);
    if (delayMs !== undefined) return delayMs;
  }
  return undefined;
}

/** Der.STALE: fetch the newer map and retry at once (after a backoff if the map did not advance). */
export function refreshOnStale(pool: MapSource): Recovery {
  return async (error, attempt) => {
    if (error.der !== Der.STALE) return undefined;
    const before = pool.map.version;
    const map = await pool.refreshMap(error.info.mapVersion);
    return map.version > before ? 0 : backoffMs(attempt);
  };
}

/**
 * Der.UNREACH / TIMEDOUT from a shard: report the engine to the pool service (which may exclude it and
 * publish a new map), then retry on whatever layout the map now gives. A report (or map refresh) that
 * fails otherwise is logged and the retry still happens after the backoff; one that finds no pool service
 * either (its discovery already waited up to SVC_DISCOVERY_MS_MAX) ends the retries: the map cannot change
 * then, and every further attempt would wait as long again (all engines gone: minutes, not seconds).
 */
export function reportOnUnreachable(pool: MapSource, log: Logger): Recovery {
  return async (error, attempt) => {
    if (!isUnreachable(error)) return undefined;
    const before = pool.map.version;
    try {
      if (error instanceof ShardError) await pool.reportUnreachable(error.rank);
      else await pool.refreshMap();
    } catch (reportError) {
      log.warn({ rank: error instanceof ShardError ? error.rank : undefined, err: (reportError as Error).message }, 'reporting an unreachable engine failed');
      if (isUnreachable(reportError)) return undefined;
    }
    return pool.map.version > before ? 0 : backoffMs(attempt);
  };
}

/**
 * Der.DATA_LOSS (a group with no shard in service under the map this client holds): the map may be behind,
 * an engine back in service since (the client sent nothing that could have met STALE: it had nowhere to
 * send). Fetch it and retry at once if it moved; else the loss stands.
 */
export function refreshOnDataLoss(pool: MapSource): Recovery {
  return async (error) => {
    if (error.der !== Der.DATA_LOSS) return undefined;
    const before = pool.map.version;
    const map = await pool.refreshMap().catch(() => undefined);
    return map !== undefined && map.version > before ? 0 : undefined;
  };
}

/** Transient engine states (a busy target): wait and retry. INPROGRESS is retryingConflicts' job. */
export function backoffOnBusy(): Recovery {
  return async (error, attempt) => (error.der === Der.BUSY || error.der === Der.AGAIN ? backoffMs(attempt) : undefined);
}

/** How one operation outlives conflicts with transactions. */
export interface ConflictPolicy {
  /** The epoch of the first attempt. */
  readonly epoch: Epoch;
  /**
   * A fresh epoch for each later attempt (non-transactional writes whose caller did not fix the epoch):
   * such a write then also outlives TX_RESTART (a transactional read above its epoch) and lands after
   * the intent it waited for. Undefined: every attempt keeps `epoch` (reads; writes at a fixed epoch).
   */
  readonly renew: (() => Epoch) | undefined;
}

/** A read, or a write at an epoch the caller fixed. */
export function fixedEpochConflicts(epoch: Epoch): ConflictPolicy {
  return { epoch, renew: undefined };
}

/** A non-transactional write: fixed if the caller gave `fixed`, else a fresh epoch from `clock` per attempt. */
export function writeConflicts(fixed: Epoch | undefined, clock: { now(): Epoch }): ConflictPolicy {
  return fixed === undefined ? { epoch: clock.now(), renew: () => clock.now() } : { epoch: fixed, renew: undefined };
}

/**
 * Runs `attempt(epoch)`; on INPROGRESS (another transaction's undecided intent: it will be committed or
 * aborted soon, by its client or by the engines' resolver) and, when the policy renews epochs, on
 * TX_RESTART, backs off and runs it again — for at most CONFLICT_WAIT_MS_MAX and CONFLICT_RETRIES_MAX
 * attempts, then the last error is thrown. Resolves with the attempt's result.
 */
export async function retryingConflicts<T>(policy: ConflictPolicy, attempt: (epoch: Epoch) => Promise<T>): Promise<T> {
  const started = Date.now();
  let epoch = policy.epoch;
  for (let n = 1; ; n++) {
    try {
      return await attempt(epoch);
    } catch (error) {
      const retryable = isEngineError(error, Der.INPROGRESS) || (policy.renew !== undefined && isEngineError(error, Der.TX_RESTART));
      if (!retryable || n >= CONFLICT_RETRIES_MAX || Date.now() - started >= CONFLICT_WAIT_MS_MAX) throw error;
      await sleep(backoffMs(n));
      if (policy.renew !== undefined) epoch = policy.renew();
    }
  }
}
