/**
 * Bounded fan-out: runs an async function over items with at most `limit` in flight, results in item
 * order. On the first failure no new item starts; those in flight are awaited, then that error is thrown.
 */
import assert from 'node:assert/strict';

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
