/**
 * Limits and tuning of the object client (engine/client) that no other layer reads: HTTP/2 flow-control
 * windows, OID range size, layout cache and retry backoff. Shared limits (RPC deadline, retry count,
 * streams per session) stay in engine/constants.ts; the relationships between the two sets are asserted here.
 */
import assert from 'node:assert/strict';
import { OIDS_PER_ALLOC_MAX, RPC_BODY_BYTES_MAX, RPC_RETRIES_MAX, RPC_TIMEOUT_MS, STREAMS_PER_SESSION_MAX, VALUE_BYTES_MAX } from '../constants.js';
import { LAYOUT_CACHE_ENTRIES_MAX as PLACEMENT_LAYOUT_CACHE_MAX } from '../placement/layout-cache.js';
import { TX_OPS_PER_TARGET_MAX } from '../wire/rpc/tx.js';

/** HTTP/2 per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE) the client offers. */
export const H2_STREAM_WINDOW_BYTES = 16 * 1024 * 1024;
/** HTTP/2 connection-level receive window, set right after connecting. */
export const H2_SESSION_WINDOW_BYTES = 128 * 1024 * 1024;
/** Maximum frame payload the client accepts (the HTTP/2 ceiling is 2^24 - 1). */
export const H2_FRAME_BYTES_MAX = 1024 * 1024;
/** node:http2 maxSessionMemory, in MiB: buffered outgoing data a session may hold before it refuses streams. */
export const H2_SESSION_MEMORY_MIB = 512;
/** Header list size both sides may send (our headers are tiny; this only bounds a misbehaving peer). */
export const H2_HEADER_LIST_BYTES_MAX = 16 * 1024;
/** Times one RPC is sent again after the server refused its stream unprocessed (REFUSED_STREAM). */
export const H2_REFUSED_RETRIES_MAX = 3;
/** Connect deadline of the undici transport (node:http2 uses the call deadline). */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long a transport's close() lets its session and call sockets close gracefully (calls in flight are
 * answered) before it destroys them: an engine that stopped answering must not hold a disconnect forever.
 */
export const TRANSPORT_CLOSE_GRACE_MS = 5_000;

/** OID `lo` values fetched per CONT_ALLOC_OIDS. */
export const OIDS_PER_RANGE = 4096;
/** Object layouts kept per pool handle (keyed by oid and map version). */
export const LAYOUT_CACHE_ENTRIES_MAX = 16_384;
/** Bytes of one array piece (one update/fetch RPC); a chunk larger than this is moved in several. */
export const ARRAY_PIECE_BYTES_MAX = 16 * 1024 * 1024;
/** Concurrent chunk RPCs of one array read or write. */
export const ARRAY_CHUNKS_IN_FLIGHT_MAX = 16;
/** First retry backoff; doubles per attempt up to RETRY_BACKOFF_MS_MAX. */
export const RETRY_BACKOFF_MS_MIN = 5;
export const RETRY_BACKOFF_MS_MAX = 500;
/** Engines tried when looking for the pool service leader, per discovery round. */
export const LEADER_PROBES_MAX = 64;
/**
 * Leader discovery rounds (each over every candidate engine) and the time they may take in total: long
 * enough to outlast a service leader takeover and the exclusion of a dead engine (pool-svc constants).
 */
export const SVC_ROUNDS_MAX = 64;
export const SVC_DISCOVERY_MS_MAX = 15_000;
/** Transports (engine addresses) one pool keeps open. */
export const TRANSPORTS_PER_POOL_MAX = 4096;

/**
 * Conflicts with transactions (retry.ts retryingConflicts): an operation that meets another transaction's
 * undecided intent (INPROGRESS), or a non-transactional write below a later transactional read
 * (TX_RESTART), backs off and runs again, for at most this long and this many attempts. The wait outlasts
 * the engines' default intent timeout (5 s) plus a resolver pass, so a dead client's locks are waited out.
 */
export const CONFLICT_WAIT_MS_MAX = 15_000;
export const CONFLICT_RETRIES_MAX = 128;

/** Operations one transaction may buffer, and their bytes (keys and values) in total. */
export const TX_OPS_MAX = 1024;
export const TX_BUFFER_BYTES_MAX = 32 * 1024 * 1024;
/** TX_PREPARE / TX_COMMIT RPCs of one transaction in flight at once. */
export const TX_RPCS_IN_FLIGHT_MAX = 16;
/** How long commit keeps asking an unreachable coordinator for the decision before reporting it unknown. */
export const TX_DECIDE_WAIT_MS_MAX = 10_000;
/** Deadline of the best-effort abort messages sent after a failed prepare. */
export const TX_ABORT_TIMEOUT_MS = 2_000;
/** runTx: attempts after the first, and the backoff between them (doubling, with jitter). */
export const TX_RETRIES_MAX = 32;
export const TX_BACKOFF_MS_MIN = 2;
export const TX_BACKOFF_MS_MAX = 256;
/** Keys one transactional listing returns at most (tx.listDkeys lists to the end). */
export const TX_LIST_KEYS_MAX = 1 << 20;

assert.ok(OIDS_PER_RANGE <= OIDS_PER_ALLOC_MAX);
assert.ok(H2_STREAM_WINDOW_BYTES <= 2 ** 31 - 1 && H2_SESSION_WINDOW_BYTES <= 2 ** 31 - 1);
assert.ok(H2_SESSION_WINDOW_BYTES >= H2_STREAM_WINDOW_BYTES);
assert.ok(H2_SESSION_MEMORY_MIB * 1024 * 1024 >= RPC_BODY_BYTES_MAX * 2, 'a session must buffer two maximal bodies');
assert.ok(H2_FRAME_BYTES_MAX >= 16_384 && H2_FRAME_BYTES_MAX < 2 ** 24);
assert.ok(ARRAY_CHUNKS_IN_FLIGHT_MAX <= STREAMS_PER_SESSION_MAX);
assert.ok(RETRY_BACKOFF_MS_MIN * 2 ** RPC_RETRIES_MAX >= RETRY_BACKOFF_MS_MAX, 'backoff reaches its cap within the retries');
assert.ok(ARRAY_PIECE_BYTES_MAX <= VALUE_BYTES_MAX);
assert.ok(LAYOUT_CACHE_ENTRIES_MAX <= PLACEMENT_LAYOUT_CACHE_MAX);
assert.ok(SVC_DISCOVERY_MS_MAX >= RPC_RETRIES_MAX * RETRY_BACKOFF_MS_MAX);
assert.ok(SVC_ROUNDS_MAX * RETRY_BACKOFF_MS_MAX >= SVC_DISCOVERY_MS_MAX, 'rounds, not the round cap, bound discovery time');
assert.ok(CONFLICT_RETRIES_MAX * RETRY_BACKOFF_MS_MAX * 0.5 >= CONFLICT_WAIT_MS_MAX, 'the wait, not the attempt cap, bounds conflict retries');
assert.ok(TX_OPS_MAX <= TX_OPS_PER_TARGET_MAX, 'one target never gets more operations than a prepare may carry');
assert.ok(TX_BUFFER_BYTES_MAX + TX_OPS_MAX * 1024 <= RPC_BODY_BYTES_MAX, 'a whole transaction fits one prepare body');
assert.ok(TX_RPCS_IN_FLIGHT_MAX <= STREAMS_PER_SESSION_MAX);
assert.ok(TX_DECIDE_WAIT_MS_MAX >= RPC_TIMEOUT_MS, 'a decide outlasts one timed-out call');
assert.ok(TX_ABORT_TIMEOUT_MS <= RPC_TIMEOUT_MS);
assert.ok(TX_BACKOFF_MS_MIN * 2 ** TX_RETRIES_MAX >= TX_BACKOFF_MS_MAX, 'runTx backoff reaches its cap within the retries');
