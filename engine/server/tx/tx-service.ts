/**
 * The engine side of distributed transactions (README.md): what each TX RPC does on a local target, how a
 * decision is applied to intents, and how a participant asks a coordinator (locally when the coordinator
 * is this engine, else TX_RESOLVE over the peer transports). Every store step goes through the batcher, so
 * it shares the target's group commit and is ordered with the object I/O of the same target, and every
 * answer leaves only after the sqlite transaction holding its effect committed.
 * Crash points (hw/faults.ts) mark the protocol steps. The only retry here: a prepare that met an intent
 * whose decision is recorded applies that decision and tries again; otherwise callers (client, object
 * guard, resolver) decide when to ask again.
 */
import { crashPoint } from '../../../hw/faults.js';
import type { TransportPool } from '../../client/transport.js';
import type { Logger } from '../../log.js';
import type { DtxDecision, DtxIntent, DtxResolution, Txid, VosTarget } from '../../vos/index.js';
import { asEpoch, type Hlc } from '../../wire/epoch.js';
import { Der, EngineError, isEngineError } from '../../wire/errors.js';
import { TX_RESOLVE, type TxCoordinatorBody, type TxDecision, type TxOpBody } from '../../wire/rpc/tx.js';
import type { Batcher } from '../batcher.js';
import type { LocalPools } from '../local-pools.js';
import { TX_ABORT_FORGET_ROWS_MAX, TX_BLOCKER_RESOLVE_ATTEMPTS_MAX, TX_RESOLVE_RPC_TIMEOUT_MS } from './constants.js';
import type { TxMetrics, TxResolutionSource } from './tx-metrics.js';

export interface TxServiceDeps {
  readonly rank: number;
  readonly pools: LocalPools;
  readonly batcher: Batcher;
  readonly hlc: Hlc;
  readonly peers: TransportPool;
  readonly log: Logger;
  readonly metrics: TxMetrics;
  /** The rank's address in the system file (newer than the pool map's after a restart on a new port). */
  readonly systemAddressOf: (rank: number) => string | undefined;
}

interface TargetRef {
  readonly pool: string;
  readonly target: number;
}

export interface TxPrepareCall extends TargetRef {
  readonly cont: string;
  readonly txid: Txid;
  readonly mapVersion: number;
  readonly epoch: number;
  readonly coordinator: TxCoordinatorBody;
  readonly ops: readonly TxOpBody[];
}

export interface TxResolveCall extends TargetRef {
  readonly cont: string;
  readonly txid: Txid;
  readonly abortIfUndecided: boolean;
}

export class TxService {
  constructor(private readonly deps: TxServiceDeps) {}

  /**
   * The local target a TX RPC addresses. NONEXIST (pool not here), INVAL (no such target), STALE (the
   * client's map is older than ours; only checked when the request carries one).
   */
  target(ref: TargetRef & { readonly mapVersion?: number }): VosTarget {
    const pool = this.deps.pools.get(ref.pool);
    if (pool === undefined) throw new EngineError(Der.NONEXIST, `pool ${ref.pool} has no targets here`);
    const vos = pool.targets[ref.target];
    if (vos === undefined) throw new EngineError(Der.INVAL, `target ${ref.target} >= ${pool.targets.length} local targets`);
    if (ref.mapVersion !== undefined && ref.mapVersion < pool.map.version) {
      throw new EngineError(Der.STALE, `client map ${ref.mapVersion} older than ${pool.map.version}`, { mapVersion: pool.map.version });
    }
    return vos;
  }

  /**
   * TX_PREPARE: checks and durably records the ops as intents (crash points before/after the commit). A
   * conflict with another transaction's intent whose decision is already recorded (its TX_COMMIT still on
   * the way) is not a conflict: that decision is applied first and the prepare tried again.
   */
  async prepare(call: TxPrepareCall): Promise<void> {
    const vos = this.target(call);
    this.deps.hlc.observe(call.epoch);
    const request = {
      txid: call.txid, cont: call.cont, epoch: asEpoch(call.epoch), coordinator: call.coordinator,
      ops: call.ops, nowMs: Date.now(),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.deps.batcher.submit(vos, () =>
          vos.dtx.prepare(request, { beforePersist: () => crashPoint('tx.prepare.before-persist') }));
        crashPoint('tx.prepare.after-persist');
        if (outcome === 'prepared') this.deps.metrics.prepares += 1;
        return;
      } catch (error) {
        const retry = isEngineError(error, Der.TX_RESTART) && attempt < TX_BLOCKER_RESOLVE_ATTEMPTS_MAX
          && await this.settleDecided(call.pool, vos, vos.dtx.prepareBlockers(request));
        if (retry) continue;
        if (isEngineError(error, Der.TX_RESTART)) this.deps.metrics.restarts += 1;
        throw error;
      }
    }
  }

  /** TX_DECIDE at the coordinator target: the first decision recorded wins; returns the one that stands. */
  async decide(call: TargetRef & { txid: Txid; epoch: number; decision: TxDecision }): Promise<TxDecision> {
    const vos = this.target(call);
    this.deps.hlc.observe(call.epoch);
    const result = await this.deps.batcher.submit(vos, () => vos.dtx.decide(call.txid, call.decision, call.epoch, Date.now()));
    if (result.recorded) crashPoint('tx.decide.after-persist');
    return result.decision;
  }

  /**
   * TX_COMMIT: applies the decision to this target's intents of the txid (unknown txid: nothing to do);
   * with `forget`, at the coordinator target, its record of the decision goes in the same store transaction.
   */
  async commit(call: TargetRef & { txid: Txid; decision: TxDecision; forget?: boolean | undefined }): Promise<void> {
    await this.apply(this.target(call), call.txid, call.decision, call.forget === true);
  }

  /** TX_RESOLVE at the coordinator target. */
  resolve(call: TxResolveCall): Promise<DtxResolution> {
    const vos = this.target(call);
    return this.deps.batcher.submit(vos, () => vos.dtx.resolve(call.txid, call.abortIfUndecided, Date.now()));
  }

  /**
   * Applies `decision` to the txid's intents on `vos` in one store transaction (crash points around it),
   * dropping the decision recorded here too with `forgetDecision`. Returns the prepares finished, 0 when
   * none were left (already applied, or never prepared here).
   */
  async apply(vos: VosTarget, txid: Txid, decision: DtxDecision, forgetDecision = false): Promise<number> {
    const finished = await this.deps.batcher.submit(vos, () =>
      vos.dtx.finish(txid, decision, { beforeApply: () => crashPoint('tx.commit.before-apply') }, forgetDecision));
    if (finished === 0) return 0;
    crashPoint('tx.commit.after-apply');
    if (decision === 'commit') this.deps.metrics.commits += 1;
    else this.deps.metrics.aborts += 1;
    return finished;
  }

  /** Forgets the aborts `vos` recorded before `beforeMs` (a bounded number per call); returns how many. */
  forgetAborts(vos: VosTarget, beforeMs: number): Promise<number> {
    return this.deps.batcher.submit(vos, () => vos.dtx.forgetAbortsBefore(beforeMs, TX_ABORT_FORGET_ROWS_MAX));
  }

  /**
   * Asks the intent's coordinator for the decision (TX_RESOLVE; locally when it is this engine).
   * Rejects with the transport's EngineError (UNREACH, TIMEDOUT, ...) when no coordinator answered.
   */
  async askCoordinator(pool: string, intent: DtxIntent, abortIfUndecided: boolean, signal?: AbortSignal): Promise<DtxResolution> {
    const { coordinator } = intent;
    const call = { pool, cont: intent.cont, target: coordinator.target, txid: intent.txid, abortIfUndecided };
    if (coordinator.rank === this.deps.rank) return this.resolve(call);
    const addresses = this.addressesOf(pool, coordinator.rank);
    if (addresses.length === 0) throw new EngineError(Der.UNREACH, `coordinator rank ${coordinator.rank} has no known address`);
    let last: unknown;
    for (const address of addresses) {
      try {
        const answer = await this.deps.peers.get(address).call(TX_RESOLVE, call, { timeoutMs: TX_RESOLVE_RPC_TIMEOUT_MS, signal });
        return answer.decision;
      } catch (error) {
        // A coordinator that restarted on a new port is reachable at its system-file address only.
        if (!isEngineError(error, Der.UNREACH)) throw error;
        last = error;
      }
    }
    throw last;
  }

  /**
   * Settles `intent` on `vos` by asking its coordinator (the resolver forces an abort of an undecided one
   * with `abortIfUndecided`) and applying the decision. Returns the resolution ('undecided': nothing
   * changed); rejects like askCoordinator when no coordinator answered.
   */
  async settle(
    pool: string, vos: VosTarget, intent: DtxIntent,
    options: { abortIfUndecided: boolean; source: TxResolutionSource; signal?: AbortSignal },
  ): Promise<DtxResolution> {
    const resolution = await this.askCoordinator(pool, intent, options.abortIfUndecided, options.signal);
    if (resolution === 'undecided') return resolution;
    await this.apply(vos, intent.txid, resolution);
    this.deps.metrics.resolved(options.source);
    return resolution;
  }

  /** Applies the recorded decisions of `intents` (never forcing one); true when any intent went away. */
  private async settleDecided(pool: string, vos: VosTarget, intents: readonly DtxIntent[]): Promise<boolean> {
    let settled = false;
    for (const intent of intents) {
      const resolution = await this.settle(pool, vos, intent, { abortIfUndecided: false, source: 'request' }).catch(() => 'undecided' as const);
      if (resolution !== 'undecided') settled = true;
    }
    return settled;
  }

  /** Candidate addresses of a rank: the pool map's, then the system file's if different. */
  private addressesOf(pool: string, rank: number): string[] {
    const fromMap = this.deps.pools.get(pool)?.map.ranks.find((entry) => entry.rank === rank)?.address;
    let fromSystem: string | undefined;
    try {
      fromSystem = this.deps.systemAddressOf(rank);
    } catch {
      // No readable system file: the pool map's address is all there is.
    }
    return [...new Set([fromMap, fromSystem].filter((address): address is string => address !== undefined))];
  }
}
