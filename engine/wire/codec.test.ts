import { describe, expect, it } from 'vitest';
import { decode, encode, encodeParts, PART_BYTES_MIN } from './codec.js';

/** Decodes what encodeParts wrote, as one message. */
function roundTrip(value: unknown): unknown {
  return decode(Buffer.concat(encodeParts(value)));
}

describe('codec encodeParts', () => {
  it('every value decodes as the same message encode() makes would', () => {
    const integers = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER,
      -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1, Number.MIN_SAFE_INTEGER];
    const floats = [0.5, -1.25, 1e300, Number.POSITIVE_INFINITY, 2 ** 53 + 2];
    const strings = ['', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 'e'.repeat(70_000), 'épée ✓ 𝄞'];
    const binaries = [0, 255, 256, 65_535, PART_BYTES_MIN - 1, PART_BYTES_MIN, 1 << 20].map((bytes) => Buffer.alloc(bytes, bytes % 251));
    const objectOf = (count: number): Record<string, number> => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]));
    const values: unknown[] = [
      null, undefined, true, false, ...integers, ...floats, ...strings, ...binaries.slice(0, 4),
      [], Array.from({ length: 15 }, (_, index) => index), Array.from({ length: 16 }, (_, index) => index),
      objectOf(15), objectOf(16), { absent: undefined, nested: { list: [{ data: binaries[2] }, 'x'] } },
    ];
    for (const value of values) expect(roundTrip(value)).toEqual(decode(encode(value)));
    // Bulk sizes, compared as bytes (element-wise equality of a MiB is slow).
    for (const data of binaries) expect((roundTrip({ data }) as { data: Buffer }).data.equals(data)).toBe(true);
    // 32-bit collection headers (msgpackr's fast path cannot encode such an object at all).
    const long = roundTrip(Array.from({ length: 70_000 }, (_, index) => index)) as number[];
    expect([long.length, long[0], long[69_999]]).toEqual([70_000, 0, 69_999]);
    const wide = roundTrip(objectOf(70_000)) as Record<string, number>;
    expect([Object.keys(wide).length, wide['k0'], wide['k69999']]).toEqual([70_000, 0, 69_999]);
  });

  it('bulk fields are parts of their own, not copies; a small body is one part', () => {
    const data = Buffer.alloc(1 << 20, 7);
    const parts = encodeParts({ dkey: Buffer.from('k'), iods: [{ akey: Buffer.from('0'), data }], epoch: 12 });
    expect(parts).toHaveLength(3);
    expect(parts[1]).toBe(data);
    expect(encodeParts({ dkey: Buffer.from('k'), value: Buffer.alloc(1000), epoch: 12 })).toHaveLength(1);
  });

  it('encodings share a slab but never each other\'s bytes, across slab ends and after a failed one', () => {
    const bodies = Array.from({ length: 400 }, (_, index) => ({ index, epoch: 2 ** 40 + index, key: Buffer.alloc(index * 7 % 3000, index % 251) }));
    const encoded = bodies.map((body, index) => {
      if (index % 50 === 0) expect(() => encodeParts({ half: Buffer.alloc(900, 1), bad: new Date(0) })).toThrow(TypeError);
      return encodeParts(body);
    });
    for (const [index, parts] of encoded.entries()) expect(decode(Buffer.concat(parts))).toEqual(bodies[index]);
  });

  it('values outside the wire subset -> TypeError', () => {
    expect(() => encodeParts(new Map())).toThrow(TypeError);
    expect(() => encodeParts({ when: new Date(0) })).toThrow(TypeError);
    expect(() => encodeParts(1n)).toThrow(TypeError);
  });
});
