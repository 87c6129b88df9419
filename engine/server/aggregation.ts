/**
 * Background aggregation: each local target's VOS drops versions that no retained snapshot and no read at
 * or above `upTo` can see (DAOS VOS aggregation). `upTo` trails the HLC by a window so recent versions,
 * which in-flight readers and transactions may still need, are left alone. The retained epochs are the
 * union of the snapshot epochs of all containers of the pool (VOS aggregate takes one list per target).
 * When it runs follows the pool's `reclaim` property, as in DAOS:
 *   'time'      every interval, up to a version budget per target;
 *   'lazy'      (default) only in an interval in which the pool served no object I/O, and it stops at the
 *               first I/O that arrives; unless a target is short of space (used >= the pressure share of
 *               its capacity) or the pool has waited longer than the deferral bound, then as 'time'.
 *               Aggregating costs engine CPU of the order of writing (~1.8 s for a 64 MiB file written in
 *               4 KiB random writes), so running it under load cost random reads right after such a burst
 *               a quarter of their rate (fio, 3 engines). The bound (not in DAOS) keeps a pool under
 *               steady load from piling up versions, which every read of a fragmented extent visits;
 *   'disabled'  never (runOnce, the operator trigger, still does).
 * Work goes in slices (AGGREGATION_SLICE_VERSIONS), each one VOS write transaction, with the event loop
 * yielded between slices so requests are never held behind a whole pass.
 * No pass, background or operator, runs on a pool whose map has a rank that may come back through a resync
 * (awaitsResync: excluded or rejoining): a resync sends the records its peers hold newer than when it left,
 * and aggregation would drop punches and the versions they hide, so the rank would keep data its peers
 * removed while it was away (a file truncated meanwhile read back at its old size from it). Such a pool
 * grows until the rank is back in service or the operator gives it up.
 * Invariants: the timer is unref'd (never keeps the process alive); a failing target is logged and skipped;
 * stop() waits for a running pass, after which nothing touches the targets; a pool destroyed during a pass
 * is left at once.
 */
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { GaugeCollector } from '../telemetry.js';
import { awaitsResync } from '../pool-map/pool-map.js';
import type { AggregateOptions, AggregateResult } from '../vos/index.js';
import { asEpoch, EPOCH_LOGICAL_BITS, type Epoch, type Hlc } from '../wire/epoch.js';
import {
  AGGREGATION_INTERVAL_MS, AGGREGATION_LAZY_DEFER_MAX_MS, AGGREGATION_SLICE_VERSIONS, AGGREGATION_SPACE_PRESSURE_PERCENT,
  AGGREGATION_VERSIONS_PER_PASS_MAX, AGGREGATION_WINDOW_MS,
} from './constants.js';
import type { LocalPool, LocalPools } from './local-pools.js';

export interface AggregatorOptions {
  readonly pools: LocalPools;
  readonly hlc: Hlc;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** Versions younger than this (HLC time) are never aggregated. */
  readonly windowMs?: number;
  /** Versions examined per target per pass. */
  readonly versionsPerPassMax?: number;
  /** A lazy pool busy for this long is aggregated anyway. */
  readonly lazyDeferMaxMs?: number;
}

export interface AggregationPassSummary {
  readonly targets: number;
  readonly versionsRemoved: number;
  readonly bytesFreed: number;
}

/** Why a pool's pass ran, or that it was put off. */
type PassReason = 'time' | 'idle' | 'space' | 'overdue';
/** Counted outcomes of a tick: a pass run (its reason), put off, cut short by I/O, or held back (fenced). */
type PassOutcome = PassReason | 'deferred' | 'interrupted' | 'fenced';

interface PoolWatch {
  /** The pool's ioCount at the previous tick. */
  ioCount: number;
  /** When a pass last completed every target's walk (or when the watch began). */
  aggregatedAtMs: number;
}

export class Aggregator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly watches = new Map<string, PoolWatch>();
  private readonly passes = new Map<PassOutcome, number>();
  private versionsRemoved = 0;

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

  /** Scrapeable counters: pool passes by reason (and deferred/interrupted ones), versions removed. */
  collectors(): GaugeCollector[] {
    return [
      {
        name: 'tsdaos_aggregation_passes_total', type: 'counter',
        help: 'Background aggregation passes per pool, by why they ran (time, idle, space, overdue) or that they were deferred, interrupted by I/O, or fenced (a rank awaits a resync).',
        collect: () => [...this.passes].map(([reason, value]) => ({ labels: { reason }, value })),
      },
      {
        name: 'tsdaos_aggregation_versions_removed_total', type: 'counter',
        help: 'Versions and punches background aggregation removed from local targets.',
        collect: () => [{ labels: {}, value: this.versionsRemoved }],
      },
    ];
  }

  /** One pass over every target of every local pool. Exposed for tests and for an operator trigger. */
  runOnce(): AggregationPassSummary {
    const { pools } = this.options;
    const limit = this.options.versionsPerPassMax ?? AGGREGATION_VERSIONS_PER_PASS_MAX;
    const upTo = this.upTo();
    let targets = 0;
    let versionsRemoved = 0;
    let bytesFreed = 0;
    for (const pool of pools.all()) {
      if (awaitsResync(pool.map)) continue;
      const retained = pools.retainedUnion(pool.uuid).map(asEpoch);
      for (let index = 0; index < pool.targets.length; index++) {
        const result = this.aggregateTarget(pool, index, { retained, upTo, limit });
        if (result === undefined) continue;
        targets += 1;
        versionsRemoved += result.versionsRemoved;
        bytesFreed += result.bytesFreed;
      }
    }
    return { targets, versionsRemoved, bytesFreed };
  }

  /** One VOS aggregate call on target `index` of `pool`; undefined when it failed (logged, the target skipped). */
  private aggregateTarget(pool: LocalPool, index: number, options: AggregateOptions, reason?: PassReason): AggregateResult | undefined {
    const { log } = this.options;
    try {
      const result = pool.targets[index]!.aggregate(options);
      if (result.versionsRemoved > 0) log.debug({ pool: pool.uuid, target: index, reason, ...result }, 'aggregation freed versions');
      return result;
    } catch (error) {
      log.error({ pool: pool.uuid, target: index, err: error }, 'aggregation failed on a target');
      return undefined;
    }
  }

  private upTo(): Epoch {
    const windowEpochs = (this.options.windowMs ?? AGGREGATION_WINDOW_MS) * 2 ** EPOCH_LOGICAL_BITS;
    return asEpoch(Math.max(0, this.options.hlc.now() - windowEpochs));
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
    const { pools, log } = this.options;
    const live = new Set<string>();
    for (const pool of pools.all()) {
      live.add(pool.uuid);
      if (this.stopped) return;
      if (this.fenced(pool)) continue;
      const reason = this.reasonToRun(pool);
      if (reason === undefined) continue;
      try {
        await this.aggregatePool(pool, reason);
      } catch (error) {
        log.error({ pool: pool.uuid, err: error }, 'aggregation pass failed');
      }
    }
    for (const uuid of this.watches.keys()) if (!live.has(uuid)) this.watches.delete(uuid);
  }

  /** A rank of the pool may come back through a resync: no background pass (see the file comment); counted as 'fenced'. */
  private fenced(pool: LocalPool): boolean {
    if (!awaitsResync(pool.map)) return false;
    this.count('fenced');
    return true;
  }

  /** Whether the pool's pass runs at this tick, and why; undefined when it does not. */
  private reasonToRun(pool: LocalPool): PassReason | undefined {
    if (pool.reclaim === 'disabled') return undefined;
    const nowMs = Date.now();
    let watch = this.watches.get(pool.uuid);
    if (watch === undefined) {
      watch = { ioCount: 0, aggregatedAtMs: nowMs };
      this.watches.set(pool.uuid, watch);
    }
    const busy = pool.ioCount !== watch.ioCount;
    watch.ioCount = pool.ioCount;
    if (pool.reclaim === 'time') return 'time';
    if (!busy) return 'idle';
    if (this.shortOfSpace(pool)) return 'space';
    if (nowMs - watch.aggregatedAtMs >= (this.options.lazyDeferMaxMs ?? AGGREGATION_LAZY_DEFER_MAX_MS)) return 'overdue';
    this.count('deferred');
    return undefined;
  }

  private shortOfSpace(pool: LocalPool): boolean {
    if (pool.capacityBytesPerTarget === 0) return false;
    const limit = pool.capacityBytesPerTarget * AGGREGATION_SPACE_PRESSURE_PERCENT / 100;
    return pool.targets.some((vos) => vos.usage().dataBytes >= limit);
  }

  /**
   * Aggregates every target of the pool in slices, yielding between them. An 'idle' pass stops when the
   * pool sees I/O again; every pass stops at the version budget per target, or when the pool goes away.
   * The pool counts as aggregated (its deferral clock restarts) only once every target's walk completed,
   * so an overdue pool under load is aggregated at every tick until it has caught up.
   */
  private async aggregatePool(pool: LocalPool, reason: PassReason): Promise<void> {
    const { pools } = this.options;
    const budget = this.options.versionsPerPassMax ?? AGGREGATION_VERSIONS_PER_PASS_MAX;
    const retained = pools.retainedUnion(pool.uuid).map(asEpoch);
    const upTo = this.upTo();
    const ioAtStart = pool.ioCount;
    const current = (): boolean => !this.stopped && pools.get(pool.uuid) === pool && !awaitsResync(pool.map);
    let complete = true;
    for (let index = 0; index < pool.targets.length; index++) {
      let examined = 0;
      for (;;) {
        const result = this.aggregateTarget(pool, index, { retained, upTo, limit: Math.min(AGGREGATION_SLICE_VERSIONS, budget - examined) }, reason);
        if (result === undefined) {
          complete = false;
          break;
        }
        examined += result.rowsExamined;
        this.versionsRemoved += result.versionsRemoved;
        if (result.done) break;
        if (examined >= budget) {
          complete = false;
          break;
        }
        await yieldToRequests();
        if (!current()) return;
        if (reason === 'idle' && pool.ioCount !== ioAtStart) {
          this.count('interrupted');
          return;
        }
      }
      await yieldToRequests();
      if (!current()) return;
    }
    this.count(reason);
    const watch = this.watches.get(pool.uuid);
    if (complete && watch !== undefined) watch.aggregatedAtMs = Date.now();
  }

  private count(key: PassOutcome): void {
    this.passes.set(key, (this.passes.get(key) ?? 0) + 1);
  }
}
