/**
 * Background aggregation: every interval, each local target's VOS drops versions that no retained
 * snapshot and no read at or above `upTo` can see (DAOS VOS aggregation). `upTo` trails the HLC by a
 * window so recent versions, which in-flight readers and transactions may still need, are left alone.
 * The retained epochs are the union of the snapshot epochs of all containers of the pool (VOS aggregate
 * takes one list per target). Each call is bounded by a version limit so a pass never stalls I/O long.
 * Invariants: the timer is unref'd (never keeps the process alive); a failing target is logged and skipped;
 * stop() waits for a running pass, after which nothing touches the targets.
 */
import type { Logger } from '../log.js';
import { asEpoch, EPOCH_LOGICAL_BITS, type Hlc } from '../wire/epoch.js';
import { AGGREGATION_INTERVAL_MS, AGGREGATION_VERSIONS_PER_PASS_MAX, AGGREGATION_WINDOW_MS } from './constants.js';
import type { LocalPools } from './local-pools.js';

export interface AggregatorOptions {
  readonly pools: LocalPools;
  readonly hlc: Hlc;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** Versions younger than this (HLC time) are never aggregated. */
  readonly windowMs?: number;
  /** Versions examined per target per pass. */
  readonly versionsPerPassMax?: number;
}

export interface AggregationPassSummary {
  readonly targets: number;
  readonly versionsRemoved: number;
  readonly bytesFreed: number;
}

export class Aggregator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: AggregatorOptions) {}

  start(): void {
    this.stopped = false;
    this.scheduleNext();
  }

  /** Cancels the next pass and waits for a running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every target of every local pool. Exposed for tests and for an operator trigger. */
  runOnce(): AggregationPassSummary {
    const { pools, hlc, log } = this.options;
    const windowEpochs = (this.options.windowMs ?? AGGREGATION_WINDOW_MS) * 2 ** EPOCH_LOGICAL_BITS;
    const limit = this.options.versionsPerPassMax ?? AGGREGATION_VERSIONS_PER_PASS_MAX;
    const upTo = asEpoch(Math.max(0, hlc.now() - windowEpochs));
    let targets = 0;
    let versionsRemoved = 0;
    let bytesFreed = 0;
    for (const pool of pools.all()) {
      const retained = pools.retainedUnion(pool.uuid).map(asEpoch);
      pool.targets.forEach((vos, index) => {
        try {
          const result = vos.aggregate({ retained, upTo, limit });
          targets += 1;
          versionsRemoved += result.versionsRemoved;
          bytesFreed += result.bytesFreed;
          if (result.versionsRemoved > 0) {
            log.debug({ pool: pool.uuid, target: index, ...result }, 'aggregation freed versions');
          }
        } catch (error) {
          log.error({ pool: pool.uuid, target: index, err: error }, 'aggregation failed on a target');
        }
      });
    }
    return { targets, versionsRemoved, bytesFreed };
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.scheduleNext();
      });
    }, this.options.intervalMs ?? AGGREGATION_INTERVAL_MS);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    try {
      this.runOnce();
    } catch (error) {
      this.options.log.error({ err: error }, 'aggregation pass failed');
    }
  }
}
