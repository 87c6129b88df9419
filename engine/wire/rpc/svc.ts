/**
 * Internal RPCs of the pool service: replication of the service state between a pool's service replicas
 * (push, collect for an election, leader hint), plus the bookkeeping sent to every engine of a pool
 * (hint of who the replicas are, drop on destroy, local listing). Never sent by clients.
 * The whole service state travels in each push: it is small (pool map, properties, container records),
 * and a lagging replica catches up with the next push.
 */
import { RANKS_MAX, SNAPSHOTS_PER_CONT_MAX, SVC_REPLICAS_MAX, UUID_STRING_BYTES } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { epoch, label, poolMap, rank, uuid } from './common.js';
import { attrs, contProps, snapshot } from './cont.js';
import { poolProps } from './pool.js';

/** Containers per pool (mirrors the CONT_LIST schema bound). */
export const CONTS_PER_POOL_MAX = 1 << 16;

/** One container as the pool service stores it. */
export const contRecord = t.object({
  label: t.optional(label),
  props: contProps,
  attrs,
  snapshots: t.array(snapshot, SNAPSHOTS_PER_CONT_MAX),
  /** Next OID `lo` to hand out; only grows. */
  oidNext: t.uint(),
  createdMs: t.uint(),
});
export type ContRecord = Infer<typeof contRecord>;

/** A reintegrating rank and the epoch its resync starts from (kept until the rank is UPIN). */
export const pendingResync = t.object({ rank, sinceEpoch: epoch });
export type PendingResync = Infer<typeof pendingResync>;

/**
 * The replicated state of one pool service. (term, seq) orders states: term of the leader that wrote it,
 * then its sequence number; a newer leader's states compare greater whatever their seq.
 */
export const svcState = t.object({
  uuid,
  label,
  props: poolProps,
  svcRanks: t.array(rank, SVC_REPLICAS_MAX),
  map: poolMap,
  capacityBytesPerTarget: t.uint(),
  /** Keyed by container uuid. */
  containers: t.record(contRecord, CONTS_PER_POOL_MAX, UUID_STRING_BYTES),
  /** Ranks excluded by failure detection: reintegrated automatically when they answer again. */
  autoExcluded: t.array(rank, RANKS_MAX),
  resyncs: t.array(pendingResync, RANKS_MAX),
  createdMs: t.uint(),
  term: t.uint(),
  seq: t.uint(),
});
export type SvcStateBody = Infer<typeof svcState>;

/**
 * Leader -> replica: adopt this state. Refused with Der.NOTLEADER (naming the leader the replica knows)
 * when `term` is older than a term the replica promised; `init` creates the replica (pool create).
 */
export const SVC_PUSH = defineRpc(
  'svc_push',
  t.object({ pool: uuid, term: t.uint(), leader: rank, init: t.optional(t.bool()), state: svcState }),
  t.object({}),
);

/**
 * Candidate -> replica: promise `term` (never accept an older leader again) and send your state.
 * Not granted when the replica already promised `term` or a newer one; `promisedTerm` says which.
 */
export const SVC_COLLECT = defineRpc(
  'svc_collect',
  t.object({ pool: uuid, term: t.uint(), candidate: rank }),
  t.object({ granted: t.bool(), promisedTerm: t.uint(), state: t.optional(svcState) }),
);

/** Who this replica believes leads the pool, and in which term (leader absent when unknown). */
export const SVC_LEADER = defineRpc(
  'svc_leader',
  t.object({ pool: uuid }),
  t.object({ leader: t.optional(rank), term: t.uint(), isLeader: t.bool() }),
);

/** Tells an engine of the pool which ranks hold its service, so it can redirect clients. */
export const SVC_HINT = defineRpc(
  'svc_hint',
  t.object({ pool: uuid, label, svcRanks: t.array(rank, SVC_REPLICAS_MAX) }),
  t.object({}),
);

/** Forgets the pool's service state or hint on this engine (pool destroy). Idempotent. */
export const SVC_DROP = defineRpc('svc_drop', t.object({ pool: uuid }), t.object({}));

const poolSummary = t.object({ uuid, label, svcRanks: t.array(rank, SVC_REPLICAS_MAX) });

/** Pools this engine knows (as replica or through a hint), without asking peers. */
export const SVC_LIST_LOCAL = defineRpc('svc_list_local', t.object({}), t.object({ pools: t.array(poolSummary, 4096) }));
