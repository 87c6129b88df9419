/**
 * Engine-level RPCs: liveness and the per-engine side of pool administration, sent by the pool service
 * (or any coordinator) to each engine. Clients use ENGINE_PING to find live engines.
 */
import { TARGETS_PER_ENGINE_MAX } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { t } from '../schema.js';
import { poolMap, rank, uuid } from './common.js';
import { reclaimPolicy } from './pool.js';

export const ENGINE_PING = defineRpc(
  'engine_ping',
  t.object({ hlc: t.optional(t.uint()) }),
  t.object({ rank, pid: t.uint(), uptimeMs: t.uint(), hlc: t.uint(), targets: t.uint(TARGETS_PER_ENGINE_MAX), pools: t.array(uuid, 4096) }),
);

/** Create this engine's targets (one VOS each) for a pool. Idempotent. */
export const ENGINE_POOL_CREATE = defineRpc(
  'engine_pool_create',
  t.object({ pool: uuid, capacityBytesPerTarget: t.uint(), map: poolMap, reclaim: t.optional(reclaimPolicy) }),
  t.object({ targets: t.uint(TARGETS_PER_ENGINE_MAX) }),
);

export const ENGINE_POOL_DESTROY = defineRpc('engine_pool_destroy', t.object({ pool: uuid }), t.object({}));

/** The pool service pushes each new map; afterwards the engine answers Der.STALE to older versions. */
export const ENGINE_MAP_UPDATE = defineRpc('engine_map_update', t.object({ pool: uuid, map: poolMap }), t.object({}));

export const ENGINE_CONT_DESTROY = defineRpc('engine_cont_destroy', t.object({ pool: uuid, cont: uuid }), t.object({}));

/** Retained epochs (snapshots) of a container, for aggregation on this engine's targets. */
export const ENGINE_CONT_SNAPSHOTS = defineRpc(
  'engine_cont_snapshots',
  t.object({ pool: uuid, cont: uuid, epochs: t.array(t.uint(), 4096) }),
  t.object({}),
);

export const ENGINE_POOL_USAGE = defineRpc(
  'engine_pool_usage',
  t.object({ pool: uuid }),
  t.object({
    targets: t.array(t.object({ index: t.uint(), capacityBytes: t.uint(), usedBytes: t.uint() }), TARGETS_PER_ENGINE_MAX),
  }),
);
