/**
 * Lamping–Veach jump consistent hash: maps a 64-bit key to one of `buckets` buckets so that growing
 * N -> N+1 buckets moves only ~1/(N+1) of the keys, and only into the new bucket. This is the reference
 * algorithm bit for bit (key = key * 2862933555777941757 + 1 mod 2^64), with the 64-bit multiply done on
 * 32-bit halves so no BigInt is allocated. Pure and host independent.
 */
import assert from 'node:assert/strict';
import type { Hash64 } from './hash.js';

/** The reference algorithm's 64-bit LCG multiplier 2862933555777941757, split in 32-bit halves. */
const MULTIPLIER_HI = 0x27bb2ee6;
const MULTIPLIER_LO = 0x87b0b0fd;
const TWO_POW_31 = 2 ** 31;
const TWO_POW_16 = 2 ** 16;
/** Largest bucket count: results must fit the reference's signed 32-bit return type. */
export const JUMP_HASH_BUCKETS_MAX = 2 ** 31 - 1;

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers, exact in doubles (16-bit limbs). */
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const middle = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return (a1 * b1 + Math.floor(middle / TWO_POW_16)) >>> 0;
}

/**
 * Bucket in [0, buckets) for the 64-bit key `hi:lo` (unsigned 32-bit halves). The same (key, buckets)
 * always gives the same bucket. `buckets` is an integer in [1, JUMP_HASH_BUCKETS_MAX].
 */
export function jumpHashHalves(hi: number, lo: number, buckets: number): number {
  assert.ok(Number.isInteger(buckets) && buckets >= 1 && buckets <= JUMP_HASH_BUCKETS_MAX, 'bucket count out of range');
  let keyHi = hi >>> 0;
  let keyLo = lo >>> 0;
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    // key = key * MULTIPLIER + 1 (mod 2^64): the cross terms only reach the high word.
    const productHi = mulHigh32(keyLo, MULTIPLIER_LO) + Math.imul(keyHi, MULTIPLIER_LO) + Math.imul(keyLo, MULTIPLIER_HI);
    keyLo = (Math.imul(keyLo, MULTIPLIER_LO) + 1) >>> 0;
    keyHi = (productHi + (keyLo === 0 ? 1 : 0)) >>> 0;
    // (key >> 33) is the high word shifted by one.
    next = Math.floor((bucket + 1) * (TWO_POW_31 / ((keyHi >>> 1) + 1)));
  }
  return bucket;
}

/** jumpHashHalves for a Hash64 key. */
export function jumpHash(key: Hash64, buckets: number): number {
  return jumpHashHalves(key.hi, key.lo, buckets);
}
