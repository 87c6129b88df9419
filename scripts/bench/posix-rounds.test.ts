/** posix.bench.ts bestRounds: of several rounds, each case and parameter set keeps its best rate. */
import { describe, expect, it } from 'vitest';
import type { BenchResult } from './bench-env.js';
import { bestRounds } from './posix.bench.js';

function result(name: string, target: string, opsPerSecond: number): BenchResult {
  return { bench: 'posix', case: name, params: { target, attrCache: 'on' }, ops: 100, seconds: 100 / opsPerSecond, opsPerSecond, latencyUsP50: 1, latencyUsP99: 2 };
}

describe('posix bench rounds', () => {
  it('keeps the best round of each case and target, in first-seen order', () => {
    const rounds = [
      result('fio-seq-read', 'tmpfs', 900), result('fio-seq-read', 'dfuse', 300),
      result('fio-seq-read', 'tmpfs', 800), result('fio-seq-read', 'dfuse', 500),
    ];
    expect(bestRounds(rounds)).toEqual([rounds[0], rounds[3]]);
    expect(bestRounds([])).toEqual([]);
  });
});
