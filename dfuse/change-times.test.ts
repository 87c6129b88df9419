/**
 * ChangeTimes (change-times.ts): a change counts for reads that began at or before it, on the path itself
 * or, with sinceAbove, on a directory above; pruning keeps what is younger than the keep time; a read that
 * began longer ago than that is not covered.
 */
import { describe, expect, it } from 'vitest';
import { ChangeTimes } from './change-times.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ChangeTimes', () => {
  it('a change counts for reads begun before it, on the path or (sinceAbove) a directory above it', async () => {
    const changes = new ChangeTimes(60_000);
    const before = Date.now();
    await sleep(5);
    changes.note('/a/b');
    const after = Date.now() + 1;
    expect(changes.since('/a/b', before)).toBe(true);
    expect(changes.since('/a/b', after)).toBe(false);
    expect(changes.since('/a', before), 'a directory above is not changed by its child').toBe(false);
    expect(changes.sinceAbove('/a/b/c', before)).toBe(true);
    expect(changes.sinceAbove('/a/bc', before), 'a sibling sharing a prefix').toBe(false);
    changes.note('/');
    expect(changes.sinceAbove('/x/y', before), 'the root is above everything').toBe(true);
    changes.clear();
    expect(changes.sinceAbove('/a/b/c', before)).toBe(false);
  });

  it('pruning drops only changes older than the keep time; older reads are not covered', async () => {
    const changes = new ChangeTimes(50);
    const start = Date.now();
    changes.note('/old');
    await sleep(80);
    expect(changes.covers(start)).toBe(false);
    expect(changes.covers(Date.now())).toBe(true);
    const recent = Date.now();
    for (let index = 0; index < 5000; index += 1) changes.note(`/n${index}`);
    expect(changes.since('/n0', recent)).toBe(true);
    expect(changes.since('/n4999', recent)).toBe(true);
    expect(changes.since('/old', start), 'pruned once past the keep time').toBe(false);
  });
});
