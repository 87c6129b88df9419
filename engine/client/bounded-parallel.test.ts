import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapBounded, settleInOrder } from './bounded-parallel.js';

describe('mapBounded', () => {
  it('keeps order and never exceeds the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapBounded(Array.from({ length: 20 }, (_, i) => i), 3, async (item) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(item % 3);
      inFlight--;
      return item * 2;
    });
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });

  it('first failure stops new items and is thrown', async () => {
    const started: number[] = [];
    await expect(mapBounded([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('boom');
      await sleep(5);
    })).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });
});

describe('settleInOrder', () => {
  it('values in order; with failures, the first in order is thrown only once every promise settled', async () => {
    expect(await settleInOrder([sleep(5).then(() => 'a'), Promise.resolve('b')])).toEqual(['a', 'b']);
    let lateSettled = false;
    const late = sleep(10).then(() => { lateSettled = true; throw new Error('second'); });
    const first = sleep(1).then(() => { throw new Error('first'); });
    await expect(settleInOrder([Promise.resolve(1), late, first])).rejects.toThrow('second');
    expect(lateSettled).toBe(true);
  });
});
