/**
 * Object RPC handlers (engine/wire/rpc/obj.ts): update, fetch, punch, list dkeys/akeys, query max, the
 * collective update, punch and query max (several shards of one object on this engine, each served as alone)
 * and the multi-object query max (shards of many objects, likewise). Each
 * checks the address (pool local -> else NONEXIST; target index in range -> else INVAL; client map not
 * older than ours -> else STALE naming our version), merges the request epoch into the engine's HLC, and
 * hands one unit of work to the batcher, never to VOS directly, so concurrent requests share a commit
 * (a read without `tx`, which writes nothing, runs at once: tx/object-guard.ts).
 * Each work first applies the transaction rules (tx/object-guard.ts: prepared intents in the way, read
 * timestamps) in the same batch step as its I/O. Wire shapes and VOS shapes are structurally the same;
 * the conversion only drops routing fields.
 */
import type { Logger } from '../log.js';
import type { VosTarget } from '../vos/index.js';
import type { FetchValue, ObjectRef, UpdateIod } from '../vos/operation.js';
import { asEpoch, type Hlc } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import {
  OBJ_COLL_PUNCH, OBJ_COLL_QUERY_MAX, OBJ_COLL_UPDATE, OBJ_FETCH, OBJ_LIST_AKEYS, OBJ_LIST_DKEYS, OBJ_MULTI_PUNCH, OBJ_MULTI_QUERY_MAX, OBJ_PUNCH, OBJ_QUERY_MAX, OBJ_UPDATE,
  type RecordMatchBody,
} from '../wire/rpc/obj.js';
import type { RpcResponse } from '../wire/rpc-def.js';
import type { ObjectAddressBody } from '../wire/rpc/common.js';
import type { Batcher } from './batcher.js';
import type { LocalPools } from './local-pools.js';
import type { EngineMetrics } from './metrics.js';
import { allInOrder, type MaybeAsync, thenMaybe } from './maybe-async.js';
import type { HandlerRegistry } from './registry.js';
import { guardedRead, guardedWrite } from './tx/object-guard.js';
import type { TxMetrics } from './tx/tx-metrics.js';
import type { TxService } from './tx/tx-service.js';

export interface ObjectHandlerDeps {
  readonly pools: LocalPools;
  readonly batcher: Batcher;
  readonly hlc: Hlc;
  readonly log: Logger;
  readonly tx: TxService;
  readonly txMetrics: TxMetrics;
  readonly metrics: EngineMetrics;
}

type QueryMaxAnswer = RpcResponse<typeof OBJ_QUERY_MAX>;

/** Routing fields every object RPC carries, plus its epoch. */
type ObjectAddress = ObjectAddressBody & { readonly epoch: number };

interface Resolved {
  readonly pool: string;
  /** The target's store; also its batch lane (VosTarget.runBatch runs works in one transaction). */
  readonly vos: VosTarget;
  readonly ref: ObjectRef;
}

/**
 * Checks an object RPC's address against this engine's state and observes its epoch.
 * Throws NONEXIST (pool not local), INVAL (no such target), STALE (client map older than ours).
 */
export function resolveObject(
  deps: ObjectHandlerDeps,
  request: Omit<ObjectAddress, 'target' | 'shard'>,
  targetIndex: number,
  shard: number,
): Resolved {
  const pool = deps.pools.get(request.pool);
  if (pool === undefined) throw new EngineError(Der.NONEXIST, `pool ${request.pool} has no targets here`);
  const vos = pool.targets[targetIndex];
  if (vos === undefined) throw new EngineError(Der.INVAL, `target ${targetIndex} >= ${pool.targets.length} local targets`);
  pool.ioCount += 1;
  const ours = pool.map.version;
  if (request.mapVersion < ours) {
    throw new EngineError(Der.STALE, `client map ${request.mapVersion} older than ${ours}`, { mapVersion: ours });
  }
  if (request.mapVersion > ours) {
    // The pool service pushes maps with ENGINE_MAP_UPDATE; a client can be ahead for a moment. Serve it.
    deps.log.debug({ pool: request.pool, clientMapVersion: request.mapVersion, mapVersion: ours }, 'client map newer than ours');
  }
  deps.hlc.observe(request.epoch);
  return { pool: request.pool, vos, ref: { cont: request.cont, oid: request.oid, shard } };
}

function countPlaced(metrics: EngineMetrics, values: readonly FetchValue[]): void {
  for (const value of values) {
    if (value.type !== 'array' || value.blob === undefined) continue;
    let bytes = 0;
    for (let index = 2; index < value.blob.places.length; index += 3) bytes += value.blob.places[index]!;
    metrics.recordPlaced(bytes);
  }
}

/** The answer part of an epoch-only query max (akey null). */
const NO_MAX_KEY = { dkey: null, end: 0 } as const;

export function registerObjectHandlers(registry: HandlerRegistry, deps: ObjectHandlerDeps): void {
  const guard = { batcher: deps.batcher, tx: deps.tx, metrics: deps.txMetrics };

  /** One dkey's update on one shard (the shard named apart from the request, as in a collective one). */
  const update = async (
    request: Omit<ObjectAddress, 'target' | 'shard'>,
    at: { target: number; shard: number; dkey: Buffer; iods: UpdateIod[]; dkeyCond?: 'insert' | 'update'; akeyCond?: 'insert' | 'update'; ifMatch?: RecordMatchBody },
  ): Promise<Record<string, never>> => {
    const target = resolveObject(deps, request, at.target, at.shard);
    const { vos, ref } = target;
    const op = {
      cont: ref.cont, oid: ref.oid, shard: ref.shard, dkey: at.dkey, epoch: asEpoch(request.epoch), iods: at.iods,
      dkeyCond: at.dkeyCond, akeyCond: at.akeyCond, ifMatch: at.ifMatch,
    };
    await guardedWrite(guard, target, { cont: ref.cont, oid: ref.oid, shard: ref.shard, dkey: at.dkey, epoch: request.epoch }, () => vos.update(op));
    return {};
  };
  registry.register(OBJ_UPDATE, (request) => update(request, request));

  registry.register(OBJ_FETCH, (request, context) => {
    const target = resolveObject(deps, request, request.target, request.shard);
    const { vos, ref } = target;
    const op = {
      cont: ref.cont, oid: ref.oid, shard: ref.shard, dkey: request.dkey, epoch: asEpoch(request.epoch), iods: request.iods, dkeyCond: request.dkeyCond,
      // Blob bytes by place only for a client on this host (it came on the UNIX socket) that asked for it.
      placed: request.placed === true && context.local,
    };
    const read = { cont: ref.cont, oid: ref.oid, shard: ref.shard, dkey: request.dkey, epoch: request.epoch, tx: request.tx };
    return thenMaybe(guardedRead(guard, target, read, () => vos.fetch(op)), (values) => {
      if (op.placed) countPlaced(deps.metrics, values);
      return { values };
    });
  });

  /**
   * One shard's punch (the shard named apart from the request, so a collective one copies nothing);
   * `ifStored`: none where the shard holds no row of the object (its newest epoch is 0).
   */
  const punch = async (
    request: Omit<ObjectAddress, 'target' | 'shard'> & { dkey?: Buffer; akeys?: Buffer[]; ifExists?: boolean; ifMatch?: RecordMatchBody },
    targetIndex: number, shard: number, ifStored = false,
  ): Promise<Record<string, never>> => {
    const target = resolveObject(deps, request, targetIndex, shard);
    const { vos, ref } = target;
    if (ifStored && vos.queryMaxEpoch(ref) === 0) return {};
    const op = {
      cont: ref.cont, oid: ref.oid, shard, epoch: asEpoch(request.epoch), dkey: request.dkey, akeys: request.akeys, ifExists: request.ifExists,
      ifMatch: request.ifMatch,
    };
    await guardedWrite(guard, target, { cont: ref.cont, oid: ref.oid, shard, dkey: request.dkey, epoch: request.epoch }, () => vos.punch(op));
    return {};
  };
  registry.register(OBJ_PUNCH, (request) => punch(request, request.target, request.shard));

  registry.register(OBJ_LIST_DKEYS, (request) => {
    const target = resolveObject(deps, request, request.target, request.shard);
    const { vos, ref } = target;
    const epoch = asEpoch(request.epoch);
    const { iods, akeysMax } = request;
    // An object-level read: it covers what is read under the keys (same state, one synchronous run).
    // akeysMax + 1 akeys each, so the client can tell a dkey with more.
    const op = { ...ref, epoch, anchor: request.anchor, limit: request.limit, iods, akeysLimit: akeysMax === undefined ? undefined : akeysMax + 1 };
    return guardedRead(guard, target, { ...ref, epoch: request.epoch, tx: request.tx }, () => vos.listDkeysWithValues(op));
  });

  registry.register(OBJ_LIST_AKEYS, (request) => {
    const target = resolveObject(deps, request, request.target, request.shard);
    const { vos, ref } = target;
    const op = { ...ref, dkey: request.dkey, epoch: asEpoch(request.epoch), anchor: request.anchor, limit: request.limit };
    // The akeys of one dkey change only through that dkey (or an object punch): a dkey-level read.
    return guardedRead(guard, target, { ...ref, dkey: request.dkey, epoch: request.epoch, tx: request.tx }, () => vos.listAkeys(op));
  });

  /** One shard's query max (the shard named apart from the request, so a collective one copies nothing). */
  const queryMax = (request: Omit<ObjectAddress, 'target' | 'shard'> & { akey: Buffer | null; tx?: Buffer }, targetIndex: number, shard: number): MaybeAsync<QueryMaxAnswer> => {
    const target = resolveObject(deps, request, targetIndex, shard);
    const { vos, ref } = target;
    const akey = request.akey;
    return guardedRead(guard, target, { cont: ref.cont, oid: ref.oid, shard, epoch: request.epoch, tx: request.tx }, () => {
      const max = akey === null ? NO_MAX_KEY : vos.queryMax({ cont: ref.cont, oid: ref.oid, shard, akey, epoch: asEpoch(request.epoch) });
      return { dkey: max.dkey, end: max.end, maxEpoch: vos.queryMaxEpoch(ref) };
    });
  };
  registry.register(OBJ_QUERY_MAX, (request) => queryMax(request, request.target, request.shard));

  // Collective forms: each named shard served as its per-shard RPC would be, all at once (they share the
  // targets' store batches); the first failure in shard order fails the RPC, as a per-shard one would.
  registry.register(OBJ_COLL_PUNCH, (request) => thenMaybe(
    allInOrder(request.shards.map((at) => () => punch(request, at.target, at.shard))),
    (): Record<string, never> => ({}),
  ));
  registry.register(OBJ_MULTI_PUNCH, (request) => {
    const { pool, cont, mapVersion, epoch, ifStored } = request;
    return thenMaybe(
      allInOrder(request.punches.map((at) => () => punch({ pool, cont, mapVersion, epoch, oid: at.oid }, at.target, at.shard, ifStored))),
      (): Record<string, never> => ({}),
    );
  });
  registry.register(OBJ_COLL_UPDATE, (request) => thenMaybe(
    allInOrder(request.updates.map((at) => () => update(request, at))),
    (): Record<string, never> => ({}),
  ));
  registry.register(OBJ_COLL_QUERY_MAX, (request) => thenMaybe(
    allInOrder(request.shards.map((at) => () => queryMax(request, at.target, at.shard))),
    (answers) => ({ answers }),
  ));
  registry.register(OBJ_MULTI_QUERY_MAX, (request) => {
    const { pool, cont, mapVersion, epoch, tx } = request;
    return thenMaybe(
      allInOrder(request.queries.map((query) => () => queryMax({ pool, cont, mapVersion, epoch, tx, oid: query.oid, akey: query.akey }, query.target, query.shard))),
      (answers) => ({ answers }),
    );
  });
}
