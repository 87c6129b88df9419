import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OBJ, ep, key, openTempTarget, putArray, putSingle, type TempTarget } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

/** Chunk dkeys as DFS builds them: 8-byte big-endian chunk index, so byte order is numeric order. */
function chunk(n: number): string {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(n));
  return buffer.toString('latin1');
}

function dkeyOf(n: number): Buffer {
  return Buffer.from(chunk(n), 'latin1');
}

function max(epoch: number): { dkey: string | null; end: number } {
  const result = temp.vos.queryMax({ ...OBJ, akey: key('data'), epoch: ep(epoch) });
  return { dkey: result.dkey === null ? null : result.dkey.toString('hex'), end: result.end };
}

function write(n: number, epoch: number, index: number, count: number, data: Buffer | null): void {
  temp.vos.update({
    ...OBJ, dkey: dkeyOf(n), epoch: ep(epoch),
    iods: [{ akey: key('data'), type: 'array', recordSize: 1, extents: [{ index, count }], data }],
  });
}

describe('vos queryMax', () => {
  it('queryMax: empty object -> null dkey, end 0', () => {
    expect(max(10)).toEqual({ dkey: null, end: 0 });
  });

  it('queryMax: greatest dkey with data and the end of its highest extent', () => {
    write(0, 1, 0, 100, Buffer.alloc(100, 1));
    write(3, 2, 10, 5, Buffer.alloc(5, 1));
    write(3, 3, 2, 3, Buffer.alloc(3, 1));
    write(1, 4, 500, 10, Buffer.alloc(10, 1));
    expect(max(10)).toEqual({ dkey: dkeyOf(3).toString('hex'), end: 15 });
    expect(max(1)).toEqual({ dkey: dkeyOf(0).toString('hex'), end: 100 });
  });

  it('queryMax: the data may lie under any dkey below hundreds without it (the scan goes on past each batch)', () => {
    for (const withData of [0, 3, 20, 85, 340, 599]) {
      const ref = { ...OBJ, shard: withData + 1 };
      for (let n = 0; n < 600; n += 1) {
        temp.vos.update({ ...ref, dkey: dkeyOf(n), epoch: ep(1), iods: [n <= withData
          ? { akey: key('data'), type: 'array', recordSize: 1, extents: [{ index: n, count: 2 }], data: Buffer.alloc(2, 1) }
          : { akey: key('other'), type: 'single', value: Buffer.from('x') }] });
      }
      const result = temp.vos.queryMax({ ...ref, akey: key('data'), epoch: ep(1) });
      expect({ dkey: result.dkey?.toString('hex'), end: result.end }, `data up to dkey ${withData}`).toEqual({ dkey: dkeyOf(withData).toString('hex'), end: withData + 2 });
    }
  });

  it('queryMax: ignores other akeys and single values', () => {
    write(1, 1, 0, 4, Buffer.alloc(4, 1));
    putSingle(temp.vos, { dkey: chunk(9), akey: 'data-other', epoch: 2, value: 'x' });
    putArray(temp.vos, { dkey: chunk(8), akey: 'other', epoch: 2, index: 0, count: 9, data: 'aaaaaaaaa' });
    expect(max(5)).toEqual({ dkey: dkeyOf(1).toString('hex'), end: 4 });
  });

  it('queryMax: after a dkey punch falls back to the previous dkey; snapshot before still sees it', () => {
    write(0, 1, 0, 50, Buffer.alloc(50, 1));
    write(2, 2, 0, 30, Buffer.alloc(30, 1));
    temp.vos.punch({ ...OBJ, dkey: dkeyOf(2), epoch: ep(5) });
    expect(max(5)).toEqual({ dkey: dkeyOf(0).toString('hex'), end: 50 });
    expect(max(4)).toEqual({ dkey: dkeyOf(2).toString('hex'), end: 30 });
  });

  it('queryMax: after an extent punch (truncate) the end shrinks; punching all data falls back', () => {
    write(0, 1, 0, 50, Buffer.alloc(50, 1));
    write(1, 2, 0, 40, Buffer.alloc(40, 1));
    write(1, 3, 25, 15, null);
    expect(max(3)).toEqual({ dkey: dkeyOf(1).toString('hex'), end: 25 });
    write(1, 4, 0, 25, null);
    expect(max(4)).toEqual({ dkey: dkeyOf(0).toString('hex'), end: 50 });
    write(1, 5, 10, 1, Buffer.from('z'));
    expect(max(5)).toEqual({ dkey: dkeyOf(1).toString('hex'), end: 11 });
    expect(max(2)).toEqual({ dkey: dkeyOf(1).toString('hex'), end: 40 });
  });

  it('queryMax: after an object punch -> null until rewritten', () => {
    write(4, 1, 0, 8, Buffer.alloc(8, 1));
    temp.vos.punch({ ...OBJ, epoch: ep(2) });
    expect(max(2)).toEqual({ dkey: null, end: 0 });
    write(1, 3, 0, 2, Buffer.alloc(2, 1));
    expect(max(3)).toEqual({ dkey: dkeyOf(1).toString('hex'), end: 2 });
  });
});
