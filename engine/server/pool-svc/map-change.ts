/**
 * Pool map changes made by the service leader: a rank's targets change state (withRankState, version + 1),
 * the new map is replicated with the rest of the state, then published: recorded on this engine and
 * pushed (ENGINE_MAP_UPDATE) to every engine of the pool that answers, after which engines refuse clients
 * on older maps (Der.STALE). A change also refreshes rank addresses from the system file, since an engine
 * listening on port 0 moves when it restarts. Exclusion records where a later resync of the rank starts.
 */
import { poolMapFromBody } from '../../client/map-body.js';
import type { PoolMap, TargetState } from '../../pool-map/pool-map.js';
import type { SystemFile } from '../../system/system-file.js';
import { epochFromMs } from '../../wire/epoch.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import { ENGINE_MAP_UPDATE } from '../../wire/rpc/engine.js';
import type { SvcStateBody } from '../../wire/rpc/svc.js';
import { withRankState } from '../../pool-map/pool-map.js';
import { FANOUT_TIMEOUT_MS, RESYNC_SAFETY_WINDOW_EPOCHS } from './constants.js';
import { callSettled } from './fanout.js';
import type { Replica } from './replica.js';
import type { PoolService } from './service.js';
import { pendingResyncOf, rankState, toMapBody } from './svc-state.js';

/** Records the state's map on this engine and pushes it to the pool's other engines (best effort). */
export async function publishMap(svc: PoolService, state: SvcStateBody): Promise<void> {
  try {
    svc.services.setPoolMap(state.uuid, poolMapFromBody(state.map));
  } catch (error) {
    svc.log.warn({ pool: state.uuid, err: error }, 'could not record the pool map locally');
  }
  const others = state.map.ranks.map((entry) => entry.rank).filter((rank) => rank !== svc.rank);
  const pushed = await callSettled(svc.caller, others, ENGINE_MAP_UPDATE, () => ({ pool: state.uuid, map: state.map }), FANOUT_TIMEOUT_MS);
  if (pushed.failed.size > 0) {
    svc.log.debug({ pool: state.uuid, mapVersion: state.map.version, unreached: [...pushed.failed.keys()] }, 'pool map not pushed everywhere');
  }
}

/** The map with each rank's address as the system file gives it now. */
function withSystemAddresses(map: PoolMap, system: SystemFile): PoolMap {
  return {
    version: map.version,
    ranks: map.ranks.map((entry) => {
      const address = system.engines.find((engine) => engine.rank === entry.rank)?.address;
      return address === undefined || address === entry.address ? entry : { ...entry, address };
    }),
  };
}

export interface RankChange {
  readonly rank: number;
  readonly state: TargetState;
  /** Change only from these states (default: from any); otherwise the commit changes nothing. */
  readonly from?: readonly TargetState[];
  /** Further edits of the state made in the same commit, only when the rank's state does change. */
  readonly also?: (draft: SvcStateBody) => void;
}

/**
 * Sets every target of `rank` to `state` (no-op if already there), replicates, publishes. Resolves with
 * the newest map. Errors: Der.NONEXIST for a rank outside the pool, Der.NOTLEADER, Der.TIMEDOUT (commit).
 */
export async function changeRankState(svc: PoolService, replica: Replica, change: RankChange): Promise<PoolMapBody> {
  const isNoop = (current: TargetState): boolean => current === change.state || (change.from !== undefined && !change.from.includes(current));
  const before = rankState(replica.state.map, change.rank);
  if (before !== undefined && isNoop(before)) {
    replica.requireLeader();
    return replica.state.map;
  }
  const changed = await replica.commit((draft) => {
    const current = rankState(draft.map, change.rank);
    if (current === undefined) throw new EngineError(Der.NONEXIST, `rank ${change.rank} is not in pool ${draft.uuid}`);
    // Another change may have landed while this one waited for its turn.
    if (isNoop(current)) return false;
    change.also?.(draft);
    const next = withRankState(poolMapFromBody(draft.map), change.rank, change.state);
    draft.map = toMapBody(withSystemAddresses(next, svc.services.system()));
    return true;
  });
  if (changed) {
    svc.log.info({ pool: replica.uuid, peer: change.rank, state: change.state, mapVersion: replica.state.map.version }, 'pool map changed');
    await publishMap(svc, replica.state);
  }
  return replica.state.map;
}

export interface ExcludeOptions {
  /** Excluded by failure detection (reintegrated automatically when it answers again), or by an operator. */
  readonly auto: boolean;
  /** When the leader last heard from the rank; undefined if it never did since it leads. */
  readonly lastSeenMs: number | undefined;
}

/**
 * Marks `rank` DOWN. Its future resync starts a safety window below the last time it was seen alive
 * (every write it missed was issued after that, so has a larger epoch), or at 0 when that is unknown;
 * an older pending resync start (it failed again mid-resync) is kept.
 */
export async function excludeRank(svc: PoolService, replica: Replica, rank: number, options: ExcludeOptions): Promise<PoolMapBody> {
  const sinceEpoch = options.lastSeenMs === undefined ? 0 : Math.max(0, epochFromMs(options.lastSeenMs) - RESYNC_SAFETY_WINDOW_EPOCHS);
  return changeRankState(svc, replica, {
    rank,
    state: 'DOWN',
    also: (draft) => {
      draft.autoExcluded = draft.autoExcluded.filter((entry) => entry !== rank);
      if (options.auto) draft.autoExcluded.push(rank);
      const pending = pendingResyncOf(draft, rank);
      draft.resyncs = draft.resyncs.filter((entry) => entry.rank !== rank);
      draft.resyncs.push({ rank, sinceEpoch: Math.min(pending ?? sinceEpoch, sinceEpoch) });
    },
  });
}
