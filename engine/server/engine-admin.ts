/**
 * Engine-level RPC handlers (engine/wire/rpc/engine.ts): liveness (ENGINE_PING) and this engine's side of
 * pool and container administration, sent by the pool service. Every handler goes through EngineServices
 * only, so the same operations are available in-process to the pool service. All of them are idempotent
 * (a coordinator may resend after a timeout): create keeps an existing pool, destroy of an absent pool
 * or container succeeds, a map update older than the held map is ignored. ENGINE_FAULT_SET arms a crash
 * point (hw/faults.ts) and is refused with DER_NO_PERM unless the engine runs with TSDAOS_FAULTS=1.
 */
import { armCrashPoint, faultsEnabled, FAULTS_ENV, isCrashPointName } from '../../hw/faults.js';
import { poolMapFromBody } from '../client/map-body.js';
import { Der, EngineError } from '../wire/errors.js';
import {
  ENGINE_CONT_DESTROY, ENGINE_CONT_SNAPSHOTS, ENGINE_MAP_UPDATE, ENGINE_PING, ENGINE_POOL_CREATE,
  ENGINE_POOL_DESTROY, ENGINE_POOL_USAGE,
} from '../wire/rpc/engine.js';
import { ENGINE_FAULT_SET } from '../wire/rpc/tx.js';
import type { HandlerRegistry } from './registry.js';
import type { EngineServices } from './services.js';

export interface EngineAdminDeps {
  readonly services: EngineServices;
  /** Process start, for uptime. */
  readonly startedAtMs: number;
}

export function registerEngineAdminHandlers(registry: HandlerRegistry, deps: EngineAdminDeps): void {
  const { services } = deps;

  registry.register(ENGINE_PING, (request) => {
    if (request.hlc !== undefined) services.hlc.observe(request.hlc);
    return {
      rank: services.rank,
      pid: process.pid,
      uptimeMs: Math.max(0, Date.now() - deps.startedAtMs),
      hlc: services.hlc.now(),
      targets: services.targetCount,
      pools: services.localPools(),
    };
  });

  registry.register(ENGINE_POOL_CREATE, (request) => {
    services.createLocalPool(request.pool, request.capacityBytesPerTarget, poolMapFromBody(request.map), request.reclaim);
    return { targets: services.vosTargets(request.pool)?.length ?? 0 };
  });

  registry.register(ENGINE_POOL_DESTROY, (request) => {
    services.destroyLocalPool(request.pool);
    return {};
  });

  registry.register(ENGINE_MAP_UPDATE, (request) => {
    services.setPoolMap(request.pool, poolMapFromBody(request.map));
    return {};
  });

  registry.register(ENGINE_CONT_DESTROY, (request) => {
    services.destroyContainer(request.pool, request.cont);
    return {};
  });

  registry.register(ENGINE_CONT_SNAPSHOTS, (request) => {
    services.setRetainedEpochs(request.pool, request.cont, request.epochs);
    return {};
  });

  registry.register(ENGINE_POOL_USAGE, (request) => {
    return { targets: services.poolUsage(request.pool) };
  });

  registry.register(ENGINE_FAULT_SET, (request) => {
    if (!faultsEnabled()) throw new EngineError(Der.NO_PERM, `fault injection needs ${FAULTS_ENV}=1`);
    if (!isCrashPointName(request.point)) throw new EngineError(Der.INVAL, `no crash point ${request.point}`);
    try {
      armCrashPoint(request.point, request.after);
    } catch (error) {
      throw new EngineError(Der.INVAL, (error as Error).message);
    }
    services.log.warn({ point: request.point, after: request.after }, 'crash point armed');
    return {};
  });
}
