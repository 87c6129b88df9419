/**
 * Background aggregation on real local pools (LocalPools + VOS on disk), driven by its own timer: when each
 * reclaim policy runs a pass, what a lazy pass yields to, and that the policy survives a reopen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildPoolMap } from '../pool-map/build.js';
import { awaitsResync, withRankState } from '../pool-map/pool-map.js';
import { putSingle } from '../vos/test-harness.js';
import { Hlc } from '../wire/epoch.js';
import type { ReclaimPolicy } from '../wire/rpc/pool.js';
import { Aggregator } from './aggregation.js';
import { type LocalPool, LocalPools } from './local-pools.js';
import { makeTempDir } from './test-harness.js';

const silent = pino({ level: 'silent' });
const POOL = '4f7a2b1c-0d3e-4f5a-8b6c-7d8e9f0a1b2c';
const TICK_MS = 10;

describe('background aggregation and the reclaim property', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let pools: LocalPools;
  let aggregator: Aggregator | undefined;

  beforeEach(() => {
    temp = makeTempDir('tsdaos-agg-');
    pools = new LocalPools(temp.dir, silent);
  });

  afterEach(async () => {
    await aggregator?.stop();
    vi.restoreAllMocks();
    aggregator = undefined;
    pools.closeAll();
    temp.remove();
  });

  function createPool(reclaim: ReclaimPolicy | undefined, capacityBytesPerTarget = 0): LocalPool {
    const map = buildPoolMap({ version: 1, ranks: [{ rank: 0, address: '127.0.0.1:1', targets: 1 }] });
    return pools.create(POOL, { targets: 1, capacityBytesPerTarget, map, ...(reclaim === undefined ? {} : { reclaim }) });
  }

  /** `versions` versions of one value under each of `dkeys` dkeys (all but the newest of each are hidden). */
  function write(pool: LocalPool, dkeys: number, versions: number, bytes = 8): void {
    let epoch = 0;
    for (let v = 0; v < versions; v++) {
      for (let d = 0; d < dkeys; d++) putSingle(pool.targets[0]!, { dkey: `d${d}`, akey: 'a', epoch: ++epoch, value: Buffer.alloc(bytes, v) });
    }
  }

  function start(options: { lazyDeferMaxMs?: number } = {}): Aggregator {
    aggregator = new Aggregator({ pools, hlc: new Hlc(), log: silent, intervalMs: TICK_MS, windowMs: 0, ...options });
    aggregator.start();
    return aggregator;
  }

  /** Object I/O on the pool before every tick (each tick starts with pools.all()), as the object handlers count it. */
  function keepBusy(pool: LocalPool): { stop(): void } {
    const all = pools.all.bind(pools);
    const spy = vi.spyOn(pools, 'all').mockImplementation(() => {
      pool.ioCount += 1;
      return all();
    });
    return { stop: () => spy.mockRestore() };
  }

  function counter(agg: Aggregator, name: string, reason?: string): number {
    const collector = agg.collectors().find((entry) => entry.name === name)!;
    return collector.collect().filter((sample) => reason === undefined || sample.labels['reason'] === reason)
      .reduce((sum, sample) => sum + sample.value, 0);
  }

  const removed = (agg: Aggregator): number => counter(agg, 'tsdaos_aggregation_versions_removed_total');
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('lazy (the default): nothing while the pool serves I/O, everything once it is idle', async () => {
    const pool = createPool(undefined);
    expect(pool.reclaim).toBe('lazy');
    write(pool, 4, 5);
    const busy = keepBusy(pool);
    const agg = start();
    await sleep(15 * TICK_MS);
    expect(removed(agg)).toBe(0);
    expect(counter(agg, 'tsdaos_aggregation_passes_total', 'deferred')).toBeGreaterThan(3);
    busy.stop();
    await vi.waitFor(() => expect(counter(agg, 'tsdaos_aggregation_passes_total', 'idle')).toBeGreaterThan(0), { timeout: 2000, interval: TICK_MS });
    expect(removed(agg)).toBe(16);
  });

  it('time: aggregates at every interval, busy or not', async () => {
    const pool = createPool('time');
    write(pool, 4, 5);
    keepBusy(pool);
    const agg = start();
    await vi.waitFor(() => expect(counter(agg, 'tsdaos_aggregation_passes_total', 'time')).toBeGreaterThan(0), { timeout: 2000, interval: TICK_MS });
    expect(removed(agg)).toBe(16);
  });

  it('no pass while a rank may come back through a resync (excluded or rejoining): its peers keep what it must be sent', async () => {
    const pool = createPool('time');
    write(pool, 4, 5);
    const inService = pool.map;
    const operator = new Aggregator({ pools, hlc: new Hlc(), log: silent, windowMs: 0 });
    for (const state of ['DOWN', 'DOWNOUT', 'UP'] as const) {
      pool.map = withRankState(inService, 0, state);
      expect(awaitsResync(pool.map)).toBe(true);
      expect(operator.runOnce().versionsRemoved).toBe(0);
    }
    const background = start();
    await vi.waitFor(() => expect(counter(background, 'tsdaos_aggregation_passes_total', 'fenced')).toBeGreaterThan(2), { timeout: 2000, interval: TICK_MS });
    expect(removed(background)).toBe(0);
    pool.map = inService;
    await vi.waitFor(() => expect(removed(background)).toBe(16), { timeout: 2000, interval: TICK_MS });
  });

  it('disabled: never in the background; the operator trigger still runs', async () => {
    const pool = createPool('disabled');
    write(pool, 4, 5);
    const agg = start();
    await sleep(15 * TICK_MS);
    expect(removed(agg)).toBe(0);
    expect(agg.runOnce().versionsRemoved).toBe(16);
  });

  it('lazy, busy past the deferral bound: aggregated anyway (overdue)', async () => {
    const pool = createPool('lazy');
    write(pool, 4, 5);
    keepBusy(pool);
    const agg = start({ lazyDeferMaxMs: 5 * TICK_MS });
    await vi.waitFor(() => expect(counter(agg, 'tsdaos_aggregation_passes_total', 'overdue')).toBeGreaterThan(0), { timeout: 2000, interval: TICK_MS });
    expect(removed(agg)).toBe(16);
  });

  it('lazy, busy with a target short of space: aggregated anyway (space)', async () => {
    const pool = createPool('lazy', 1000);
    write(pool, 1, 9, 100);
    keepBusy(pool);
    const agg = start();
    await vi.waitFor(() => expect(counter(agg, 'tsdaos_aggregation_passes_total', 'space')).toBeGreaterThan(0), { timeout: 2000, interval: TICK_MS });
    expect(removed(agg)).toBe(8);
    expect(pool.targets[0]!.usage().dataBytes).toBe(100);
  });

  it('lazy: a pass stops at the first I/O between its slices and resumes where it was once idle again', async () => {
    const pool = createPool('lazy');
    write(pool, 600, 2);
    const target = pool.targets[0]!;
    const original = target.aggregate.bind(target);
    const slices: number[] = [];
    vi.spyOn(target, 'aggregate').mockImplementation((options) => {
      const result = original(options);
      slices.push(result.versionsRemoved);
      if (slices.length === 1) pool.ioCount += 1;
      return result;
    });
    const agg = start();
    await vi.waitFor(() => expect(removed(agg)).toBe(600), { timeout: 3000, interval: TICK_MS });
    expect(counter(agg, 'tsdaos_aggregation_passes_total', 'interrupted')).toBe(1);
    expect(slices[0]).toBeGreaterThan(0);
    expect(slices[0]).toBeLessThan(600);
    expect(slices.length).toBeGreaterThan(2);
  });

  it('the policy is kept in pool.json across a reopen; a pool.json without one is lazy', () => {
    createPool('time');
    pools.closeAll();
    pools = new LocalPools(temp.dir, silent);
    pools.openAll();
    expect(pools.get(POOL)?.reclaim).toBe('time');
    pools.closeAll();
    const file = join(temp.dir, 'pools', POOL, 'pool.json');
    const { reclaim: _dropped, ...older } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(older));
    pools = new LocalPools(temp.dir, silent);
    pools.openAll();
    expect(pools.get(POOL)?.reclaim).toBe('lazy');
  });
});
