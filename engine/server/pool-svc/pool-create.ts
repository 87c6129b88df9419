/**
 * POOL_CREATE and POOL_LIST, which any engine of the system serves as coordinator. Create picks the ranks
 * (default: every engine of the system file), builds the first pool map (version 1, every target UPIN,
 * fault domains from the system file), creates the targets on every rank (ENGINE_POOL_CREATE, idempotent),
 * starts the service replicas on the lowest `svcReplicas` ranks with the first state (term 1, the lowest
 * replica designated leader) and leaves a hint on the other ranks. Labels are unique in the system
 * (checked against POOL_LIST; two concurrent creates of one label are not excluded).
 */
import { randomUUID } from 'node:crypto';
import { RPC_TIMEOUT_MS } from '../../constants.js';
import { buildPoolMap } from '../../pool-map/build.js';
import { countFaultDomains } from '../../pool-map/pool-map.js';
import type { SystemEngine, SystemFile } from '../../system/system-file.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { RpcRequest, RpcResponse } from '../../wire/rpc-def.js';
import { ENGINE_POOL_CREATE } from '../../wire/rpc/engine.js';
import { POOL_CREATE, POOL_LIST, RECLAIM_DEFAULT, type PoolProps, type PoolPropsRequest } from '../../wire/rpc/pool.js';
import { SVC_HINT, SVC_PUSH, type SvcStateBody } from '../../wire/rpc/svc.js';
import type { HandlerRegistry } from '../registry.js';
import {
  POOL_RD_FAC_CLASS_MAX, POOL_RD_FAC_DEFAULT, POOL_SPACE_RB_PERCENT_DEFAULT, SVC_REPLICAS_DEFAULT, SVC_RPC_TIMEOUT_MS,
} from './constants.js';
import { callAll } from './fanout.js';
import type { PoolService } from './service.js';
import { isUuid, toMapBody } from './svc-state.js';

/** The engines the pool spans, by rank. Der.INVAL for an empty, duplicated or unknown rank list. */
function chooseEngines(system: SystemFile, ranks: readonly number[] | undefined): SystemEngine[] {
  const all = [...system.engines].sort((a, b) => a.rank - b.rank);
  if (ranks === undefined) return all;
  if (ranks.length === 0 || new Set(ranks).size !== ranks.length) throw new EngineError(Der.INVAL, 'ranks must be distinct and not empty');
  return ranks.map((rank) => {
    const engine = all.find((entry) => entry.rank === rank);
    if (engine === undefined) throw new EngineError(Der.INVAL, `rank ${rank} is not in system ${system.name}`);
    return engine;
  }).sort((a, b) => a.rank - b.rank);
}

/**
 * Pool properties: each one asked for (rdFac at most fault domains - 1), the others their defaults: rdFac 3
 * lowered to what the fault domains and the replicated classes allow, 5 % rebuild reserve, self-heal by
 * exclusion, lazy reclaim (DAOS's defaults).
 */
export function resolvePoolProps(requested: PoolPropsRequest | undefined, faultDomainCount: number): PoolProps {
  const rdFacMax = Math.max(0, faultDomainCount - 1);
  if (requested?.rdFac !== undefined && requested.rdFac > rdFacMax) {
    throw new EngineError(Der.INVAL, `rdFac ${requested.rdFac} needs more than the pool's ${faultDomainCount} fault domains`);
  }
  return {
    rdFac: requested?.rdFac ?? Math.min(POOL_RD_FAC_DEFAULT, rdFacMax, POOL_RD_FAC_CLASS_MAX),
    spaceRbPercent: requested?.spaceRbPercent ?? POOL_SPACE_RB_PERCENT_DEFAULT,
    selfHeal: requested?.selfHeal ?? 'exclude',
    reclaim: requested?.reclaim ?? RECLAIM_DEFAULT,
  };
}

async function createPool(svc: PoolService, request: RpcRequest<typeof POOL_CREATE>): Promise<RpcResponse<typeof POOL_CREATE>> {
  const engines = chooseEngines(svc.services.system(), request.ranks);
  const ranks = engines.map((engine) => engine.rank);
  const replicaCount = request.svcReplicas ?? Math.min(SVC_REPLICAS_DEFAULT, ranks.length);
  if (replicaCount < 1 || replicaCount > ranks.length) throw new EngineError(Der.INVAL, `svcReplicas must be 1..${ranks.length}`);
  if (isUuid(request.label)) throw new EngineError(Der.INVAL, 'a pool label must not look like a uuid');
  const uuid = (request.uuid ?? randomUUID()).toLowerCase();
  if (!isUuid(uuid)) throw new EngineError(Der.INVAL, `${JSON.stringify(request.uuid)} is not a uuid`);
  const known = await svc.listPools();
  if (known.some((pool) => pool.label === request.label)) throw new EngineError(Der.EXIST, `pool label ${JSON.stringify(request.label)} exists`);
  if (known.some((pool) => pool.uuid === uuid)) throw new EngineError(Der.EXIST, `pool ${uuid} exists`);

  const map = buildPoolMap({
    version: 1,
    ranks: engines.map((engine) => ({ rank: engine.rank, address: engine.address, faultDomain: engine.faultDomain, targets: engine.targets })),
  });
  const props = resolvePoolProps(request.props, countFaultDomains(map));
  const svcRanks = ranks.slice(0, replicaCount);
  const mapBody = toMapBody(map);
  const { capacityBytesPerTarget } = request;
  await callAll(svc.caller, ranks, ENGINE_POOL_CREATE, () => ({ pool: uuid, capacityBytesPerTarget, map: mapBody, reclaim: props.reclaim }), RPC_TIMEOUT_MS);

  const nowMs = Date.now();
  const state: SvcStateBody = {
    uuid, label: request.label, props, svcRanks, map: mapBody, capacityBytesPerTarget, containers: {},
    autoExcluded: [], resyncs: [], createdMs: nowMs, term: 1, seq: 1,
  };
  const leader = svcRanks[0]!;
  await callAll(svc.caller, svcRanks, SVC_PUSH, () => ({ pool: uuid, term: 1, leader, init: true, state }), SVC_RPC_TIMEOUT_MS);
  const others = ranks.filter((rank) => !svcRanks.includes(rank));
  await callAll(svc.caller, others, SVC_HINT, () => ({ pool: uuid, label: request.label, svcRanks }), SVC_RPC_TIMEOUT_MS);
  svc.log.info({ pool: uuid, label: request.label, ranks, svcRanks, props }, 'pool created');
  return { uuid, label: request.label, svcRanks, map: mapBody };
}

export function registerPoolCreateHandlers(svc: PoolService, registry: HandlerRegistry): void {
  registry.register(POOL_CREATE, (request) => createPool(svc, request));
  registry.register(POOL_LIST, async () => ({ pools: await svc.listPools() }));
}
