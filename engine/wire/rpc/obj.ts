/**
 * Object RPCs: update, fetch, punch, list, query. Each addresses one object shard on one target of the
 * receiving engine (the client computed where it lives). Shapes mirror engine/vos: an iod names an akey
 * and either a single value or array extents of fixed-size records.
 */
import {
  BLOB_PATH_CHARS_MAX, EXTENTS_PER_IOD_MAX, IODS_PER_RPC_MAX, LISTED_DKEY_AKEYS_MAX, LIST_KEYS_PER_RPC_MAX, PUNCHES_PER_MULTI_MAX, QUERIES_PER_MULTI_MAX, SHARDS_PER_COLLECTIVE_MAX, VALUE_BYTES_MAX,
} from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { epoch, key, objectAddress } from './common.js';

export const extent = t.object({ index: t.uint(), count: t.uint() });

const recordSize = t.uint(VALUE_BYTES_MAX);
const extents = t.array(extent, EXTENTS_PER_IOD_MAX);

export const updateIod = t.variant('type', {
  single: t.object({ type: t.literal('single'), akey: key, value: t.bytes(VALUE_BYTES_MAX) }),
  array: t.object({
    type: t.literal('array'),
    akey: key,
    recordSize,
    extents,
    /** Records of the extents, concatenated in order; null punches the extents. */
    data: t.nullable(t.bytes(VALUE_BYTES_MAX)),
  }),
});
export type UpdateIodBody = Infer<typeof updateIod>;

export const fetchIod = t.variant('type', {
  single: t.object({ type: t.literal('single'), akey: key }),
  array: t.object({ type: t.literal('array'), akey: key, recordSize, extents }),
});
export type FetchIodBody = Infer<typeof fetchIod>;

/**
 * A placed answer's blob bytes (asked for with `placed`, given only on the engine's UNIX socket): the
 * answer's bytes at `places` (triples: offset in the answer, offset in the file, length) are read from the
 * target's data blob file, the inode `ino` at `path`, within LOCAL_READ_LEASE_MS / 2 of sending the
 * request; `data` holds the answer's other bytes, in order. Each place holds a byte at least: at most
 * 3 * VALUE_BYTES_MAX numbers.
 */
const blobPlaces = t.object({ path: t.str(BLOB_PATH_CHARS_MAX, 1), ino: t.uint(), places: t.array(t.uint(), 3 * VALUE_BYTES_MAX) });

export const fetchValue = t.variant('type', {
  single: t.object({ type: t.literal('single'), value: t.nullable(t.bytes(VALUE_BYTES_MAX)) }),
  /**
   * `filled`: records of the requested extents that hold written data; equal to the records asked for
   * when the range has no hole (a reader then knows the array reaches past it). Absent: unknown.
   */
  array: t.object({ type: t.literal('array'), data: t.bytes(VALUE_BYTES_MAX), filled: t.optional(t.uint()), blob: t.optional(blobPlaces) }),
});
export type FetchValueBody = Infer<typeof fetchValue>;

/** The records an array akey must hold for a conditional punch (compare-and-punch). */
const recordMatch = t.object({ akey: key, recordSize, extents, data: t.bytes(VALUE_BYTES_MAX) });
export type RecordMatchBody = Infer<typeof recordMatch>;

const empty = t.object({});
/**
 * Set on reads inside a transaction (its 16-byte txid): the target records the read epoch, so a later
 * write below it restarts, and treats the transaction's own prepared intents as its own.
 */
const txTag = t.optional(t.bytes(16, 16));
const listResult = t.object({ keys: t.array(key, LIST_KEYS_PER_RPC_MAX), anchor: t.nullable(key) });

export const OBJ_UPDATE = defineRpc(
  'obj_update',
  t.object({
    ...objectAddress,
    dkey: key,
    epoch,
    iods: t.array(updateIod, IODS_PER_RPC_MAX),
    dkeyCond: t.optional(t.literal('insert', 'update')),
    akeyCond: t.optional(t.literal('insert', 'update')),
    /** Compare-and-update: NONEXIST, nothing written, unless the dkey's array akey holds these records. */
    ifMatch: t.optional(recordMatch),
  }),
  empty,
  { bulk: true },
);

/** Bytes of array records a fetch of `iods` asks for. */
export function fetchArrayBytes(iods: readonly FetchIodBody[]): number {
  return iods.reduce((sum, iod) => (iod.type === 'array' ? sum + iod.extents.reduce((records, extent) => records + extent.count, 0) * iod.recordSize : sum), 0);
}

export const OBJ_FETCH = defineRpc(
  'obj_fetch',
  t.object({
    ...objectAddress,
    dkey: key,
    epoch,
    iods: t.array(fetchIod, IODS_PER_RPC_MAX),
    dkeyCond: t.optional(t.literal('exists')),
    tx: txTag,
    /** Array bytes may be answered by place (blobPlaces), for a client on the engine's host. */
    placed: t.optional(t.bool()),
  }),
  t.object({ values: t.array(fetchValue, IODS_PER_RPC_MAX) }),
  {
    // Array records asked for come back as bulk data (unless placed); single values are bounded by what was stored.
    answerBytes: (request) => (request.placed === true ? 0 : fetchArrayBytes(request.iods)),
    bulk: true,
  },
);

export const OBJ_PUNCH = defineRpc(
  'obj_punch',
  t.object({
    ...objectAddress,
    epoch,
    /** Absent: punch the whole object shard. */
    dkey: t.optional(key),
    /** With dkey: punch only these akeys. */
    akeys: t.optional(t.array(key, IODS_PER_RPC_MAX)),
    ifExists: t.optional(t.bool()),
    /** With dkey: punch only while this array akey holds these records (else DER_NONEXIST). */
    ifMatch: t.optional(recordMatch),
  }),
  empty,
);

/**
 * Lists dkeys; with `iods`, also fetches them under every dkey listed, and with `akeysMax`, lists the akeys
 * of every dkey listed (at most akeysMax + 1 each: more than akeysMax means "more than that"), at the same
 * epoch and in the same read (DFS readdirplus: each entry's inode and xattr names with its name, instead of
 * RPCs per entry). `values[i]` answers `keys[i]` as OBJ_FETCH would, `akeys[i]` as OBJ_LIST_AKEYS would.
 */
export const OBJ_LIST_DKEYS = defineRpc(
  'obj_list_dkeys',
  t.object({
    ...objectAddress, epoch, anchor: t.nullable(key), limit: t.uint(LIST_KEYS_PER_RPC_MAX), tx: txTag,
    iods: t.optional(t.array(fetchIod, IODS_PER_RPC_MAX)),
    akeysMax: t.optional(t.uint(LISTED_DKEY_AKEYS_MAX)),
  }),
  t.object({
    keys: t.array(key, LIST_KEYS_PER_RPC_MAX), anchor: t.nullable(key),
    values: t.optional(t.array(t.array(fetchValue, IODS_PER_RPC_MAX), LIST_KEYS_PER_RPC_MAX)),
    akeys: t.optional(t.array(t.array(key, LISTED_DKEY_AKEYS_MAX + 1), LIST_KEYS_PER_RPC_MAX)),
  }),
);

export const OBJ_LIST_AKEYS = defineRpc(
  'obj_list_akeys',
  t.object({ ...objectAddress, dkey: key, epoch, anchor: t.nullable(key), limit: t.uint(LIST_KEYS_PER_RPC_MAX), tx: txTag }),
  listResult,
);

const queryMaxAnswer = t.object({ dkey: t.nullable(key), end: t.uint(), maxEpoch: t.uint() });

/** `akey` null: only the object's newest epoch is wanted (a directory's mtime), no dkey is searched (dkey null, end 0). */
export const OBJ_QUERY_MAX = defineRpc(
  'obj_query_max',
  t.object({ ...objectAddress, akey: t.nullable(key), epoch, tx: txTag }),
  queryMaxAnswer,
);

/**
 * Collective RPCs (DAOS obj_coll_punch / obj_coll_query): one RPC per engine for an operation on every
 * group of an object, naming the object's shards on that engine. Each shard is served exactly as the
 * per-shard RPC would serve it; a wide object (SX: a group per target) costs one RPC per engine, not one
 * per shard.
 */
const collectiveAddress = {
  pool: objectAddress.pool,
  cont: objectAddress.cont,
  mapVersion: objectAddress.mapVersion,
  oid: objectAddress.oid,
  shards: t.array(t.object({ target: objectAddress.target, shard: objectAddress.shard }), SHARDS_PER_COLLECTIVE_MAX),
};
const collectiveAddressSchema = t.object(collectiveAddress);
/** The fields every collective object RPC starts with. */
export type CollectiveAddressBody = Readonly<Infer<typeof collectiveAddressSchema>>;

/** Punches the whole object on each named shard, at one epoch. */
export const OBJ_COLL_PUNCH = defineRpc('obj_coll_punch', t.object({ ...collectiveAddress, epoch }), empty);

/** OBJ_QUERY_MAX on each named shard; answers in shard order. */
export const OBJ_COLL_QUERY_MAX = defineRpc(
  'obj_coll_query_max',
  t.object({ ...collectiveAddress, akey: t.nullable(key), epoch, tx: txTag }),
  t.object({ answers: t.array(queryMaxAnswer, SHARDS_PER_COLLECTIVE_MAX) }),
);

/**
 * OBJ_QUERY_MAX on shards of many objects on one engine (each query names its object, shard and akey);
 * answers in query order. A directory listing's sizes cost one RPC per engine instead of one per object
 * and engine.
 */
export const OBJ_MULTI_QUERY_MAX = defineRpc(
  'obj_multi_query_max',
  t.object({
    pool: objectAddress.pool,
    cont: objectAddress.cont,
    mapVersion: objectAddress.mapVersion,
    epoch,
    tx: txTag,
    queries: t.array(t.object({ oid: objectAddress.oid, target: objectAddress.target, shard: objectAddress.shard, akey: t.nullable(key) }), QUERIES_PER_MULTI_MAX),
  }),
  t.object({ answers: t.array(queryMaxAnswer, QUERIES_PER_MULTI_MAX) }),
);

/**
 * OBJ_COLL_PUNCH of many objects on one engine at one epoch: each punch names its object and one of its
 * shards here (what the reaper of removed DFS entries sends: one RPC per engine for a batch of objects,
 * not one per object and engine). `ifStored`: a shard that holds nothing of its object (never written or
 * punched here) is left alone, spared a punch record: for objects nothing names any more, whose late
 * writes leave an orphan either way.
 */
export const OBJ_MULTI_PUNCH = defineRpc(
  'obj_multi_punch',
  t.object({
    pool: objectAddress.pool,
    cont: objectAddress.cont,
    mapVersion: objectAddress.mapVersion,
    epoch,
    ifStored: t.bool(),
    punches: t.array(t.object({ oid: objectAddress.oid, target: objectAddress.target, shard: objectAddress.shard }), PUNCHES_PER_MULTI_MAX),
  }),
  empty,
);

/**
 * OBJ_UPDATE of several dkeys of one object at one epoch, each on the shard (of this engine) the client
 * placed it on: a batch of writes scattered over a wide object's chunks costs one RPC per engine instead
 * of one per chunk. Unconditional only (conditions need the group leader's verdict first, replication.ts).
 */
export const OBJ_COLL_UPDATE = defineRpc(
  'obj_coll_update',
  t.object({
    pool: objectAddress.pool,
    cont: objectAddress.cont,
    mapVersion: objectAddress.mapVersion,
    oid: objectAddress.oid,
    epoch,
    updates: t.array(t.object({ target: objectAddress.target, shard: objectAddress.shard, dkey: key, iods: t.array(updateIod, IODS_PER_RPC_MAX) }), SHARDS_PER_COLLECTIVE_MAX),
  }),
  empty,
  { bulk: true },
);

export const OBJ_RPCS = [OBJ_UPDATE, OBJ_FETCH, OBJ_PUNCH, OBJ_LIST_DKEYS, OBJ_LIST_AKEYS, OBJ_QUERY_MAX, OBJ_COLL_PUNCH, OBJ_COLL_QUERY_MAX, OBJ_COLL_UPDATE] as const;
