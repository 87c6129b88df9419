import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64ToBigInt, hashBytes, hashTuple, murmur3x86x128 } from './hash.js';

const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');

// Published MurmurHash3 x86_128 known answers (h1..h4), as used by independent implementations.
const KNOWN_ANSWERS: ReadonlyArray<[string, number, [number, number, number, number]]> = [
  ['', 0, [0x00000000, 0x00000000, 0x00000000, 0x00000000]],
  ['', 1, [0x88c4adec, 0x54d201b9, 0x54d201b9, 0x54d201b9]],
  ['', 0xffffffff, [0x051e08a9, 0x989d49f7, 0x989d49f7, 0x989d49f7]],
  ['\0\0\0\0', 0, [0xcc066f1f, 0x9e517840, 0x9e517840, 0x9e517840]],
  ['aaaa', 0x9747b28c, [0x36804cef, 0x2a61c224, 0x2a61c224, 0x2a61c224]],
  ['aaa', 0x9747b28c, [0x838389be, 0x9aad7f88, 0x9aad7f88, 0x9aad7f88]],
  ['a', 0x9747b28c, [0x084ef944, 0x21a1186e, 0x21a1186e, 0x21a1186e]],
  ['Hello, world!', 0x9747b28c, [0x756d5460, 0xbb872216, 0xb7d48b7c, 0x53c8c636]],
  ['\xcf\x80'.repeat(8), 0x9747b28c, [0xaf2ad325, 0x3a74df88, 0x38cc7534, 0xf197cc0d]],
  ['a'.repeat(256), 0x9747b28c, [0xd3f2b7bb, 0xf666c0cc, 0xd4a40060, 0x5ec8d32a]],
];

describe('hash', () => {
  it.each(KNOWN_ANSWERS)('murmur3x86x128: %j seed %d -> published answer', (text, seed, expected) => {
    expect(murmur3x86x128(latin1(text), seed)).toEqual(expected);
  });

  it('hashBytes: any input -> first 64 bits of murmur3x86x128, halves unsigned 32-bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 0xffff_ffff }), (bytes, seed) => {
        const hash = hashBytes(bytes, seed);
        const [h1, h2] = murmur3x86x128(bytes, seed);
        expect(hash).toEqual({ hi: h2, lo: h1 });
        expect(Number.isInteger(hash.hi) && hash.hi >= 0 && hash.hi <= 0xffff_ffff).toBe(true);
        expect(Number.isInteger(hash.lo) && hash.lo >= 0 && hash.lo <= 0xffff_ffff).toBe(true);
      }),
    );
  });

  it('hashBytes: same bytes in a different buffer -> same hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 16 }), (bytes, pad) => {
        const shifted = new Uint8Array(bytes.length + pad);
        shifted.set(bytes, pad);
        expect(hashBytes(shifted.subarray(pad), 7)).toEqual(hashBytes(Uint8Array.from(bytes), 7));
      }),
    );
  });

  it('hashTuple: (key, a, b) -> hashBytes of its 16 little-endian bytes', () => {
    const u32 = fc.nat({ max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, u32, u32, (hi, lo, a, b, seed) => {
        const bytes = Buffer.alloc(16);
        bytes.writeUInt32LE(lo, 0);
        bytes.writeUInt32LE(hi, 4);
        bytes.writeUInt32LE(a, 8);
        bytes.writeUInt32LE(b, 12);
        expect(hashTuple({ hi, lo }, a, b, seed)).toEqual(hashBytes(bytes, seed));
      }),
    );
  });

  it('hashTuple: consecutive attempts -> distinct hashes', () => {
    const seen = new Set<bigint>();
    for (let attempt = 0; attempt < 10_000; attempt++) seen.add(hash64ToBigInt(hashTuple({ hi: 1, lo: 2 }, 3, attempt, 4)));
    expect(seen.size).toBe(10_000);
  });

  it('hash64ToBigInt: halves -> unsigned 64-bit value', () => {
    expect(hash64ToBigInt({ hi: 0xffff_ffff, lo: 1 })).toBe(0xffff_ffff_0000_0001n);
  });
});
