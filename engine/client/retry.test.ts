import { describe, expect, it } from 'vitest';
import { RPC_RETRIES_MAX } from '../constants.js';
import { createLogger } from '../log.js';
import { buildUniformPoolMap } from '../pool-map/build.js';
import { type PoolMap, type Rank, withRankState } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';
import type { Epoch } from '../wire/epoch.js';
import { type MapSource, backoffOnBusy, fixedEpochConflicts, refreshOnDataLoss, refreshOnStale, reportOnUnreachable, retrying, retryingConflicts, writeConflicts } from './retry.js';
import { ShardError } from './shard-error.js';

/** A pool map holder standing in for the pool service: refresh and report bump the version. */
class MapHolder implements MapSource {
  map: PoolMap = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
  refreshes = 0;
  reports: number[] = [];
  async refreshMap(): Promise<PoolMap> {
    this.refreshes++;
    this.map = { ...this.map, version: (this.map.version + 1) as PoolMap['version'] };
    return this.map;
  }
  async reportUnreachable(rank: Rank): Promise<PoolMap> {
    this.reports.push(rank);
    this.map = withRankState(this.map, rank, 'DOWN');
    return this.map;
  }
}

const log = createLogger('retry-test', { level: 'silent' });

describe('retrying', () => {
  it('STALE -> refresh map, retry, succeed', async () => {
    const pool = new MapHolder();
    let attempts = 0;
    const result = await retrying([refreshOnStale(pool)], async () => {
      if (++attempts === 1) throw new EngineError(Der.STALE, undefined, { mapVersion: 2 });
      return 'done';
    });
    expect(result).toBe('done');
    expect(pool.refreshes).toBe(1);
  });

  it('DATA_LOSS -> the map fetched once: retried if it moved (an engine came back), else the loss stands', async () => {
    const moved = new MapHolder();
    let attempts = 0;
    await retrying([refreshOnDataLoss(moved)], async () => {
      if (++attempts === 1) throw new EngineError(Der.DATA_LOSS, 'no healthy shard in group 3');
    });
    expect([attempts, moved.refreshes]).toEqual([2, 1]);
    const unchanged = new MapHolder();
    unchanged.refreshMap = async () => {
      unchanged.refreshes++;
      return unchanged.map;
    };
    attempts = 0;
    await expect(retrying([refreshOnDataLoss(unchanged)], async () => {
      attempts++;
      throw new EngineError(Der.DATA_LOSS, 'no healthy shard in group 3');
    })).rejects.toMatchObject({ der: Der.DATA_LOSS });
    expect([attempts, unchanged.refreshes]).toEqual([1, 1]);
  });

  it('UNREACH from a shard -> report its rank, retry', async () => {
    const pool = new MapHolder();
    let attempts = 0;
    await retrying([refreshOnStale(pool), reportOnUnreachable(pool, log)], async () => {
      if (++attempts === 1) throw new ShardError(new EngineError(Der.UNREACH), 2 as Rank, 5);
    });
    expect(pool.reports).toEqual([2]);
    expect(attempts).toBe(2);
  });

  it('UNREACH and the pool service unreachable too -> no more attempts; another report failure -> retried', async () => {
    const unreachable = new MapHolder();
    unreachable.reportUnreachable = async (rank) => {
      unreachable.reports.push(rank);
      throw new EngineError(Der.UNREACH, 'no pool service replica answered');
    };
    let attempts = 0;
    const failing = retrying([reportOnUnreachable(unreachable, log)], async () => {
      attempts++;
      throw new ShardError(new EngineError(Der.UNREACH), 1 as Rank, 0);
    });
    await expect(failing).rejects.toMatchObject({ der: Der.UNREACH, rank: 1 });
    expect([attempts, unreachable.reports]).toEqual([1, [1]]);

    const busy = new MapHolder();
    busy.reportUnreachable = async (rank) => {
      busy.reports.push(rank);
      throw new EngineError(Der.BUSY);
    };
    let tries = 0;
    await retrying([reportOnUnreachable(busy, log)], async () => {
      if (++tries === 1) throw new ShardError(new EngineError(Der.UNREACH), 2 as Rank, 0);
    });
    expect([tries, busy.reports]).toEqual([2, [2]]);
  });

  it('errors no recovery handles are thrown at once', async () => {
    let attempts = 0;
    const failing = retrying([refreshOnStale(new MapHolder())], async () => {
      attempts++;
      throw new EngineError(Der.EXIST);
    });
    await expect(failing).rejects.toMatchObject({ der: Der.EXIST });
    expect(attempts).toBe(1);
  });

  it('bounded: after RPC_RETRIES_MAX retries the last error is thrown', async () => {
    let attempts = 0;
    const failing = retrying([backoffOnBusy()], async () => {
      attempts++;
      throw new EngineError(Der.BUSY);
    });
    await expect(failing).rejects.toMatchObject({ der: Der.BUSY });
    expect(attempts).toBe(RPC_RETRIES_MAX + 1);
  });
});

describe('retryingConflicts', () => {
  const clock = { next: 100, now(): Epoch { return this.next++ as Epoch; } };

  it('INPROGRESS on a read -> waited out at the same epoch', async () => {
    const epochs: number[] = [];
    const result = await retryingConflicts(fixedEpochConflicts(7 as Epoch), async (epoch) => {
      epochs.push(epoch);
      if (epochs.length < 3) throw new EngineError(Der.INPROGRESS);
      return 'read';
    });
    expect(result).toBe('read');
    expect(epochs).toEqual([7, 7, 7]);
  });

  it('TX_RESTART on a write without a fixed epoch -> retried with a fresh epoch', async () => {
    const epochs: number[] = [];
    await retryingConflicts(writeConflicts(undefined, clock), async (epoch) => {
      epochs.push(epoch);
      if (epochs.length === 1) throw new EngineError(Der.TX_RESTART);
    });
    expect(epochs).toHaveLength(2);
    expect(epochs[1]).toBeGreaterThan(epochs[0]!);
  });

  it('TX_RESTART at a fixed epoch, or any other error -> thrown at once', async () => {
    let attempts = 0;
    await expect(retryingConflicts(writeConflicts(5 as Epoch, clock), async () => {
      attempts++;
      throw new EngineError(Der.TX_RESTART);
    })).rejects.toMatchObject({ der: Der.TX_RESTART });
    await expect(retryingConflicts(fixedEpochConflicts(5 as Epoch), async () => {
      attempts++;
      throw new EngineError(Der.EXIST);
    })).rejects.toMatchObject({ der: Der.EXIST });
    expect(attempts).toBe(2);
  });
});
