/**
 * Handlers of the internal pool service RPCs (engine/wire/rpc/svc.ts), registered on every engine:
 * replication (push, collect, leader), hints for engines that hold no replica, drop on destroy, and the
 * local pool listing behind POOL_LIST. Each handler only applies what it receives to this engine's
 * replicas and files; the decisions are taken by the sender.
 */
import { Der, EngineError } from '../../wire/errors.js';
import { SVC_COLLECT, SVC_DROP, SVC_HINT, SVC_LEADER, SVC_LIST_LOCAL, SVC_PUSH } from '../../wire/rpc/svc.js';
import type { HandlerRegistry } from '../registry.js';
import { Replica } from './replica.js';
import type { PoolService } from './service.js';

function replicaOrThrow(svc: PoolService, pool: string): Replica {
  const replica = svc.replicas.get(pool);
  if (replica === undefined) throw new EngineError(Der.NONEXIST, `rank ${svc.rank} holds no service replica of pool ${pool}`);
  return replica;
}

export function registerSvcHandlers(svc: PoolService, registry: HandlerRegistry): void {
  registry.register(SVC_PUSH, (request) => {
    if (request.state.uuid !== request.pool) throw new EngineError(Der.INVAL, 'pushed state names another pool');
    const existing = svc.replicas.get(request.pool);
    if (existing !== undefined) {
      existing.acceptPush(request);
      return {};
    }
    if (request.init !== true) throw new EngineError(Der.NONEXIST, `rank ${svc.rank} holds no service replica of pool ${request.pool}`);
    // A new replica starts from the pushed state; accepting the push records its term durably.
    const replica = new Replica(svc, { promisedTerm: 0, state: request.state });
    replica.acceptPush(request);
    svc.replicas.set(request.pool, replica);
    svc.hints.delete(request.pool);
    svc.log.info({ pool: request.pool, label: request.state.label, term: request.term }, 'pool service replica created');
    if (request.leader === svc.rank) replica.assumeInitialLeadership();
    return {};
  });

  registry.register(SVC_COLLECT, (request) => replicaOrThrow(svc, request.pool).collect(request.term, request.candidate));

  registry.register(SVC_LEADER, (request) => {
    const replica = replicaOrThrow(svc, request.pool);
    const leader = replica.leaderHint;
    return { ...(leader === undefined ? {} : { leader }), term: replica.term, isLeader: replica.isLeader };
  });

  registry.register(SVC_HINT, (request) => {
    if (!svc.replicas.has(request.pool)) {
      svc.hints.set(request.pool, svc.store.saveHint({ uuid: request.pool, label: request.label, svcRanks: request.svcRanks }));
    }
    return {};
  });

  registry.register(SVC_DROP, (request) => {
    svc.drop(request.pool);
    return {};
  });

  registry.register(SVC_LIST_LOCAL, () => ({ pools: svc.localPools() }));
}
