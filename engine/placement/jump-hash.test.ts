import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashTuple } from './hash.js';
import { JUMP_HASH_BUCKETS_MAX, jumpHash, jumpHashHalves } from './jump-hash.js';

/** The published algorithm in 64-bit BigInt arithmetic, as the oracle. */
function jumpHashReference(key: bigint, buckets: number): number {
  let state = key;
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    state = (state * 2862933555777941757n + 1n) & 0xffff_ffff_ffff_ffffn;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(state >> 33n) + 1)));
  }
  return bucket;
}

const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const halvesOf = (key: bigint): [number, number] => [Number(key >> 32n), Number(key & 0xffff_ffffn)];

describe('jumpHash', () => {
  it('jumpHashHalves: any key and bucket count -> same bucket as the 64-bit reference', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 1, max: JUMP_HASH_BUCKETS_MAX }), (key, buckets) => {
        const [hi, lo] = halvesOf(key);
        expect(jumpHashHalves(hi, lo, buckets)).toBe(jumpHashReference(key, buckets));
      }),
      { numRuns: 2000 },
    );
  });

  it('jumpHash: any key -> bucket in [0, buckets)', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 1, max: JUMP_HASH_BUCKETS_MAX }), (key, buckets) => {
        const [hi, lo] = halvesOf(key);
        const bucket = jumpHash({ hi, lo }, buckets);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < buckets).toBe(true);
      }),
    );
  });

  it('jumpHash: N -> N+1 buckets -> a key keeps its bucket or moves to bucket N', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 1, max: 10_000 }), (key, buckets) => {
        const [hi, lo] = halvesOf(key);
        const after = jumpHashHalves(hi, lo, buckets + 1);
        expect([jumpHashHalves(hi, lo, buckets), buckets]).toContain(after);
      }),
    );
  });

  it('jumpHash: N -> N+1 buckets -> about 1/(N+1) of the keys move', () => {
    const keyCount = 20_000;
    const keys = Array.from({ length: keyCount }, (_, i) => hashTuple({ hi: 0, lo: i }, 0, 0, 1));
    for (const buckets of [1, 2, 3, 5, 8, 12, 31, 64, 100]) {
      const moved = keys.filter((key) => jumpHash(key, buckets) !== jumpHash(key, buckets + 1)).length;
      const p = 1 / (buckets + 1);
      const sigma = Math.sqrt(keyCount * p * (1 - p));
      expect(Math.abs(moved - keyCount * p)).toBeLessThan(5 * sigma + 1);
    }
  });

  it('jumpHash: one bucket -> 0; a bad bucket count -> assertion', () => {
    expect(jumpHashHalves(123, 456, 1)).toBe(0);
    expect(() => jumpHashHalves(1, 2, 0)).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    expect(() => jumpHashHalves(1, 2, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
  });
});
