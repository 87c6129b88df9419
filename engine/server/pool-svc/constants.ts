/**
 * Timings and limits of the pool service (replication, leadership, failure detection, resync), with their
 * relationships asserted. Only engine/server/pool-svc reads these; the shared RPC deadline stays in
 * engine/constants.ts. A lead may move them there later: keep them plain exported numbers.
 */
import assert from 'node:assert/strict';
import { RPC_TIMEOUT_MS } from '../../constants.js';
import { EPOCH_LOGICAL_BITS } from '../../wire/epoch.js';

/** Period of the monitor: leader health pings, follower checks of lower-ranked replicas. */
export const SVC_TICK_MS = 500;
/** Deadline of one liveness ping (ENGINE_PING) sent by the monitor. */
export const PING_TIMEOUT_MS = 400;
/** A rank that answered no ping for this long is excluded (pool prop selfHeal 'exclude'). */
export const EXCLUDE_AFTER_MS = 2_000;
/** A follower takes over when every lower-ranked replica answered no ping for this long. */
export const SVC_TAKEOVER_MS = 1_000;
/** Deadline of replication RPCs (push, collect) between service replicas. */
export const SVC_RPC_TIMEOUT_MS = 2_000;
/** Deadline of best-effort fan-out to engines (map updates, snapshot lists, usage, hints). */
export const FANOUT_TIMEOUT_MS = 2_000;
/** Deadline of one RESYNC_PUSH: a whole scan of one engine's targets. */
export const RESYNC_PUSH_TIMEOUT_MS = 10 * 60_000;
/** A failed resync is tried again after this long (the health check restarts it). */
export const RESYNC_RETRY_MS = 2_000;
/** Records per VOS export page scanned by a resync pusher. */
export const RESYNC_EXPORT_RECORDS_MAX = 1_024;
/** Records per RESYNC_INGEST sent to the rejoining engine. */
export const RESYNC_INGEST_RECORDS_MAX = 1_024;
/** Soft cap on the payload bytes of one RESYNC_INGEST (a batch is sent once it passes this). */
export const RESYNC_INGEST_BYTES_SOFT_MAX = 16 * 1024 * 1024;
/**
 * Writes that were in flight when an engine died may be missing below its newest stored epoch: resync
 * starts this far (in HLC units) below it. Two RPC deadlines cover an assignment and its retry.
 */
export const RESYNC_SAFETY_WINDOW_EPOCHS = 2 * RPC_TIMEOUT_MS * 2 ** EPOCH_LOGICAL_BITS;
/** First OID `lo` handed out by CONT_ALLOC_OIDS; 0 is never allocated (reserved for well-known objects). */
export const CONT_OID_FIRST = 1;
/** Pool redundancy factor asked for by default; lowered to what the fault domains and classes allow. */
export const POOL_RD_FAC_DEFAULT = 3;
/** Highest redundancy factor the object classes provide (RP_3: two losses). */
export const POOL_RD_FAC_CLASS_MAX = 2;
/** Percent of each target held back for rebuild (DAOS space_rb, 2.8 default). */
export const POOL_SPACE_RB_PERCENT_DEFAULT = 5;
/** Service replicas by default (at most the number of ranks). */
export const SVC_REPLICAS_DEFAULT = 3;

assert.ok(PING_TIMEOUT_MS < SVC_TICK_MS, 'a ping must finish within one tick');
assert.ok(EXCLUDE_AFTER_MS >= 3 * SVC_TICK_MS, 'exclusion needs several missed pings');
assert.ok(SVC_TAKEOVER_MS >= 2 * SVC_TICK_MS, 'takeover needs at least two missed pings');
assert.ok(RESYNC_INGEST_RECORDS_MAX >= RESYNC_EXPORT_RECORDS_MAX / 16);
assert.ok(POOL_RD_FAC_CLASS_MAX <= POOL_RD_FAC_DEFAULT);
