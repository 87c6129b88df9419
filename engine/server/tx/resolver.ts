/**
 * The resolver: a background loop on every engine that finishes transactions nobody finished. Each pass
 * takes the intents of every local target prepared more than `timeoutMs` ago (wall time of the prepare,
 * durable, so intents found after a restart age from their original prepare), asks each one's coordinator
 * with TX_RESOLVE(abortIfUndecided) and applies the answer. An undecided transaction is thereby aborted at
 * its coordinator first, so a client that comes back later learns "abort" from TX_DECIDE.
 * Runs once at start (intents left by a crash) and every `intervalMs`. A coordinator that does not answer
 * is asked again next pass. Bounded: at most TX_RESOLVER_INTENTS_PER_PASS_MAX intents per pass, at most
 * TX_RESOLVER_CONCURRENCY_MAX questions in flight, one question per (target, txid) at a time. Every
 * TX_ABORT_FORGET_INTERVAL_MS (or `abortKeepMs`, if shorter) a pass also has each local target forget the
 * aborts it recorded more than `abortKeepMs` ago (README.md "Forgetting decisions").
 * Invariants: the timer is unref'd; stop() cancels in-flight questions and waits for the pass, after which
 * nothing touches the targets.
 */
import type { Logger } from '../../log.js';
import type { DtxIntent, VosTarget } from '../../vos/index.js';
import { isEngineError } from '../../wire/errors.js';
import type { LocalPools } from '../local-pools.js';
import { TX_ABORT_FORGET_INTERVAL_MS, TX_RESOLVER_CONCURRENCY_MAX, TX_RESOLVER_INTENTS_PER_PASS_MAX } from './constants.js';
import type { TxService } from './tx-service.js';

export interface TxResolverOptions {
  readonly pools: LocalPools;
  readonly tx: TxService;
  readonly log: Logger;
  /** Age after which an intent is resolved (abort if undecided). */
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Age after which a recorded abort is forgotten (TX_ABORT_KEEP_MS). */
  readonly abortKeepMs: number;
}

interface Stale {
  readonly pool: string;
  readonly vos: VosTarget;
  readonly intent: DtxIntent;
}

export class TxResolver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = true;
  private abort = new AbortController();
  /** When the last round of forgetting aborts ran (0: not yet; the first pass runs one). */
  private abortsForgottenAtMs = 0;

  constructor(private readonly options: TxResolverOptions) {}

  /** Starts the loop; the first pass runs at once. */
  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  /** One pass now; resolves with the number of transactions whose decision was applied on a target. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<number> {
    if (Date.now() - this.abortsForgottenAtMs >= Math.min(TX_ABORT_FORGET_INTERVAL_MS, this.options.abortKeepMs)) await this.forgetOldAborts();
    const stale = this.collect(Date.now() - this.options.timeoutMs);
    let resolved = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < stale.length && !this.stopped) {
        if (await this.resolveOne(stale[next++]!)) resolved += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(TX_RESOLVER_CONCURRENCY_MAX, stale.length) }, worker));
    return resolved;
  }

  private async forgetOldAborts(): Promise<void> {
    this.abortsForgottenAtMs = Date.now();
    const beforeMs = this.abortsForgottenAtMs - this.options.abortKeepMs;
    for (const pool of this.options.pools.all()) {
      for (const vos of pool.targets) {
        if (this.stopped) return;
        try {
          const forgotten = await this.options.tx.forgetAborts(vos, beforeMs);
          if (forgotten > 0) this.options.log.debug({ pool: pool.uuid, forgotten }, 'tx resolver forgot old aborts');
        } catch (error) {
          // A target closing under us (pool destroy, shutdown): nothing to forget there.
          this.options.log.debug({ pool: pool.uuid, err: (error as Error).message }, 'tx resolver skipped a target');
        }
      }
    }
  }

  private collect(beforeMs: number): Stale[] {
    const stale: Stale[] = [];
    for (const pool of this.options.pools.all()) {
      for (const vos of pool.targets) {
        const room = TX_RESOLVER_INTENTS_PER_PASS_MAX - stale.length;
        if (room <= 0) return stale;
        try {
          for (const intent of vos.dtx.intentsPreparedBefore(beforeMs, room)) stale.push({ pool: pool.uuid, vos, intent });
        } catch (error) {
          // A target closing under us (pool destroy, shutdown): nothing left to resolve there.
          this.options.log.debug({ pool: pool.uuid, err: (error as Error).message }, 'tx resolver skipped a target');
        }
      }
    }
    return stale;
  }

  private async resolveOne(item: Stale): Promise<boolean> {
    const { pool, vos, intent } = item;
    const txid = intent.txid.toString('hex');
    try {
      const decision = await this.options.tx.settle(pool, vos, intent, { abortIfUndecided: true, source: 'resolver', signal: this.abort.signal });
      if (decision === 'undecided') return false;
      this.options.log.info({ pool, txid, decision, ageMs: Date.now() - intent.preparedMs }, 'tx resolver applied a decision');
      return true;
    } catch (error) {
      const level = isEngineError(error) ? 'debug' : 'warn';
      this.options.log[level]({ pool, txid, coordinator: intent.coordinator, err: (error as Error).message }, 'tx resolver: will ask again');
      return false;
    }
  }
}
