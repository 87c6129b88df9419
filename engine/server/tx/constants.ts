/**
 * Timings and bounds of the engine side of transactions (README.md): how long an intent may stay undecided
 * before the resolver asks its coordinator to abort, how often the resolver looks, how much it does per
 * pass, and how long a participant waits for a coordinator's answer. Relationships asserted at load.
 */
import assert from 'node:assert/strict';
import { TX_DECIDE_WAIT_MS_MAX } from '../../client/constants.js';
import { RPC_TIMEOUT_MS } from '../../constants.js';

/** Default age (wall ms) after which a prepared, undecided intent is resolved with abortIfUndecided. */
export const TX_UNDECIDED_TIMEOUT_MS = 5_000;
/** Environment override of TX_UNDECIDED_TIMEOUT_MS (fault tests use a few hundred ms). */
export const TX_TIMEOUT_ENV = 'TSDAOS_TX_TIMEOUT_MS';
/** Smallest accepted override: below it, live transactions would be aborted while still preparing. */
export const TX_UNDECIDED_TIMEOUT_MS_MIN = 50;
/** Pause between resolver passes over every local target. */
export const TX_RESOLVER_INTERVAL_MS = 500;
/** Intents one resolver pass takes on (the rest wait for the next pass). */
export const TX_RESOLVER_INTENTS_PER_PASS_MAX = 256;
/** Coordinator questions one resolver pass keeps in flight. */
export const TX_RESOLVER_CONCURRENCY_MAX = 16;
/** Deadline of one TX_RESOLVE to a remote coordinator (a reader is waiting on some of them). */
export const TX_RESOLVE_RPC_TIMEOUT_MS = 2_000;
/**
 * How long a coordinator keeps an abort it recorded. A client asks to commit only within its decide wait
 * (engine/client TX_DECIDE_WAIT_MS_MAX, seconds), so an hour is far past any TX_DECIDE still on its way;
 * a forgotten abort is what an undecided transaction resolves to anyway.
 */
export const TX_ABORT_KEEP_MS = 60 * 60_000;
/** How often the resolver ages aborts out, and how many rows one target drops per round. */
export const TX_ABORT_FORGET_INTERVAL_MS = 60_000;
export const TX_ABORT_FORGET_ROWS_MAX = 1024;
/** A read or write that meets a decided intent applies it and tries again, at most this many times. */
export const TX_BLOCKER_RESOLVE_ATTEMPTS_MAX = 4;

/** The undecided timeout: `TSDAOS_TX_TIMEOUT_MS` when set to a valid number, else the default. */
export function undecidedTimeoutMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TX_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return TX_UNDECIDED_TIMEOUT_MS;
  const value = Number(raw);
  assert.ok(Number.isSafeInteger(value) && value >= TX_UNDECIDED_TIMEOUT_MS_MIN, `${TX_TIMEOUT_ENV} must be an integer >= ${TX_UNDECIDED_TIMEOUT_MS_MIN}`);
  return value;
}

assert.ok(TX_RESOLVE_RPC_TIMEOUT_MS <= RPC_TIMEOUT_MS);
assert.ok(TX_UNDECIDED_TIMEOUT_MS >= TX_RESOLVER_INTERVAL_MS);
assert.ok(TX_RESOLVER_CONCURRENCY_MAX <= TX_RESOLVER_INTENTS_PER_PASS_MAX);
assert.ok(TX_BLOCKER_RESOLVE_ATTEMPTS_MAX >= 1);
assert.ok(TX_ABORT_KEEP_MS >= 60 * TX_DECIDE_WAIT_MS_MAX, 'an abort outlives any TX_DECIDE(commit) still on its way');
