/**
 * Limits and timings of the engine server (listener, shutdown, aggregation), with their relationships to
 * the object-layer limits of engine/constants.ts asserted. Only engine/server reads these; limits that the
 * client must agree on (body cap, streams per session, batch size) stay in engine/constants.ts.
 */
import assert from 'node:assert/strict';
import { RPC_BODY_BYTES_MAX, STREAMS_PER_SESSION_MAX } from '../constants.js';

/** HTTP/2 per-stream receive window the engine offers (SETTINGS_INITIAL_WINDOW_SIZE). */
export const STREAM_WINDOW_BYTES = 16 * 1024 * 1024;
/** HTTP/2 connection-level receive window, shared by all streams of one session. */
export const SESSION_WINDOW_BYTES = 64 * 1024 * 1024;
/** Largest HTTP/2 frame the peer may send us (SETTINGS_MAX_FRAME_SIZE); fewer frames per large body. */
export const FRAME_BYTES_MAX = 1024 * 1024;
/** nghttp2 memory per session, in MiB (node's maxSessionMemory unit): room for a few maximal bodies. */
export const SESSION_MEMORY_MIB = 512;
/** Request header block limit (SETTINGS_MAX_HEADER_LIST_SIZE); RPC headers are tiny. */
export const HEADER_LIST_BYTES_MAX = 16 * 1024;
/** Concurrent streams the engine accepts per session (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const ENGINE_STREAMS_PER_SESSION_MAX = STREAMS_PER_SESSION_MAX;
/**
 * Calls one rpc_channel may have in flight before the engine stops reading it (HTTP/2 flow control then
 * holds the client back), as the stream limit bounds calls made on streams of their own.
 */
export const CHANNEL_CALLS_MAX = ENGINE_STREAMS_PER_SESSION_MAX;

/** Graceful shutdown: how long in-flight requests may take before they are aborted. */
export const SHUTDOWN_DRAIN_MS = 10_000;
/** Graceful shutdown: how long sessions may take to close after the drain before they are destroyed. */
export const SESSION_CLOSE_MS = 2_000;

/** Background aggregation: pause between passes over all local targets. */
export const AGGREGATION_INTERVAL_MS = 5_000;
/** Background aggregation: versions younger than this (by HLC time) are left alone. */
export const AGGREGATION_WINDOW_MS = 10_000;
/** Background aggregation: versions examined per target per pass. */
export const AGGREGATION_VERSIONS_PER_PASS_MAX = 4096;
/**
 * Background aggregation: versions examined per VOS call (one write transaction) before the event loop is
 * yielded to requests. A version costs ~0.1 ms to aggregate, so a slice holds requests back ~10-15 ms.
 */
export const AGGREGATION_SLICE_VERSIONS = 128;
/** Lazy reclaim: a pool that stayed busy this long is aggregated anyway (versions pile up under load). */
export const AGGREGATION_LAZY_DEFER_MAX_MS = 60_000;
/** Lazy reclaim: a target holding this share of its capacity is aggregated even while busy. */
export const AGGREGATION_SPACE_PRESSURE_PERCENT = 80;

/** Snapshot epochs retained per container (mirrors the ENGINE_CONT_SNAPSHOTS schema bound). */
export const RETAINED_EPOCHS_PER_CONT_MAX = 4096;

assert.ok(STREAM_WINDOW_BYTES <= 2 ** 31 - 1, 'HTTP/2 windows are 31-bit');
assert.ok(SESSION_WINDOW_BYTES >= STREAM_WINDOW_BYTES);
assert.ok(FRAME_BYTES_MAX >= 16_384 && FRAME_BYTES_MAX <= 2 ** 24 - 1, 'SETTINGS_MAX_FRAME_SIZE range');
assert.ok(SESSION_MEMORY_MIB * 1024 * 1024 >= 2 * RPC_BODY_BYTES_MAX);
assert.ok(SESSION_CLOSE_MS < SHUTDOWN_DRAIN_MS);
assert.ok(AGGREGATION_WINDOW_MS >= AGGREGATION_INTERVAL_MS);
