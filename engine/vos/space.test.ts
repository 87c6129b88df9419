import { afterEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der } from '../wire/errors.js';
import { OBJ, TEST_CONT, ep, getSingle, getText, key, listAll, oidOf, openTempTarget, putArray, putSingle, type TempTarget, derOf } from './test-harness.js';

let temp: TempTarget | undefined;
afterEach(() => temp?.cleanup());


describe('vos space', () => {
  it('usage: counts inline bytes and aligned blob bytes; metadata is non-zero', () => {
    temp = openTempTarget();
    putSingle(temp.vos, { dkey: 'd', akey: 'small', epoch: 1, value: Buffer.alloc(100) });
    putSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 1, value: Buffer.alloc(5000) });
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 1, index: 0, count: 10, data: Buffer.alloc(10) });
    const usage = temp.vos.usage();
    expect(usage.dataBytes).toBe(100 + 8192 + 10);
    expect(usage.blobFileBytes).toBe(8192);
    expect(usage.blobFreeBytes).toBe(0);
    expect(usage.metadataBytes).toBeGreaterThan(0);
  });

  it('capacity: an update that would exceed it -> DER_NOSPACE and nothing stored', () => {
    temp = openTempTarget({ capacityBytes: 10_000 });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: Buffer.alloc(3000) });
    putSingle(temp.vos, { dkey: 'd', akey: 'b', epoch: 1, value: Buffer.alloc(3000) });
    expect(derOf(() => putSingle(temp!.vos, { dkey: 'd', akey: 'c', epoch: 1, value: Buffer.alloc(4096) }))).toBe(Der.NOSPACE);
    expect(derOf(() => temp!.vos.update({
      ...OBJ, dkey: key('e'), epoch: ep(1),
      iods: [{ akey: key('x'), type: 'single', value: Buffer.alloc(2000) }, { akey: key('y'), type: 'single', value: Buffer.alloc(2001) }],
    }))).toBe(Der.NOSPACE);
    expect(getSingle(temp.vos, { dkey: 'd', akey: 'c', epoch: 1 })).toBeNull();
    expect(listAll(temp.vos, { epoch: 1 })).toEqual(['d']);
    expect(temp.vos.usage().dataBytes).toBe(6000);
    putSingle(temp.vos, { dkey: 'd', akey: 'c', epoch: 1, value: Buffer.alloc(4000) });
    expect(temp.vos.usage().dataBytes).toBe(10_000);
  });

  it('capacity: space returns after punch + aggregation', () => {
    temp = openTempTarget({ capacityBytes: 20_000 });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: Buffer.alloc(16_384) });
    expect(derOf(() => putSingle(temp!.vos, { dkey: 'd', akey: 'b', epoch: 2, value: Buffer.alloc(8192) }))).toBe(Der.NOSPACE);
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(3) });
    temp.vos.aggregate({ retained: [], upTo: ep(3) });
    putSingle(temp.vos, { dkey: 'd', akey: 'b', epoch: 4, value: Buffer.alloc(8192) });
    expect(temp.vos.usage().dataBytes).toBe(8192);
  });

  it('destroyContainer: removes its data and frees its blob space, other containers untouched', () => {
    temp = openTempTarget();
    const other = { cont: 'other-cont', oid: oidOf(1), shard: 0 };
    for (let i = 0; i < 5; i++) {
      putSingle(temp.vos, { dkey: `d${i}`, akey: 'a', epoch: 1, value: Buffer.alloc(10_000, i), ref: { ...OBJ, oid: oidOf(i) } });
    }
    temp.vos.punch({ ...OBJ, oid: oidOf(9), dkey: key('x'), epoch: ep(2) });
    putSingle(temp.vos, { dkey: 'keep', akey: 'a', epoch: 1, value: 'kept', ref: other });
    const before = temp.vos.usage();
    temp.vos.destroyContainer(TEST_CONT);
    const after = temp.vos.usage();
    expect(after.dataBytes).toBe(4);
    expect(after.blobFreeBytes).toBe(before.blobFileBytes);
    expect(listAll(temp.vos, { epoch: EPOCH_MAX, ref: { ...OBJ, oid: oidOf(3) } })).toEqual([]);
    expect(temp.vos.queryMaxEpoch({ ...OBJ, oid: oidOf(3) })).toBe(0);
    expect(getText(temp.vos, { dkey: 'keep', akey: 'a', epoch: 1, ref: other })).toBe('kept');
    expect(temp.vos.exportSince({ sinceEpoch: ep(0), cursor: null, limit: 100 }).records).toHaveLength(1);
    putSingle(temp.vos, { dkey: 'n', akey: 'a', epoch: 3, value: Buffer.alloc(10_000, 1) });
    expect(temp.vos.usage().blobFileBytes).toBe(before.blobFileBytes);
  });
});
