import { describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import { chunkDkey, chunkOfDkey, lastChunkOfSize, sizeFromMaxKey, splitRange } from './array-math.js';

describe('array math', () => {
  it('split: range across three chunks', () => {
    expect(splitRange(90, 130, 100, 1000)).toEqual([
      { chunk: 0, offsetInChunk: 90, length: 10, bufferOffset: 0 },
      { chunk: 1, offsetInChunk: 0, length: 100, bufferOffset: 10 },
      { chunk: 2, offsetInChunk: 0, length: 20, bufferOffset: 110 },
    ]);
  });

  it('split: pieces longer than the piece cap are split again', () => {
    expect(splitRange(0, 100, 100, 40).map((piece) => [piece.chunk, piece.offsetInChunk, piece.length])).toEqual([
      [0, 0, 40], [0, 40, 40], [0, 80, 20],
    ]);
  });

  it('split: empty range -> no pieces; negative offset -> INVAL', () => {
    expect(splitRange(5, 0, 100, 100)).toEqual([]);
    expect(() => splitRange(-1, 1, 100, 100)).toThrow(expect.objectContaining({ der: Der.INVAL }));
  });

  it('dkey: chunk c is big-endian c+1 and sorts like c', () => {
    expect(chunkDkey(0)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(chunkOfDkey(chunkDkey(123_456_789))).toBe(123_456_789);
    expect(Buffer.compare(chunkDkey(255), chunkDkey(256))).toBe(-1);
    expect(chunkOfDkey(Buffer.alloc(8))).toBeUndefined();
    expect(chunkOfDkey(Buffer.from('v'))).toBeUndefined();
  });

  it('size: chunk * (maxDkey - 1) + end', () => {
    expect(sizeFromMaxKey(100, null, 0)).toBe(0);
    expect(sizeFromMaxKey(100, chunkDkey(0), 42)).toBe(42);
    expect(sizeFromMaxKey(100, chunkDkey(3), 100)).toBe(400);
  });

  it('last chunk of a size', () => {
    expect(lastChunkOfSize(0, 100)).toBe(-1);
    expect(lastChunkOfSize(1, 100)).toBe(0);
    expect(lastChunkOfSize(100, 100)).toBe(0);
    expect(lastChunkOfSize(101, 100)).toBe(1);
  });
});
