/**
 * Container RPCs served by the pool service leader: create (labels unique per pool, property defaults
 * from cont-props.ts), query, list, destroy (then ENGINE_CONT_DESTROY on every engine), OID ranges and
 * user attributes. Every change is a replicated commit, so an OID range is never handed out twice, even
 * across leader changes: the counter a new leader adopts is at least the last one acknowledged.
 * Snapshots are in snapshots.ts. Open handles are not tracked, so CONT_DESTROY's `force` changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { poolMapFromBody } from '../../client/map-body.js';
import { ATTRS_PER_CONT_MAX, RPC_TIMEOUT_MS } from '../../constants.js';
import { countFaultDomains } from '../../pool-map/pool-map.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { RpcRequest } from '../../wire/rpc-def.js';
import {
  CONT_ALLOC_OIDS, CONT_CREATE, CONT_DEL_ATTR, CONT_DESTROY, CONT_LIST, CONT_QUERY, CONT_SET_ATTR, type ContInfo,
} from '../../wire/rpc/cont.js';
import { ENGINE_CONT_DESTROY } from '../../wire/rpc/engine.js';
import { CONTS_PER_POOL_MAX, type ContRecord, type SvcStateBody } from '../../wire/rpc/svc.js';
import type { HandlerRegistry } from '../registry.js';
import { CONT_OID_FIRST } from './constants.js';
import { resolveContProps } from './cont-props.js';
import { callSettled } from './fanout.js';
import type { PoolService } from './service.js';
import { findContainerOrThrow, isUuid } from './svc-state.js';

export function contInfo(uuid: string, record: ContRecord): ContInfo {
  return {
    uuid,
    ...(record.label === undefined ? {} : { label: record.label }),
    props: record.props,
    attrs: record.attrs,
    snapshots: record.snapshots,
    createdMs: record.createdMs,
  };
}

/** Adds the container to the draft state; Der.EXIST for a taken uuid or label. */
function addContainer(draft: SvcStateBody, uuid: string, request: RpcRequest<typeof CONT_CREATE>): ContRecord {
  if (draft.containers[uuid] !== undefined) throw new EngineError(Der.EXIST, `container ${uuid} exists`);
  const { label } = request;
  if (label !== undefined && Object.values(draft.containers).some((record) => record.label === label)) {
    throw new EngineError(Der.EXIST, `container label ${JSON.stringify(label)} exists in pool ${draft.uuid}`);
  }
  if (Object.keys(draft.containers).length >= CONTS_PER_POOL_MAX) throw new EngineError(Der.NOSPACE, `pool ${draft.uuid} has ${CONTS_PER_POOL_MAX} containers`);
  const props = resolveContProps(request.props, draft.props, countFaultDomains(poolMapFromBody(draft.map)));
  const record: ContRecord = {
    ...(label === undefined ? {} : { label }),
    props,
    attrs: request.attrs ?? {},
    snapshots: [],
    oidNext: CONT_OID_FIRST,
    createdMs: Date.now(),
  };
  draft.containers[uuid] = record;
  return record;
}

async function createContainer(svc: PoolService, request: RpcRequest<typeof CONT_CREATE>): Promise<ContInfo> {
  const replica = await svc.leaderReplica(request.pool);
  const uuid = (request.uuid ?? randomUUID()).toLowerCase();
  if (!isUuid(uuid)) throw new EngineError(Der.INVAL, `${JSON.stringify(request.uuid)} is not a uuid`);
  if (request.label !== undefined && isUuid(request.label)) throw new EngineError(Der.INVAL, 'a container label must not look like a uuid');
  const record = await replica.commit((draft) => addContainer(draft, uuid, request));
  svc.log.info({ pool: replica.uuid, cont: uuid, label: request.label, props: record.props }, 'container created');
  return contInfo(uuid, record);
}

async function destroyContainer(svc: PoolService, request: RpcRequest<typeof CONT_DESTROY>): Promise<void> {
  const replica = await svc.leaderReplica(request.pool);
  const uuid = await replica.commit((draft) => {
    const found = findContainerOrThrow(draft, request.cont);
    delete draft.containers[found.uuid];
    return found.uuid;
  });
  const ranks = replica.state.map.ranks.map((entry) => entry.rank);
  const destroyed = await callSettled(svc.caller, ranks, ENGINE_CONT_DESTROY, () => ({ pool: replica.uuid, cont: uuid }), RPC_TIMEOUT_MS);
  svc.log.info({ pool: replica.uuid, cont: uuid, unreached: [...destroyed.failed.keys()] }, 'container destroyed');
}

/** Hands out [first, first + count) from the container's counter, replicated before the answer. */
async function allocateOids(svc: PoolService, request: RpcRequest<typeof CONT_ALLOC_OIDS>): Promise<{ first: number; count: number }> {
  if (request.count < 1) throw new EngineError(Der.INVAL, 'count must be at least 1');
  const replica = await svc.leaderReplica(request.pool);
  return replica.commit((draft) => {
    const { record } = findContainerOrThrow(draft, request.cont);
    const first = record.oidNext;
    if (first + request.count > Number.MAX_SAFE_INTEGER) throw new EngineError(Der.OVERFLOW, 'container OID space exhausted');
    record.oidNext = first + request.count;
    return { first, count: request.count };
  });
}

export function registerContHandlers(svc: PoolService, registry: HandlerRegistry): void {
  registry.register(CONT_CREATE, (request) => createContainer(svc, request));

  registry.register(CONT_QUERY, async (request) => {
    const { state } = await svc.leaderReplica(request.pool);
    const found = findContainerOrThrow(state, request.cont);
    return contInfo(found.uuid, found.record);
  });

  registry.register(CONT_LIST, async (request) => {
    const { state } = await svc.leaderReplica(request.pool);
    const containers = Object.entries(state.containers).map(([uuid, record]) => ({ uuid, ...(record.label === undefined ? {} : { label: record.label }) }));
    return { containers };
  });

  registry.register(CONT_DESTROY, async (request) => {
    await destroyContainer(svc, request);
    return {};
  });

  registry.register(CONT_ALLOC_OIDS, (request) => allocateOids(svc, request));

  registry.register(CONT_SET_ATTR, async (request) => {
    const replica = await svc.leaderReplica(request.pool);
    await replica.commit((draft) => {
      const { record } = findContainerOrThrow(draft, request.cont);
      const attrs = { ...record.attrs, ...request.attrs };
      if (Object.keys(attrs).length > ATTRS_PER_CONT_MAX) throw new EngineError(Der.NOSPACE, `a container holds at most ${ATTRS_PER_CONT_MAX} attributes`);
      record.attrs = attrs;
    });
    return {};
  });

  registry.register(CONT_DEL_ATTR, async (request) => {
    const replica = await svc.leaderReplica(request.pool);
    await replica.commit((draft) => {
      const { record } = findContainerOrThrow(draft, request.cont);
      for (const name of request.names) delete record.attrs[name];
    });
    return {};
  });
}
