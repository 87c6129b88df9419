/**
 * Failure detection of one pool by its service leader (DAOS self_heal): every tick the leader pings each
 * other rank of the pool (ENGINE_PING, short deadline). A rank silent for EXCLUDE_AFTER_MS is excluded
 * (DOWN) when the pool's selfHeal is 'exclude'; a rank that failure detection excluded and that answers
 * again with the pool on disk is reintegrated; any rank coming back from silence gets the current map
 * again (it missed the pushes meanwhile). UP ranks whose resync is not running
 * get it (re)started. The tracker lives as long as one leadership: a new leader starts with no sightings
 * and gives every rank a full EXCLUDE_AFTER_MS of grace.
 */
import { ENGINE_MAP_UPDATE, ENGINE_PING } from '../../wire/rpc/engine.js';
import { EXCLUDE_AFTER_MS, FANOUT_TIMEOUT_MS, PING_TIMEOUT_MS } from './constants.js';
import { callSettled } from './fanout.js';
import { excludeRank } from './map-change.js';
import type { Reintegrator } from './reintegrate.js';
import type { Replica } from './replica.js';
import type { PoolService } from './service.js';
import { isRankExcluded, rankState } from './svc-state.js';

export class HealthTracker {
  /** Last successful ping per rank (only ranks seen during this leadership). */
  readonly lastSeenMs = new Map<number, number>();
  /** Ranks whose last ping failed. */
  readonly silent = new Set<number>();

  constructor(readonly term: number, readonly sinceMs: number) {}

  /** How long the rank has been silent, counting from the leadership start when never seen. */
  silentForMs(rank: number, nowMs: number): number {
    return nowMs - (this.lastSeenMs.get(rank) ?? this.sinceMs);
  }
}

interface HealthContext {
  readonly svc: PoolService;
  readonly replica: Replica;
  readonly tracker: HealthTracker;
  readonly reintegrator: Reintegrator;
}

/** One round of pings and the decisions they lead to. Never throws: failures are logged. */
export async function checkPoolHealth(context: HealthContext): Promise<void> {
  const { svc, replica } = context;
  const { map } = replica.state;
  const others = map.ranks.map((entry) => entry.rank).filter((rank) => rank !== svc.rank);
  const pings = await callSettled(svc.caller, others, ENGINE_PING, () => ({ hlc: svc.services.hlc.now() }), PING_TIMEOUT_MS);
  const nowMs = Date.now();
  for (const rank of others) {
    const answer = pings.ok.get(rank);
    try {
      if (answer !== undefined) {
        svc.services.hlc.observe(answer.hlc);
        await onAnswered(context, rank, answer.pools.includes(replica.uuid), nowMs);
      } else {
        await onSilent(context, rank, nowMs);
      }
    } catch (error) {
      svc.log.warn({ pool: replica.uuid, peer: rank, err: error }, 'health check action failed');
    }
  }
  // The leader is alive by definition; it may itself have been excluded while it was down.
  try {
    if (map.ranks.some((entry) => entry.rank === svc.rank)) {
      await onAnswered(context, svc.rank, svc.services.localPools().includes(replica.uuid), nowMs);
    }
  } catch (error) {
    svc.log.warn({ pool: replica.uuid, peer: svc.rank, err: error }, 'health check action failed');
  }
  for (const entry of replica.state.map.ranks) {
    if (rankState(replica.state.map, entry.rank) === 'UP') context.reintegrator.ensureResync(replica, entry.rank);
  }
}

async function onAnswered(context: HealthContext, rank: number, hasPool: boolean, nowMs: number): Promise<void> {
  const { svc, replica, tracker } = context;
  const wasSilent = tracker.silent.delete(rank);
  tracker.lastSeenMs.set(rank, nowMs);
  const state = replica.state;
  if (wasSilent && hasPool) await svc.caller.call(rank, ENGINE_MAP_UPDATE, { pool: state.uuid, map: state.map }, FANOUT_TIMEOUT_MS);
  if (!isRankExcluded(state.map, rank)) return;
  if (state.props.selfHeal !== 'exclude' || !state.autoExcluded.includes(rank)) return;
  if (!hasPool) {
    if (wasSilent) svc.log.warn({ pool: state.uuid, peer: rank }, 'excluded rank is back without the pool on disk; not reintegrated');
    return;
  }
  svc.log.info({ pool: state.uuid, peer: rank }, 'excluded rank answers again; reintegrating');
  await context.reintegrator.reintegrate(replica, rank);
}

async function onSilent(context: HealthContext, rank: number, nowMs: number): Promise<void> {
  const { svc, replica, tracker } = context;
  tracker.silent.add(rank);
  const state = replica.state;
  if (state.props.selfHeal !== 'exclude' || isRankExcluded(state.map, rank)) return;
  const silentForMs = tracker.silentForMs(rank, nowMs);
  if (silentForMs < EXCLUDE_AFTER_MS) return;
  svc.log.warn({ pool: state.uuid, peer: rank, silentForMs }, 'rank unreachable; excluding');
  await excludeRank(svc, replica, rank, { auto: true, lastSeenMs: tracker.lastSeenMs.get(rank) });
}
