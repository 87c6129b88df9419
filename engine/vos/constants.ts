/**
 * Every limit of the versioned object store, with the relationships between them asserted at load.
 * Validation (validate.ts) and the stores assert against these; nothing in engine/vos hard-codes a size.
 * A lead may later move these into engine/constants.ts; keep them plain exported numbers.
 */
import assert from 'node:assert/strict';
import {
  BATCH_REQUESTS_MAX,
  EXTENTS_PER_IOD_MAX as WIRE_EXTENTS_PER_IOD_MAX,
  INLINE_VALUE_BYTES_MAX,
  IODS_PER_RPC_MAX,
  KEY_BYTES_MAX as WIRE_KEY_BYTES_MAX,
  LIST_KEYS_PER_RPC_MAX,
  VALUE_BYTES_MAX,
} from '../constants.js';
import { EPOCH_LOGICAL_BITS } from '../wire/epoch.js';
import { TX_OPS_PER_TARGET_MAX } from '../wire/rpc/tx.js';

/** Object ids are 128 bits (DAOS `daos_obj_id_t`), 16 bytes big-endian at rest and on the wire. */
export const OID_BYTES = 16;

/** dkeys and akeys: at least one byte, at most 64 KiB; compared as bytes (memcmp order). */
export const KEY_BYTES_MIN = 1;
export const KEY_BYTES_MAX = WIRE_KEY_BYTES_MAX;

/** Container ids are uuid strings; anything longer is a caller bug. */
export const CONT_ID_CHARS_MAX = 128;

/** Object shard index; two shards of one object on one target are independent objects here. */
export const SHARD_INDEX_MAX = 2 ** 24 - 1;

/** Values (single values, or one extent's data) of at least this many bytes go to the data blob. */
export const BLOB_THRESHOLD_BYTES = INLINE_VALUE_BYTES_MAX;

/** Blob allocations are rounded up to this, like a block device sector; keeps the free list coarse. */
export const BLOB_ALIGN_BYTES = 4096;

/** Largest payload of one update or fetch (sum over its iods), and the largest single value. */
export const IO_BYTES_MAX = VALUE_BYTES_MAX;

/** Array record size (DAOS `iod_size`) bounds. */
export const RECORD_SIZE_BYTES_MIN = 1;
export const RECORD_SIZE_BYTES_MAX = IO_BYTES_MAX;

/** Array indexes are non-negative integers; index + count must stay exact in a JS number. */
export const ARRAY_INDEX_END_MAX = Number.MAX_SAFE_INTEGER;

/** Per-request fan-out limits. */
export const IODS_PER_OP_MAX = 1024;
export const EXTENTS_PER_IOD_MAX = WIRE_EXTENTS_PER_IOD_MAX;
export const PUNCH_AKEYS_MAX = 1024;
export const BATCH_OPS_MAX = 4096;

/** Listing: keys per call, and how many key rows one scan step reads from the index. */
export const LIST_LIMIT_MAX = 65536;
export const LIST_SCAN_ROWS = 256;

/** Object id cache (cont, oid, shard) -> surrogate id; an LRU bounded by this many entries. */
export const OBJECT_CACHE_ENTRIES_MAX = 8192;

/** Resync: records per export call, soft cap on exported payload bytes per call, records per ingest. */
export const EXPORT_RECORDS_MAX = 65536;
export const EXPORT_PAYLOAD_BYTES_SOFT_MAX = 16 * 1024 * 1024;
export const INGEST_RECORDS_MAX = 65536;

/** Aggregation rewrites a merged run of extents in pieces of at most this many bytes. */
export const MERGE_RUN_BYTES_MAX = IO_BYTES_MAX;

/**
 * Aggregation merges adjacent fully visible extents only while they are smaller than this, so an extent
 * that grew past it is not rewritten again on every pass (bounded write amplification for appends).
 * Partly overwritten extents are always trimmed, whatever their size.
 */
export const MERGE_SMALL_EXTENT_BYTES = 64 * 1024;

/** sqlite page cache per target, KiB (an engine runs several targets). */
export const SQLITE_CACHE_KIB = 16 * 1024;

/** sqlite WAL pages (4 KiB each) between automatic checkpoints. */
export const WAL_AUTOCHECKPOINT_PAGES = 4096;

/** DTX: transactions with prepared intents on one target; a prepare beyond it answers DER_BUSY. */
export const DTX_INTENTS_PER_TARGET_MAX = 4096;
/** DTX: operations one prepare may carry (the wire cap, TX_OPS_PER_TARGET_MAX, must fit). */
export const DTX_OPS_PER_PREPARE_MAX = 4096;
/** DTX: entries per read-timestamp map (dtx/read-stamps.ts) before LRU eviction into the low-water mark. */
export const READ_STAMPS_ENTRIES_MAX = 65_536;
/** DTX: the durable read-timestamp bound is set this far (250 ms of HLC time) above the rts it covers. */
export const RTS_BOUND_AHEAD_EPOCHS = 250 * 2 ** EPOCH_LOGICAL_BITS;

/** Durable layout version, stored in the `meta` table; opening another version is refused. */
export const VOS_LAYOUT_VERSION = 2;

// The store must accept everything the wire accepts.
assert.ok(IODS_PER_OP_MAX >= IODS_PER_RPC_MAX);
assert.ok(LIST_LIMIT_MAX >= LIST_KEYS_PER_RPC_MAX);
assert.ok(BATCH_OPS_MAX >= BATCH_REQUESTS_MAX);
assert.ok(KEY_BYTES_MAX === 65536, 'keys up to 64 KiB');
assert.ok(BLOB_THRESHOLD_BYTES % BLOB_ALIGN_BYTES === 0, 'blob threshold must be block aligned');
assert.ok(KEY_BYTES_MIN >= 1 && KEY_BYTES_MIN <= KEY_BYTES_MAX);
assert.ok(RECORD_SIZE_BYTES_MAX <= IO_BYTES_MAX, 'one record must fit in one I/O');
assert.ok(MERGE_RUN_BYTES_MAX >= RECORD_SIZE_BYTES_MAX, 'a merged piece must hold at least one record');
assert.ok(IO_BYTES_MAX < 2 ** 31, 'a payload must fit one Buffer');
assert.ok(EXPORT_PAYLOAD_BYTES_SOFT_MAX >= BLOB_THRESHOLD_BYTES);
assert.ok(MERGE_SMALL_EXTENT_BYTES <= MERGE_RUN_BYTES_MAX);
assert.ok(DTX_OPS_PER_PREPARE_MAX >= TX_OPS_PER_TARGET_MAX, 'a prepare must hold what the wire carries');
assert.ok(DTX_INTENTS_PER_TARGET_MAX >= 1 && READ_STAMPS_ENTRIES_MAX >= 1);
assert.ok(LIST_SCAN_ROWS >= 1 && LIST_LIMIT_MAX >= LIST_SCAN_ROWS);
