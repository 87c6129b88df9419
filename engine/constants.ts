/**
 * Every limit of the object layer, in one place, with the relationships between them asserted.
 * Wire validation, the engine and the client all read these; nothing hard-codes its own copy.
 */
import assert from 'node:assert/strict';

/** dkey/akey length (DAOS allows larger; 64 KiB keeps index rows bounded). */
export const KEY_BYTES_MAX = 64 * 1024;
/** A single value or the data of one array update. */
export const VALUE_BYTES_MAX = 64 * 1024 * 1024;
/** Whole RPC body: the largest value plus room for keys and framing. */
export const RPC_BODY_BYTES_MAX = VALUE_BYTES_MAX + 4 * 1024 * 1024;
/** Akeys in one update/fetch. */
export const IODS_PER_RPC_MAX = 256;
/** Extents in one array iod (DAOS list-I/O descriptor cap). */
export const EXTENTS_PER_IOD_MAX = 16_384;
/** Keys returned by one list call. */
export const LIST_KEYS_PER_RPC_MAX = 4096;
/** Akeys a dkey listing may return per dkey listed (OBJ_LIST_DKEYS akeysMax). */
export const LISTED_DKEY_AKEYS_MAX = 64;
/** Values at or above this size go to the target's data blob, smaller ones inline with metadata. */
export const INLINE_VALUE_BYTES_MAX = 4096;
export const TARGETS_PER_ENGINE_MAX = 64;
export const TARGETS_PER_ENGINE_DEFAULT = 4;
export const RANKS_MAX = 1024;
export const SVC_REPLICAS_MAX = 5;
export const UUID_STRING_BYTES = 36;
export const LABEL_BYTES_MAX = 127;
export const OIDS_PER_ALLOC_MAX = 1 << 20;
export const ATTRS_PER_CONT_MAX = 1024;
export const ATTR_NAME_BYTES_MAX = 255;
export const ATTR_VALUE_BYTES_MAX = 64 * 1024;
export const SNAPSHOTS_PER_CONT_MAX = 4096;

/** Client: one RPC's deadline before fail-over to another replica or a retry. */
export const RPC_TIMEOUT_MS = 10_000;
/** Client: retries of one operation on stale map / unreachable engine before giving up. */
export const RPC_RETRIES_MAX = 8;
/** Client: concurrent streams per engine session (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS offered by the engine). */
export const STREAMS_PER_SESSION_MAX = 1024;
/**
 * Engine: requests merged into one store transaction. Small enough that the first answers of a burst
 * leave while the rest is still being applied, so client and engine work in parallel instead of in
 * lockstep: 16 measured ~8,400 small updates/s against ~6,100 with 256 (scripts/bench, same session).
 */
export const BATCH_REQUESTS_MAX = 16;
/** Shards of one object named by one collective RPC (obj_coll_*); a client with more sends several. */
export const SHARDS_PER_COLLECTIVE_MAX = 1024;
/** Object queries one OBJ_MULTI_QUERY_MAX carries at most. */
export const QUERIES_PER_MULTI_MAX = 4096;
/** Object shard punches one OBJ_MULTI_PUNCH carries at most. */
export const PUNCHES_PER_MULTI_MAX = 4096;
/**
 * Calls whose request body, and whose answer as far as the RPC can tell (RpcDef.answerBytes), fit in this
 * travel as frames on the session's rpc_channel stream (engine/wire/channel.ts); bulk keeps a stream of its own.
 */
export const RPC_CHANNEL_CALL_BYTES_MAX = 16 * 1024;
/**
 * Local reads (placed fetch answers, engine/vos/data-blob.ts): blob space freed within this long of a placed
 * answer is not reused for this long, and a client must have read the places within half of it from
 * sending its request (else it asks again for the bytes).
 */
export const LOCAL_READ_LEASE_MS = 4_000;
/** The name of a target's data blob file; clients read no other file in place. */
export const DATA_BLOB_FILE_NAME = 'data.blob';
/** A blob file path in a placed answer (Linux PATH_MAX). */
export const BLOB_PATH_CHARS_MAX = 4096;

assert.ok(INLINE_VALUE_BYTES_MAX < VALUE_BYTES_MAX);
assert.ok(RPC_BODY_BYTES_MAX > VALUE_BYTES_MAX + KEY_BYTES_MAX * 2);
assert.ok(TARGETS_PER_ENGINE_DEFAULT <= TARGETS_PER_ENGINE_MAX);
assert.ok(BATCH_REQUESTS_MAX <= STREAMS_PER_SESSION_MAX);
assert.ok(RPC_CHANNEL_CALL_BYTES_MAX < RPC_BODY_BYTES_MAX);
