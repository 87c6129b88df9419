import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der } from '../wire/errors.js';
import { OBJ, ep, getArray, getSingle, getText, key, oidOf, openTempTarget, putArray, putSingle, type TempTarget, derOf } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());


describe('vos single values', () => {
  it('fetch: reads the newest version at or below the epoch', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 10, value: 'v10' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 20, value: 'v20' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBeNull();
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 10 })).toBe('v10');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 19 })).toBe('v10');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 20 })).toBe('v20');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: EPOCH_MAX })).toBe('v20');
  });

  it('update: replaces the whole value (a shorter value leaves no tail)', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 'long-value' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, value: 'x' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 2 })).toBe('x');
  });

  it('update: an older epoch arriving later does not hide the newer version', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 20, value: 'new' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 10, value: 'old' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 30 })).toBe('new');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 15 })).toBe('old');
  });

  it('update: same epoch twice (a retry) is harmless; the later arrival wins', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 7, value: 'same' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 7, value: 'same' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 7 })).toBe('same');
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 7, value: 'later' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 7 })).toBe('later');
  });

  it('update: an empty value is a value, distinct from absent', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: Buffer.alloc(0) });
    const value = getSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1 });
    expect(value).not.toBeNull();
    expect(value!.length).toBe(0);
    expect(getSingle(temp.vos, { dkey: 'd', akey: 'other', epoch: 1 })).toBeNull();
  });

  it('shards: two shards of one object on one target are independent', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 's0', ref: { ...OBJ, shard: 0 } });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 's1', ref: { ...OBJ, shard: 1 } });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, ref: { ...OBJ, shard: 0 } })).toBe('s0');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, ref: { ...OBJ, shard: 1 } })).toBe('s1');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, ref: { ...OBJ, oid: oidOf(2) } })).toBeNull();
  });

  it('blob: values of 4 KiB and more go to the data blob and read back', () => {
    const before = temp.vos.usage().blobFileBytes;
    const big = Buffer.alloc(10_000, 0x5a);
    big.write('head', 0);
    putSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 1, value: big });
    putSingle(temp.vos, { dkey: 'd', akey: 'small', epoch: 1, value: Buffer.alloc(4095, 1) });
    const usage = temp.vos.usage();
    expect(usage.blobFileBytes).toBeGreaterThanOrEqual(before + 10_000);
    expect(usage.blobFileBytes).toBeLessThan(before + 10_000 + 8192);
    expect(getSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 1 })!.equals(big)).toBe(true);
    expect(getSingle(temp.vos, { dkey: 'd', akey: 'small', epoch: 1 })!.equals(Buffer.alloc(4095, 1))).toBe(true);
  });
});

describe('vos arrays', () => {
  it('fetch: newest wins per record across overlapping extents', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 10, data: 'aaaaaaaaaa' });
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 3, count: 4, data: 'bbbb' });
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 3, index: 5, count: 3, data: 'ccc' });
    expect(getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 3, index: 0, count: 10 }).toString()).toBe('aaabbcccaa');
    expect(getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 0, count: 10 }).toString()).toBe('aaabbbbaaa');
    expect(getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 2, count: 3 }).toString()).toBe('aaa');
  });

  it('fetch: holes and unwritten akeys read as zero bytes', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 2, count: 2, data: 'xy' });
    expect([...getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 6 })]).toEqual([0, 0, 120, 121, 0, 0]);
    expect([...getArray(temp.vos, { dkey: 'd', akey: 'none', epoch: 1, index: 0, count: 3 })]).toEqual([0, 0, 0]);
  });

  it('fetch: several extents in one iod, multi-byte records', () => {
    temp.vos.update({
      ...OBJ, dkey: key('d'), epoch: ep(1),
      iods: [{ akey: key('a'), type: 'array', recordSize: 2, extents: [{ index: 0, count: 2 }, { index: 10, count: 1 }], data: Buffer.from('abcdXY') }],
    });
    const [value] = temp.vos.fetch({
      ...OBJ, dkey: key('d'), epoch: ep(1),
      iods: [{ akey: key('a'), type: 'array', recordSize: 2, extents: [{ index: 1, count: 1 }, { index: 9, count: 2 }] }],
    });
    // Records 1 and 10 hold data, record 9 is a hole.
    expect(value).toEqual({ type: 'array', data: Buffer.from([0x63, 0x64, 0, 0, 0x58, 0x59]), filled: 2 });
  });

  it('fetch: filled counts written records, not holes or punched ones', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 4, data: 'abcd' });
    temp.vos.update({ ...OBJ, dkey: key('d'), epoch: ep(2), iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index: 1, count: 1 }], data: null }] });
    const filled = (epoch: number, index: number, count: number): number => {
      const [value] = temp.vos.fetch({ ...OBJ, dkey: key('d'), epoch: ep(epoch), iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index, count }] }] });
      return value!.type === 'array' ? value!.filled : -1;
    };
    expect(filled(1, 0, 4)).toBe(4);
    expect(filled(1, 2, 4)).toBe(2);
    expect(filled(2, 0, 4)).toBe(3);
    expect(filled(2, 0, 1)).toBe(1);
  });

  it('blob: large extents go to the blob and partial reads return the right bytes', () => {
    const data = Buffer.alloc(64 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: data.length, data });
    expect(temp.vos.usage().blobFileBytes).toBeGreaterThanOrEqual(data.length);
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 1000, count: 3, data: 'new' });
    const read = getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 998, count: 8 });
    expect([...read]).toEqual([data[998], data[999], 110, 101, 119, data[1003], data[1004], data[1005]]);
  });

  it('update: another record size or value type on the same akey -> DER_INVAL', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 2, recordSize: 4, data: Buffer.alloc(8) });
    expect(derOf(() => putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 0, count: 1, recordSize: 8, data: Buffer.alloc(8) }))).toBe(Der.INVAL);
    expect(derOf(() => putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, value: 'x' }))).toBe(Der.INVAL);
    putSingle(temp.vos, { dkey: 'd', akey: 's', epoch: 1, value: 'x' });
    expect(derOf(() => putArray(temp.vos, { dkey: 'd', akey: 's', epoch: 2, index: 0, count: 1, data: 'y' }))).toBe(Der.INVAL);
    expect(derOf(() => getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 0, count: 1, recordSize: 8 }))).toBe(Der.INVAL);
  });
});

describe('vos input validation', () => {
  it('update: malformed input -> DER_INVAL and nothing stored', () => {
    const base = { ...OBJ, dkey: key('d'), epoch: ep(1) };
    const cases: Array<() => void> = [
      () => temp.vos.update({ ...base, oid: Buffer.alloc(8), iods: [{ akey: key('a'), type: 'single', value: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, dkey: Buffer.alloc(0), iods: [{ akey: key('a'), type: 'single', value: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, dkey: Buffer.alloc(65537), iods: [{ akey: key('a'), type: 'single', value: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, iods: [] }),
      () => temp.vos.update({ ...base, iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 2 }], data: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index: -1, count: 1 }], data: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 0 }], data: Buffer.alloc(0) }] }),
      () => temp.vos.update({ ...base, iods: [{ akey: key('a'), type: 'array', recordSize: 0, extents: [{ index: 0, count: 1 }], data: Buffer.alloc(0) }] }),
      () => temp.vos.update({ ...base, epoch: EPOCH_MAX, iods: [{ akey: key('a'), type: 'single', value: Buffer.from('x') }] }),
      () => temp.vos.update({ ...base, shard: -1, iods: [{ akey: key('a'), type: 'single', value: Buffer.from('x') }] }),
    ];
    for (const run of cases) expect(derOf(run)).toBe(Der.INVAL);
    expect(temp.vos.listDkeys({ ...OBJ, epoch: EPOCH_MAX, anchor: null, limit: 10 }).keys).toEqual([]);
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(0);
  });

  it('update: a 64 KiB key is accepted and listed', () => {
    const long = Buffer.alloc(65536, 0x61);
    temp.vos.update({ ...OBJ, dkey: long, epoch: ep(1), iods: [{ akey: long, type: 'single', value: Buffer.from('v') }] });
    const listed = temp.vos.listDkeys({ ...OBJ, epoch: ep(1), anchor: null, limit: 10 });
    expect(listed.keys).toHaveLength(1);
    expect(listed.keys[0]!.equals(long)).toBe(true);
  });

  it('close: calls after close -> DER_SHUTDOWN', () => {
    temp.vos.close();
    expect(derOf(() => temp.vos.usage())).toBe(Der.SHUTDOWN);
  });
});
