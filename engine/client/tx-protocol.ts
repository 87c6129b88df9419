/**
 * The client half of two-phase commit (engine/wire/rpc/tx.ts), for one planned transaction:
 *   1. TX_PREPARE to every participant, at most `rpcsInFlight` at once. If any fails, no new prepare
 *      starts; once the others settled, TX_DECIDE(abort) goes to the coordinator and TX_COMMIT(abort) to
 *      every participant that prepared or may have (no answer), both best effort, then the failure is
 *      thrown (a condition's EXIST/NONEXIST before TX_RESTART before anything else).
 *   2. TX_DECIDE(commit) at the coordinator; an unreachable coordinator is asked again, same txid, with
 *      backoff, for at most `decideWaitMs`, after which the outcome is unknown (OutcomeUnknownError). A
 *      recorded abort (a resolver won the race) throws TX_RESTART.
 *   3. On commit the caller is released at once; TX_COMMIT(commit) goes to every participant in the
 *      background (failures are logged at debug: the engines' resolvers finish the job), the coordinator
 *      target's last, telling it to forget the decision once every other one acknowledged (finishCommit).
 * It never retries a prepare and never decides commit after any failure, so an error other than
 * OutcomeUnknownError means nothing of the transaction is or will become visible.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RPC_TIMEOUT_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { Rank } from '../pool-map/pool-map.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError, isEngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import { TX_COMMIT, TX_DECIDE, TX_PREPARE, type TxDecision } from '../wire/rpc/tx.js';
import { TX_ABORT_TIMEOUT_MS, TX_DECIDE_WAIT_MS_MAX, TX_RPCS_IN_FLIGHT_MAX } from './constants.js';
import { backoffMs } from './retry.js';
import { toShardError } from './shard-error.js';
import type { CallOptions } from './transport.js';
import type { TxCoordinator, TxParticipant, TxPlan } from './tx-plan.js';

/** Sends one RPC to an engine (by rank); the pool handle's transports in production, a fake in tests. */
export interface TxRpc {
  call<Req, Res>(def: RpcDef<Req, Res>, rank: Rank, request: Req, options?: CallOptions): Promise<Res>;
}

export interface TxIdentity {
  readonly pool: string;
  readonly cont: string;
  readonly txid: Buffer;
  readonly epoch: Epoch;
}

export interface TxProtocolLimits {
  readonly rpcsInFlight: number;
  readonly decideWaitMs: number;
  readonly abortTimeoutMs: number;
}

export const TX_PROTOCOL_LIMITS: TxProtocolLimits = {
  rpcsInFlight: TX_RPCS_IN_FLIGHT_MAX, decideWaitMs: TX_DECIDE_WAIT_MS_MAX, abortTimeoutMs: TX_ABORT_TIMEOUT_MS,
};

/** Commit was asked for but whether it happened is unknown (the coordinator stayed unreachable). */
export class OutcomeUnknownError extends EngineError {
  override name = 'OutcomeUnknownError';

  constructor(detail: string) {
    super(Der.TIMEDOUT, `outcome unknown: ${detail}`);
  }
}

export interface TxProtocolContext {
  readonly rpc: TxRpc;
  readonly id: TxIdentity;
  readonly log: Logger;
  readonly limits: TxProtocolLimits;
}

type Settled = { ok: true } | { ok: false; error: unknown } | undefined;

/** Runs `send` over `items`, `limit` at a time; after a failure starts no more. Undefined = never started. */
async function settleBounded<T>(items: readonly T[], limit: number, send: (item: T) => Promise<unknown>): Promise<Settled[]> {
  const results: Settled[] = new Array<Settled>(items.length).fill(undefined);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await send(items[index]!);
        results[index] = { ok: true };
      } catch (error) {
        results[index] = { ok: false, error };
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The error a failed prepare reports: a bug first, then a failed condition, then TX_RESTART, else the first. */
export function chooseFailure(errors: readonly unknown[]): unknown {
  const rank = (error: unknown): number => {
    if (!isEngineError(error)) return 0;
    if (error.der === Der.EXIST || error.der === Der.NONEXIST) return 1;
    return error.der === Der.TX_RESTART ? 2 : 3;
  };
  let best = errors[0];
  for (const error of errors) if (rank(error) < rank(best)) best = error;
  return best;
}

/** Did a participant whose prepare failed with `error` perhaps prepare anyway (the answer was lost)? */
function mayHavePrepared(error: unknown): boolean {
  return isEngineError(error) && (error.der === Der.UNREACH || error.der === Der.TIMEDOUT || error.der === Der.CANCELED);
}

function isDecideRetryable(error: unknown): boolean {
  if (!isEngineError(error)) return false;
  return [Der.UNREACH, Der.TIMEDOUT, Der.SHUTDOWN, Der.BUSY, Der.AGAIN, Der.INPROGRESS, Der.CANCELED].includes(error.der);
}

/** Phase 1. Resolves when every participant prepared; otherwise aborts what may be prepared and throws. */
export async function prepareAll(context: TxProtocolContext, plan: TxPlan): Promise<void> {
  const { rpc, id } = context;
  const results = await settleBounded(plan.participants, context.limits.rpcsInFlight, (participant) =>
    rpc.call(TX_PREPARE, participant.rank, {
      pool: id.pool, cont: id.cont, target: participant.target, txid: id.txid,
      mapVersion: plan.mapVersion, epoch: id.epoch, coordinator: plan.coordinator, ops: participant.ops,
    }));
  const errors: unknown[] = [];
  const touched: TxParticipant[] = [];
  results.forEach((result, index) => {
    if (result === undefined) return;
    const participant = plan.participants[index]!;
    if (result.ok) touched.push(participant);
    else {
      // Naming the engine, so a caller can report it when it did not answer (Tx.commit).
      errors.push(toShardError(result.error, participant.rank));
      if (mayHavePrepared(result.error)) touched.push(participant);
    }
  });
  if (errors.length === 0) return;
  context.log.debug({ txid: id.txid.toString('hex'), failures: errors.length }, 'tx prepare failed; aborting');
  await abortTouched(context, plan.coordinator, touched);
  throw chooseFailure(errors);
}

/** Best effort: records abort at the coordinator, then tells `touched` participants; never throws. */
async function abortTouched(context: TxProtocolContext, coordinator: TxCoordinator, touched: readonly TxParticipant[]): Promise<void> {
  const { rpc, id } = context;
  try {
    await rpc.call(TX_DECIDE, coordinator.rank, {
      pool: id.pool, cont: id.cont, target: coordinator.target, txid: id.txid, epoch: id.epoch, decision: 'abort',
    }, { timeoutMs: context.limits.abortTimeoutMs });
  } catch (error) {
    context.log.debug({ txid: id.txid.toString('hex'), err: (error as Error).message }, 'tx abort decision not recorded');
  }
  await finishAll(context, touched, 'abort', { timeoutMs: context.limits.abortTimeoutMs });
}

/**
 * Phase 3 (and the abort messages): TX_COMMIT with `decision` to each participant (with `forget`: see
 * finishCommit); never throws. Resolves true when every participant acknowledged.
 */
async function finishAll(
  context: TxProtocolContext,
  participants: readonly TxParticipant[],
  decision: TxDecision,
  options: { timeoutMs?: number; forget?: boolean } = {},
): Promise<boolean> {
  const { rpc, id } = context;
  const timeoutMs = options.timeoutMs ?? RPC_TIMEOUT_MS;
  let next = 0;
  let acknowledged = true;
  const worker = async (): Promise<void> => {
    while (next < participants.length) {
      const participant = participants[next++]!;
      try {
        await rpc.call(TX_COMMIT, participant.rank, {
          pool: id.pool, cont: id.cont, target: participant.target, txid: id.txid, decision, forget: options.forget,
        }, { timeoutMs });
      } catch (error) {
        acknowledged = false;
        context.log.debug({ txid: id.txid.toString('hex'), rank: participant.rank, decision, err: (error as Error).message }, 'tx commit message failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(context.limits.rpcsInFlight, participants.length) }, worker));
  return acknowledged;
}

/**
 * Phase 3 after commit: TX_COMMIT to every participant but the coordinator target, then to it, with
 * `forget` when all of them acknowledged. No intent of the transaction is then left anywhere (every
 * prepare was answered, so none is still on its way), and the coordinator drops its record of the
 * decision with its own intents: nothing could ask for it any more (a late duplicate of a call could
 * only find it missing: a resolver then aborts what a duplicate prepare left, whose writes the commit
 * already applied). Otherwise the record stays for the participants' resolvers. Aborts are not forgotten
 * so: a prepare may still be on its way, and a late TX_DECIDE(commit) must keep finding the abort for a
 * while (the coordinator ages them out: engine/server/tx/README.md "Forgetting decisions").
 */
async function finishCommit(context: TxProtocolContext, plan: TxPlan): Promise<void> {
  const { coordinator } = plan;
  const isCoordinator = (participant: TxParticipant): boolean => participant.rank === coordinator.rank && participant.target === coordinator.target;
  const acknowledged = await finishAll(context, plan.participants.filter((participant) => !isCoordinator(participant)), 'commit');
  await finishAll(context, plan.participants.filter(isCoordinator), 'commit', { forget: acknowledged });
}

/**
 * TX_DECIDE(`decision`) at the coordinator, asked again while it is unreachable, for at most the decide
 * wait. Resolves with the recorded decision; throws OutcomeUnknownError once the wait is over, or the
 * coordinator's error when it refused outright.
 */
export async function decide(context: TxProtocolContext, coordinator: TxCoordinator, decision: TxDecision): Promise<TxDecision> {
  const { rpc, id } = context;
  const deadline = Date.now() + context.limits.decideWaitMs;
  const request = { pool: id.pool, cont: id.cont, target: coordinator.target, txid: id.txid, epoch: id.epoch, decision };
  for (let attempt = 1; ; attempt++) {
    const remainingMs = deadline - Date.now();
    try {
      const answer = await rpc.call(TX_DECIDE, coordinator.rank, request, { timeoutMs: Math.max(1, Math.min(RPC_TIMEOUT_MS, remainingMs)) });
      return answer.decision;
    } catch (error) {
      if (!isDecideRetryable(error)) throw error;
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) throw new OutcomeUnknownError(`coordinator rank ${coordinator.rank} did not answer for ${context.limits.decideWaitMs} ms`);
      context.log.debug({ txid: id.txid.toString('hex'), attempt, err: (error as Error).message }, 'tx decide: coordinator unreachable, asking again');
      await sleep(Math.min(backoffMs(attempt), leftMs));
    }
  }
}

/**
 * Phases 2 and 3 after a successful prepare. Resolves (decided commit) with `applied`, the background
 * commit messages; throws TX_RESTART if abort was recorded, OutcomeUnknownError if nobody could say.
 */
export async function decideAndFinish(context: TxProtocolContext, plan: TxPlan): Promise<{ applied: Promise<void> }> {
  let decision: TxDecision;
  try {
    decision = await decide(context, plan.coordinator, 'commit');
  } catch (error) {
    if (error instanceof OutcomeUnknownError) throw error;
    // The coordinator refused the decision outright: make sure it is an abort, if it can still be one.
    decision = await decide(context, plan.coordinator, 'abort').catch(() => {
      throw new OutcomeUnknownError(`decide failed (${(error as Error).message}) and abort could not be recorded`);
    });
    if (decision === 'abort') {
      await finishAll(context, plan.participants, 'abort', { timeoutMs: context.limits.abortTimeoutMs });
      throw error;
    }
  }
  if (decision === 'abort') {
    await finishAll(context, plan.participants, 'abort', { timeoutMs: context.limits.abortTimeoutMs });
    throw new EngineError(Der.TX_RESTART, 'the transaction was aborted (timed out at a participant) before commit was decided');
  }
  return { applied: finishCommit(context, plan) };
}
