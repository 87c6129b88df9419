/**
 * The durable format of the pool service on one engine, under `<dir>/pools/<pool uuid>/svc/`:
 *   replica.json  on a service replica: the promised term, the leader last heard of, the whole state
 *   hint.json     on any other engine of the pool: label and service ranks, to redirect clients
 * The state is stored in exactly its wire shape (engine/wire/rpc/svc.ts) and checked with the same schema
 * on every read. Changing a field means bumping SVC_LAYOUT_VERSION.
 */
import { SVC_REPLICAS_MAX } from '../../constants.js';
import { t } from '../../wire/schema.js';
import { label, rank, uuid } from '../../wire/rpc/common.js';
import { type SvcStateBody, svcState } from '../../wire/rpc/svc.js';

export const SVC_LAYOUT_VERSION = 1;
export const REPLICA_FILE = 'replica.json';
export const HINT_FILE = 'hint.json';

/** replica.json */
export interface ReplicaLayout {
  readonly layoutVersion: number;
  /** Highest term this replica promised (voted for or accepted); it refuses pushes of older terms. */
  readonly promisedTerm: number;
  readonly leaderHint?: number;
  readonly state: SvcStateBody;
}

/** hint.json */
export interface HintLayout {
  readonly layoutVersion: number;
  readonly uuid: string;
  readonly label: string;
  readonly svcRanks: readonly number[];
}

const replicaSchema = t.object({
  layoutVersion: t.literal(SVC_LAYOUT_VERSION),
  promisedTerm: t.uint(),
  leaderHint: t.optional(rank),
  state: svcState,
});

const hintSchema = t.object({
  layoutVersion: t.literal(SVC_LAYOUT_VERSION),
  uuid,
  label,
  svcRanks: t.array(rank, SVC_REPLICAS_MAX),
});

/** The replica file at rest, checked; throws EngineError(Der.PROTO) naming the bad field. */
export function parseReplicaLayout(value: unknown, path: string): ReplicaLayout {
  return replicaSchema.check(value, path);
}

export function parseHintLayout(value: unknown, path: string): HintLayout {
  return hintSchema.check(value, path);
}
