/**
 * Pool RPCs served by the pool service leader: connect, map get, query (space from every live engine,
 * redundancy, rebuild progress), exclude, reintegrate, destroy, and clients' reports of unreachable
 * engines. Any other engine answers Der.NOTLEADER naming the leader (service.ts). Map changes go through
 * map-change.ts, reintegration through reintegrate.ts.
 */
import { ENGINE_PING, ENGINE_POOL_DESTROY, ENGINE_POOL_USAGE } from '../../wire/rpc/engine.js';
import {
  POOL_CONNECT, POOL_DESTROY, POOL_EXCLUDE, POOL_MAP_GET, POOL_QUERY, POOL_REINTEGRATE, POOL_REPORT_UNREACHABLE,
} from '../../wire/rpc/pool.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import type { RpcResponse } from '../../wire/rpc-def.js';
import { SVC_DROP } from '../../wire/rpc/svc.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { HandlerRegistry } from '../registry.js';
import { RPC_TIMEOUT_MS } from '../../constants.js';
import { FANOUT_TIMEOUT_MS, PING_TIMEOUT_MS } from './constants.js';
import { callSettled } from './fanout.js';
import { excludeRank } from './map-change.js';
import type { Reintegrator } from './reintegrate.js';
import type { Replica } from './replica.js';
import type { PoolService, RebuildStatus } from './service.js';
import { isDegraded, isRankExcluded, isReintegrating, rankState } from './svc-state.js';

type QueryAnswer = RpcResponse<typeof POOL_QUERY>;

async function queryPool(svc: PoolService, replica: Replica): Promise<QueryAnswer> {
  const state = replica.state;
  const live = state.map.ranks.map((entry) => entry.rank).filter((rank) => !isRankExcluded(state.map, rank));
  const usage = await callSettled(svc.caller, live, ENGINE_POOL_USAGE, () => ({ pool: state.uuid }), FANOUT_TIMEOUT_MS);
  const targets = [...usage.ok]
    .sort(([left], [right]) => left - right)
    .flatMap(([rank, answer]) => answer.targets.map((target) => ({ rank, ...target })));
  return {
    uuid: state.uuid,
    label: state.label,
    svcRanks: state.svcRanks,
    leader: svc.rank,
    map: state.map,
    props: state.props,
    targets,
    redundancy: isDegraded(state.map) ? 'degraded' : 'normal',
    rebuild: rebuildAsOf(svc.rebuildStatus(state.uuid), state.map),
  };
}

/**
 * The resync progress as of `map`: a resync runs only for a rank in state UP, so with none UP in the map
 * the query answers with, it is over. The map's UPIN is visible as soon as it commits, before the resync's
 * own bookkeeping ends (the change still waits for the new map to reach every engine), and a query read
 * then said "UPIN, rebuild busy" (seen once in CI).
 */
function rebuildAsOf(status: RebuildStatus, map: PoolMapBody): RebuildStatus {
  return status.state === 'busy' && !isReintegrating(map) ? { ...status, state: 'idle' } : { ...status };
}

/** Drops the service everywhere, then the targets (engines that are down keep leftovers). */
async function destroyPool(svc: PoolService, replica: Replica, force: boolean): Promise<void> {
  const state = replica.state;
  const containers = Object.keys(state.containers).length;
  if (containers > 0 && !force) throw new EngineError(Der.BUSY, `pool ${state.uuid} still has ${containers} containers`);
  replica.requireLeader();
  const ranks = state.map.ranks.map((entry) => entry.rank);
  const others = ranks.filter((rank) => rank !== svc.rank);
  const dropped = await callSettled(svc.caller, others, SVC_DROP, () => ({ pool: state.uuid }), FANOUT_TIMEOUT_MS);
  svc.drop(state.uuid);
  const destroyed = await callSettled(svc.caller, ranks, ENGINE_POOL_DESTROY, () => ({ pool: state.uuid }), RPC_TIMEOUT_MS);
  const unreached = [...new Set([...dropped.failed.keys(), ...destroyed.failed.keys()])];
  svc.log.info({ pool: state.uuid, label: state.label, unreached }, 'pool destroyed');
}

/** Checks a rank a client could not reach: if it does not answer a ping now, it is excluded now. */
async function checkReportedRank(svc: PoolService, replica: Replica, rank: number): Promise<void> {
  const state = replica.state;
  if (rankState(state.map, rank) === undefined) throw new EngineError(Der.NONEXIST, `rank ${rank} is not in pool ${state.uuid}`);
  if (isRankExcluded(state.map, rank) || rank === svc.rank || state.props.selfHeal !== 'exclude') return;
  try {
    await svc.caller.call(rank, ENGINE_PING, {}, PING_TIMEOUT_MS);
  } catch {
    svc.log.warn({ pool: state.uuid, peer: rank }, 'rank reported unreachable and silent; excluding');
    await excludeRank(svc, replica, rank, { auto: true, lastSeenMs: svc.healthTracker(replica).lastSeenMs.get(rank) });
  }
}

export function registerPoolHandlers(svc: PoolService, reintegrator: Reintegrator, registry: HandlerRegistry): void {
  registry.register(POOL_CONNECT, async (request) => {
    const { state } = await svc.leaderReplica(request.pool);
    return { uuid: state.uuid, label: state.label, svcRanks: state.svcRanks, map: state.map, props: state.props };
  });

  registry.register(POOL_MAP_GET, async (request) => ({ map: (await svc.leaderReplica(request.pool)).state.map }));

  registry.register(POOL_QUERY, async (request) => queryPool(svc, await svc.leaderReplica(request.pool)));

  registry.register(POOL_EXCLUDE, async (request) => {
    const replica = await svc.leaderReplica(request.pool);
    const lastSeenMs = request.rank === svc.rank ? Date.now() : svc.healthTracker(replica).lastSeenMs.get(request.rank);
    return { map: await excludeRank(svc, replica, request.rank, { auto: false, lastSeenMs }) };
  });

  registry.register(POOL_REINTEGRATE, async (request) => {
    const replica = await svc.leaderReplica(request.pool);
    return { map: await reintegrator.reintegrate(replica, request.rank) };
  });

  registry.register(POOL_DESTROY, async (request) => {
    await destroyPool(svc, await svc.leaderReplica(request.pool), request.force === true);
    return {};
  });

  registry.register(POOL_REPORT_UNREACHABLE, async (request) => {
    const replica = await svc.leaderReplica(request.pool);
    await checkReportedRank(svc, replica, request.rank);
    return { map: replica.state.map };
  });
}
