/**
 * Resync RPCs: how a reintegrating engine gets the writes it missed while it was excluded. The pool
 * service leader asks the rejoining engine for its high-water epoch, then asks every other in-service
 * engine to push what it holds for the rejoining engine's shards since an epoch (RESYNC_PUSH); pushers
 * send records to the rejoining engine with RESYNC_INGEST. Registered on every engine.
 */
import { TARGETS_PER_ENGINE_MAX, VALUE_BYTES_MAX } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { epoch, key, oid, poolMap, rank, uuid } from './common.js';

/** Records per RESYNC_INGEST body (the sender also caps payload bytes well under the body limit). */
export const RESYNC_RECORDS_PER_RPC_MAX = 4096;

const recordBase = { cont: t.str(128, 1), oid, shard: t.uint(0xffff * 16), epoch };

/** One raw version or punch of a VOS target, as exported for resync (engine/vos/record.ts). */
export const vosRecord = t.variant('kind', {
  single: t.object({ kind: t.literal('single'), ...recordBase, dkey: key, akey: key, value: t.bytes(VALUE_BYTES_MAX) }),
  array: t.object({
    kind: t.literal('array'),
    ...recordBase,
    dkey: key,
    akey: key,
    recordSize: t.uint(VALUE_BYTES_MAX),
    extent: t.object({ index: t.uint(), count: t.uint() }),
    data: t.nullable(t.bytes(VALUE_BYTES_MAX)),
  }),
  punchObject: t.object({ kind: t.literal('punchObject'), ...recordBase }),
  punchDkey: t.object({ kind: t.literal('punchDkey'), ...recordBase, dkey: key }),
  punchAkey: t.object({ kind: t.literal('punchAkey'), ...recordBase, dkey: key, akey: key }),
});
export type VosRecordBody = Infer<typeof vosRecord>;

/** The newest epoch stored on any of this engine's targets of the pool (0 when empty). */
export const RESYNC_HIGH_WATER = defineRpc('resync_high_water', t.object({ pool: uuid }), t.object({ epoch }));

/**
 * Scan local targets for records newer than `sinceEpoch` that belong to a shard of `rank` under `map`,
 * for which this engine is the lowest-ranked healthy replica of the group, and send them to `rank`.
 * Answers when every record was ingested there.
 */
export const RESYNC_PUSH = defineRpc(
  'resync_push',
  t.object({ pool: uuid, rank, sinceEpoch: epoch, map: poolMap }),
  t.object({ objects: t.uint(), records: t.uint() }),
);

/** Apply records to one target as shard `shard` (VOS ingest: idempotent, epochs kept). */
export const RESYNC_INGEST = defineRpc(
  'resync_ingest',
  t.object({
    pool: uuid,
    target: t.uint(TARGETS_PER_ENGINE_MAX - 1),
    shard: t.uint(0xffff * 16),
    records: t.array(vosRecord, RESYNC_RECORDS_PER_RPC_MAX),
  }),
  t.object({}),
);
