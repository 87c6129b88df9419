import { describe, expect, it } from 'vitest';
import type { BatchResult } from '../vos/operation.js';
import { type BatchLane, type BatchWork, Batcher } from './batcher.js';

/** A lane that runs works like a transaction: records batch sizes, can fail a whole batch. */
class FakeLane implements BatchLane {
  readonly sizes: number[] = [];
  failNext = false;

  runBatch(works: readonly BatchWork<unknown>[]): BatchResult<unknown>[] {
    this.sizes.push(works.length);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('commit failed');
    }
    return works.map((work) => {
      try {
        return { ok: true, value: work() };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }
}

describe('batcher', () => {
  it('same turn submits -> one batch, each request gets its own result', async () => {
    const lane = new FakeLane();
    const batches: number[] = [];
    const batcher = new Batcher({ onBatch: (size) => batches.push(size) });
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => batcher.submit(lane, () => index * 2)));
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(lane.sizes).toEqual([10]);
    expect(batches).toEqual([10]);
  });

  it('more than the cap -> split into several batches in arrival order', async () => {
    const lane = new FakeLane();
    const batcher = new Batcher({ batchRequestsMax: 4 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 10 }, (_, index) => batcher.submit(lane, () => order.push(index))));
    expect(lane.sizes).toEqual([4, 4, 2]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('one failing work -> only its request rejects', async () => {
    const lane = new FakeLane();
    const batcher = new Batcher();
    const good = batcher.submit(lane, () => 'fine');
    const bad = batcher.submit(lane, () => {
      throw new Error('nope');
    });
    await expect(good).resolves.toBe('fine');
    await expect(bad).rejects.toThrow('nope');
  });

  it('transaction failure -> every request of the batch rejects, next batch runs', async () => {
    const lane = new FakeLane();
    lane.failNext = true;
    const batcher = new Batcher();
    const first = [batcher.submit(lane, () => 1), batcher.submit(lane, () => 2)];
    await expect(Promise.all(first)).rejects.toThrow('commit failed');
    await expect(batcher.submit(lane, () => 3)).resolves.toBe(3);
  });

  it('different lanes -> separate batches', async () => {
    const left = new FakeLane();
    const right = new FakeLane();
    const batcher = new Batcher();
    await Promise.all([batcher.submit(left, () => 1), batcher.submit(right, () => 2), batcher.submit(left, () => 3)]);
    expect(left.sizes).toEqual([2]);
    expect(right.sizes).toEqual([1]);
  });

  it('async lane -> arrivals during a running batch form the next batch', async () => {
    const sizes: number[] = [];
    let release: () => void = () => undefined;
    const lane: BatchLane = {
      async runBatch(works) {
        sizes.push(works.length);
        if (sizes.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return works.map((work) => ({ ok: true as const, value: work() }));
      },
    };
    const batcher = new Batcher();
    const first = batcher.submit(lane, () => 'a');
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batcher.submit(lane, () => 'b'), batcher.submit(lane, () => 'c')];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await Promise.all([first, ...later])).toEqual(['a', 'b', 'c']);
    expect(sizes).toEqual([1, 2]);
  });
});
