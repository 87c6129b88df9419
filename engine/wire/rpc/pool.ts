/**
 * Pool RPCs. Served by the pool service (a leader engine among the pool's service replicas); a replica that
 * is not the leader answers Der.NOTLEADER naming the leader it knows. POOL_CREATE and POOL_LIST may be sent
 * to any engine of the system, which coordinates them.
 */
import { RANKS_MAX, SVC_REPLICAS_MAX, TARGETS_PER_ENGINE_MAX } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { label, poolMap, poolOrContName, rank, uuid } from './common.js';

/**
 * When background aggregation runs on the pool's targets (DAOS pool prop `reclaim`): 'lazy' while the pool
 * sees no I/O, or when a target runs short of space or has waited too long; 'time' at every interval;
 * 'disabled' never (versions and space accumulate until an operator runs it).
 */
export const RECLAIM_POLICIES = ['lazy', 'time', 'disabled'] as const;
export const reclaimPolicy = t.literal(...RECLAIM_POLICIES);
export type ReclaimPolicy = Infer<typeof reclaimPolicy>;
/** DAOS's default, and what a pool created before the property existed has. */
export const RECLAIM_DEFAULT: ReclaimPolicy = 'lazy';

const poolPropFields = {
  /** Engine losses objects must survive (DAOS rd_fac); containers default to it. */
  rdFac: t.uint(4),
  /** Percent of each target held back for rebuild (DAOS space_rb). */
  spaceRbPercent: t.uint(100),
  /** What happens when an engine stops answering: 'exclude' marks it DOWN, 'none' waits for an operator. */
  selfHeal: t.literal('exclude', 'none'),
};

export const poolProps = t.object({
  ...poolPropFields,
  /** Absent in pools created before the property existed: those are RECLAIM_DEFAULT. */
  reclaim: t.optional(reclaimPolicy),
});
export type PoolProps = Infer<typeof poolProps>;

/** Pool properties a create asks for; each one left out takes its default. */
const poolPropsRequest = t.object({
  rdFac: t.optional(poolPropFields.rdFac),
  spaceRbPercent: t.optional(poolPropFields.spaceRbPercent),
  selfHeal: t.optional(poolPropFields.selfHeal),
  reclaim: t.optional(reclaimPolicy),
});
export type PoolPropsRequest = Infer<typeof poolPropsRequest>;

const poolSummary = t.object({ uuid, label, svcRanks: t.array(rank, SVC_REPLICAS_MAX) });

export const POOL_CREATE = defineRpc(
  'pool_create',
  t.object({
    uuid: t.optional(uuid),
    label,
    /** Ranks to span; default every engine of the system. */
    ranks: t.optional(t.array(rank, RANKS_MAX)),
    /** Capacity of each target in bytes (0 = no quota). */
    capacityBytesPerTarget: t.uint(),
    svcReplicas: t.optional(t.uint(SVC_REPLICAS_MAX)),
    props: t.optional(poolPropsRequest),
  }),
  t.object({ uuid, label, svcRanks: t.array(rank, SVC_REPLICAS_MAX), map: poolMap }),
);

export const POOL_LIST = defineRpc('pool_list', t.object({}), t.object({ pools: t.array(poolSummary, 4096) }));

export const POOL_CONNECT = defineRpc(
  'pool_connect',
  t.object({ pool: poolOrContName }),
  t.object({ uuid, label, svcRanks: t.array(rank, SVC_REPLICAS_MAX), map: poolMap, props: poolProps }),
);

export const POOL_MAP_GET = defineRpc('pool_map_get', t.object({ pool: uuid }), t.object({ map: poolMap }));

const targetSpace = t.object({
  rank,
  index: t.uint(TARGETS_PER_ENGINE_MAX - 1),
  capacityBytes: t.uint(),
  usedBytes: t.uint(),
});

export const POOL_QUERY = defineRpc(
  'pool_query',
  t.object({ pool: poolOrContName }),
  t.object({
    uuid,
    label,
    svcRanks: t.array(rank, SVC_REPLICAS_MAX),
    leader: rank,
    map: poolMap,
    props: poolProps,
    /** Space per target; targets whose engine did not answer are absent. */
    targets: t.array(targetSpace, RANKS_MAX * TARGETS_PER_ENGINE_MAX),
    /** 'degraded' iff some target is DOWN (not yet rebuilt) or reintegrating. */
    redundancy: t.literal('normal', 'degraded'),
    rebuild: t.object({ state: t.literal('idle', 'busy', 'done', 'failed'), objects: t.uint(), records: t.uint() }),
  }),
);

export const POOL_EXCLUDE = defineRpc('pool_exclude', t.object({ pool: poolOrContName, rank }), t.object({ map: poolMap }));
export const POOL_REINTEGRATE = defineRpc('pool_reintegrate', t.object({ pool: poolOrContName, rank }), t.object({ map: poolMap }));
export const POOL_DESTROY = defineRpc('pool_destroy', t.object({ pool: poolOrContName, force: t.optional(t.bool()) }), t.object({}));

/** A client reports an engine it could not reach; the leader checks and may exclude it. */
export const POOL_REPORT_UNREACHABLE = defineRpc(
  'pool_report_unreachable',
  t.object({ pool: uuid, rank, mapVersion: t.uint() }),
  t.object({ map: poolMap }),
);
