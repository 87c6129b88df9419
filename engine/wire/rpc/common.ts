/**
 * Field schemas shared by several RPC groups: ids, keys, epochs, the pool map.
 */
import {
  KEY_BYTES_MAX, LABEL_BYTES_MAX, RANKS_MAX, TARGETS_PER_ENGINE_MAX, UUID_STRING_BYTES,
} from '../../constants.js';
import { TARGET_STATES } from '../../pool-map/pool-map.js';
import { type Infer, t } from '../schema.js';

export const uuid = t.str(UUID_STRING_BYTES, UUID_STRING_BYTES);
/** A pool or container named by uuid or by label. */
export const poolOrContName = t.str(Math.max(UUID_STRING_BYTES, LABEL_BYTES_MAX), 1);
export const label = t.str(LABEL_BYTES_MAX, 1);
export const oid = t.bytes(16, 16);
export const key = t.bytes(KEY_BYTES_MAX, 1);
export const epoch = t.uint();
export const rank = t.uint(RANKS_MAX - 1);

export const poolMapTarget = t.object({
  index: t.uint(TARGETS_PER_ENGINE_MAX - 1),
  state: t.literal(...TARGET_STATES),
  fseq: t.uint(),
});

export const poolMapRank = t.object({
  rank,
  faultDomain: t.str(255, 1),
  address: t.str(255, 1),
  targets: t.array(poolMapTarget, TARGETS_PER_ENGINE_MAX),
});

export const poolMap = t.object({
  version: t.uint(),
  ranks: t.array(poolMapRank, RANKS_MAX),
});
export type PoolMapBody = Infer<typeof poolMap>;

/** Fields every object RPC carries: which pool/container/target/shard, and the client's map version. */
export const objectAddress = {
  pool: uuid,
  cont: uuid,
  mapVersion: t.uint(),
  target: t.uint(TARGETS_PER_ENGINE_MAX - 1),
  oid,
  shard: t.uint(0xffff * 16),
};

const objectAddressSchema = t.object(objectAddress);
/** The addressing fields of an object RPC, as both sides type them. */
export type ObjectAddressBody = Readonly<Infer<typeof objectAddressSchema>>;
