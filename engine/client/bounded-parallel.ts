/**
 * Runs an async function over many items with at most `limit` in flight, keeping results in item order.
 * On the first failure no new items start; the ones in flight are awaited, then that first error is thrown.
 * settleInOrder: the same contract for work already started (every promise settles, nothing is left running).
 */
import assert from 'node:assert/strict';

/** Waits for every promise, then returns their values in order, or throws the first failure in order. */
export async function settleInOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

export async function mapBounded<T, R>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  assert.ok(Number.isInteger(limit) && limit >= 1, 'concurrency limit must be a positive integer');
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await run(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
