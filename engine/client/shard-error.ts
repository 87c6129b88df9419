/**
 * An EngineError that also names the engine (rank) whose shard RPC failed, so the recovery wrappers can
 * report exactly that engine as unreachable. It is still an EngineError with the original der and info:
 * callers that only look at `der` see no difference.
 */
import type { Rank } from '../pool-map/pool-map.js';
import { Der, EngineError, isEngineError } from '../wire/errors.js';

export class ShardError extends EngineError {
  override name = 'ShardError';
  readonly rank: Rank;
  /** Undefined for an RPC to a target rather than a shard (a transaction's prepare). */
  readonly shard: number | undefined;

  constructor(cause: EngineError, rank: Rank, shard?: number) {
    super(cause.der, `${shard === undefined ? '' : `shard ${shard} on `}rank ${rank}: ${cause.message}`, { ...cause.info });
    this.rank = rank;
    this.shard = shard;
  }
}

/** `error` as a ShardError of (rank, shard); non-EngineErrors are programmer errors and pass through. */
export function toShardError(error: unknown, rank: Rank, shard?: number): unknown {
  if (error instanceof ShardError || !isEngineError(error)) return error;
  return new ShardError(error, rank, shard);
}

/** Connection-level failures: the engine may be dead; another replica or a newer map may help. */
export function isUnreachable(error: unknown): error is EngineError {
  return isEngineError(error) && (error.der === Der.UNREACH || error.der === Der.TIMEDOUT);
}
