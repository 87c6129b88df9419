/**
 * Deterministic 64-bit hashing for placement: byte strings (dkeys, oids) and (object key, shard, attempt)
 * tuples. The core is MurmurHash3 x86_128 (Appleby's public-domain design), computed with 32-bit integer
 * arithmetic only (Math.imul), so the hot path allocates no BigInt; the first 64 bits of the 128-bit result
 * are the hash. Results are pure functions of the input bytes and seed, identical on every host, because
 * client and engines must agree on placement without talking.
 * Not cryptographic: nothing here may be used where an adversary chooses keys to collide.
 */

/** A 64-bit hash as two unsigned 32-bit halves (each 0..2^32-1). */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
}

/** Seed for dkey hashing (the value DAOS uses for its dkey murmur64). */
export const DKEY_HASH_SEED = 5731;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;
const BLOCK_BYTES = 16;

/*
 * The four finalised 32-bit lanes of the last hash computed, for murmur3x86x128. Module-level so the hot
 * path returns only the 64 bits it needs without allocating more; safe because hashes run to completion.
 */
const lastLanes = new Int32Array(4);

function rotl32(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function mixLane1(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}
function mixLane2(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C2), 16), C3);
}
function mixLane3(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C3), 17), C4);
}
function mixLane4(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C4), 18), C1);
}

function readWord(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}

/** Little-endian word of the 1..4 bytes from `offset` up to `end` (the tail of the input). */
function readTailWord(bytes: Uint8Array, offset: number, end: number): number {
  let word = 0;
  for (let i = Math.min(end, offset + 4) - 1; i >= offset; i--) word = (word << 8) | bytes[i]!;
  return word;
}

/**
 * Final avalanche of lanes h1..h4 after `length` bytes. Returns the first 64 bits of the 128-bit result
 * (h1 low, h2 high) and leaves all four lanes in lastLanes.
 */
function finish(lane1: number, lane2: number, lane3: number, lane4: number, length: number): Hash64 {
  let h1 = lane1 ^ length;
  let h2 = lane2 ^ length;
  let h3 = lane3 ^ length;
  let h4 = lane4 ^ length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = fmix32((h2 + h1) | 0);
  h3 = fmix32((h3 + h1) | 0);
  h4 = fmix32((h4 + h1) | 0);
  h1 = fmix32(h1);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  lastLanes[0] = h1;
  lastLanes[1] = h2;
  lastLanes[2] = h3 + h1;
  lastLanes[3] = h4 + h1;
  return { hi: h2 >>> 0, lo: h1 >>> 0 };
}

/**
 * 64-bit hash of a byte string: the first 64 bits of MurmurHash3 x86_128. Pure: equal (bytes, seed)
 * give equal results on every host. `seed` is an unsigned 32-bit value; use distinct seeds for unrelated
 * purposes.
 */
export function hashBytes(bytes: Uint8Array, seed: number): Hash64 {
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const length = bytes.length;
  const blocksEnd = length - (length % BLOCK_BYTES);
  for (let offset = 0; offset < blocksEnd; offset += BLOCK_BYTES) {
    h1 ^= mixLane1(readWord(bytes, offset));
    h1 = (Math.imul(rotl32(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= mixLane2(readWord(bytes, offset + 4));
    h2 = (Math.imul(rotl32(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= mixLane3(readWord(bytes, offset + 8));
    h3 = (Math.imul(rotl32(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= mixLane4(readWord(bytes, offset + 12));
    h4 = (Math.imul(rotl32(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // Tail lanes are mixed in without the chaining of full blocks.
  const tail = length - blocksEnd;
  if (tail > 12) h4 ^= mixLane4(readTailWord(bytes, blocksEnd + 12, length));
  if (tail > 8) h3 ^= mixLane3(readTailWord(bytes, blocksEnd + 8, length));
  if (tail > 4) h2 ^= mixLane2(readTailWord(bytes, blocksEnd + 4, length));
  if (tail > 0) h1 ^= mixLane1(readTailWord(bytes, blocksEnd, length));
  return finish(h1, h2, h3, h4, length);
}

/** The full 128-bit MurmurHash3 x86_128 of `bytes` as unsigned words h1..h4 (for known-answer tests). */
export function murmur3x86x128(bytes: Uint8Array, seed: number): [number, number, number, number] {
  hashBytes(bytes, seed);
  return [lastLanes[0]! >>> 0, lastLanes[1]! >>> 0, lastLanes[2]! >>> 0, lastLanes[3]! >>> 0];
}

/**
 * Hash of the tuple (key, a, b) under `seed`, e.g. (object key, shard, attempt) with the placement level
 * as seed. Equals hashBytes of the 16 little-endian bytes of key.lo, key.hi, a, b, without building them.
 * `a` and `b` are unsigned 32-bit integers.
 */
export function hashTuple(key: Hash64, a: number, b: number, seed: number): Hash64 {
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  h1 ^= mixLane1(key.lo);
  h1 = (Math.imul(rotl32(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
  h2 ^= mixLane2(key.hi);
  h2 = (Math.imul(rotl32(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
  h3 ^= mixLane3(a);
  h3 = (Math.imul(rotl32(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
  h4 ^= mixLane4(b);
  h4 = (Math.imul(rotl32(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  return finish(h1, h2, h3, h4, BLOCK_BYTES);
}

/** The hash as an unsigned 64-bit BigInt (for logs and tests; never on the hot path). */
export function hash64ToBigInt(hash: Hash64): bigint {
  return (BigInt(hash.hi) << 32n) | BigInt(hash.lo);
}
