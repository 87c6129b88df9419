import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der } from '../wire/errors.js';
import { OBJ, ep, getArray, getText, key, listAll, openTempTarget, putArray, putSingle, type TempTarget, derOf } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());


function seed(): void {
  putSingle(temp.vos, { dkey: 'd1', akey: 'a', epoch: 10, value: 'd1a' });
  putSingle(temp.vos, { dkey: 'd1', akey: 'b', epoch: 10, value: 'd1b' });
  putSingle(temp.vos, { dkey: 'd2', akey: 'a', epoch: 10, value: 'd2a' });
}

describe('vos punch', () => {
  it('punch object: hides everything at and after its epoch, snapshots before still read', () => {
    seed();
    temp.vos.punch({ ...OBJ, epoch: ep(20) });
    expect(getText(temp.vos, { dkey: 'd1', akey: 'a', epoch: 20 })).toBeNull();
    expect(getText(temp.vos, { dkey: 'd2', akey: 'a', epoch: EPOCH_MAX })).toBeNull();
    expect(listAll(temp.vos, { epoch: 25 })).toEqual([]);
    expect(getText(temp.vos, { dkey: 'd1', akey: 'a', epoch: 19 })).toBe('d1a');
    expect(listAll(temp.vos, { epoch: 19 })).toEqual(['d1', 'd2']);
  });

  it('punch dkey: hides only that dkey; other dkeys unaffected', () => {
    seed();
    temp.vos.punch({ ...OBJ, dkey: key('d1'), epoch: ep(20) });
    expect(getText(temp.vos, { dkey: 'd1', akey: 'b', epoch: 20 })).toBeNull();
    expect(getText(temp.vos, { dkey: 'd2', akey: 'a', epoch: 20 })).toBe('d2a');
    expect(listAll(temp.vos, { epoch: 20 })).toEqual(['d2']);
    expect(listAll(temp.vos, { epoch: 15 })).toEqual(['d1', 'd2']);
  });

  it('punch akeys: hides the listed akeys; the dkey stays while another akey is visible', () => {
    seed();
    temp.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('a')], epoch: ep(20) });
    expect(getText(temp.vos, { dkey: 'd1', akey: 'a', epoch: 20 })).toBeNull();
    expect(getText(temp.vos, { dkey: 'd1', akey: 'b', epoch: 20 })).toBe('d1b');
    expect(listAll(temp.vos, { epoch: 20, dkey: 'd1' })).toEqual(['b']);
    temp.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('b')], epoch: ep(21) });
    expect(listAll(temp.vos, { epoch: 21 })).toEqual(['d2']);
    expect(listAll(temp.vos, { epoch: 20 })).toEqual(['d1', 'd2']);
  });

  it('punch: a key written again after the punch is visible again, with only the new value', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 10, index: 0, count: 4, data: 'abcd' });
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(20) });
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 30, index: 2, count: 1, data: 'X' });
    expect([...getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 30, index: 0, count: 4 })]).toEqual([0, 0, 88, 0]);
    expect(getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 15, index: 0, count: 4 }).toString()).toBe('abcd');
    expect(listAll(temp.vos, { epoch: 25 })).toEqual([]);
    expect(listAll(temp.vos, { epoch: 30 })).toEqual(['d']);
  });

  it('punch extent: records in range read as zeros from its epoch on, not before', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 10, index: 0, count: 8, data: 'abcdefgh' });
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 20, index: 2, count: 3, data: null });
    expect([...getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 20, index: 0, count: 8 })]).toEqual([97, 98, 0, 0, 0, 102, 103, 104]);
    expect(getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 19, index: 0, count: 8 }).toString()).toBe('abcdefgh');
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 30, index: 3, count: 1, data: 'Z' });
    expect([...getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 30, index: 2, count: 3 })]).toEqual([0, 90, 0]);
  });

  it('punch and update at the same epoch: ordered by arrival', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 5, value: 'first' });
    temp.vos.punch({ ...OBJ, dkey: key('d'), akeys: [key('a')], epoch: ep(5) });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBeNull();
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 5, value: 'again' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBe('again');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 4 })).toBeNull();
  });

  it('punch: arriving before an older update still hides it (punch of a never-written key)', () => {
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(20) });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 10, value: 'late' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 15 })).toBe('late');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 20 })).toBeNull();
  });

  it('punch ifExists: absent object/dkey/akey -> DER_NONEXIST and nothing punched', () => {
    expect(derOf(() => temp.vos.punch({ ...OBJ, epoch: ep(5), ifExists: true }))).toBe(Der.NONEXIST);
    seed();
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('nope'), epoch: ep(20), ifExists: true }))).toBe(Der.NONEXIST);
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('a'), key('zz')], epoch: ep(20), ifExists: true }))).toBe(Der.NONEXIST);
    expect(getText(temp.vos, { dkey: 'd1', akey: 'a', epoch: 20 })).toBe('d1a');
    temp.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('a')], epoch: ep(20), ifExists: true });
    expect(getText(temp.vos, { dkey: 'd1', akey: 'a', epoch: 20 })).toBeNull();
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('a')], epoch: ep(21), ifExists: true }))).toBe(Der.NONEXIST);
    temp.vos.punch({ ...OBJ, epoch: ep(22), ifExists: true });
    expect(derOf(() => temp.vos.punch({ ...OBJ, epoch: ep(23), ifExists: true }))).toBe(Der.NONEXIST);
  });

  it('punch ifMatch: the dkey goes only while the array akey holds the records; otherwise DER_NONEXIST, nothing punched', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 10, index: 0, count: 6, data: 'abcdef' });
    putSingle(temp.vos, { dkey: 'd', akey: 's', epoch: 10, value: 'v' });
    const match = (data: string) => ({ akey: key('arr'), recordSize: 1, extents: [{ index: 1, count: 2 }, { index: 4, count: 1 }], data: key(data) });
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(20), ifMatch: match('bcf') }))).toBe(Der.NONEXIST);
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('other'), epoch: ep(20), ifMatch: match('bce') }))).toBe(Der.NONEXIST);
    expect(getText(temp.vos, { dkey: 'd', akey: 's', epoch: 20 })).toBe('v');
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(21), ifMatch: match('bce') });
    expect(listAll(temp.vos, { epoch: 21 })).toEqual([]);
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(22), ifMatch: match('bce') }))).toBe(Der.NONEXIST);
    // Holes are not records held, even where their zeros equal the data asked for.
    putArray(temp.vos, { dkey: 'h', akey: 'arr', epoch: 10, index: 0, count: 2, data: 'ab' });
    const holes = { akey: key('arr'), recordSize: 1, extents: [{ index: 0, count: 4 }], data: Buffer.from('ab\0\0') };
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('h'), epoch: ep(22), ifMatch: holes }))).toBe(Der.NONEXIST);
    expect(getArray(temp.vos, { dkey: 'h', akey: 'arr', epoch: 22, index: 0, count: 2 }).toString()).toBe('ab');
    // Malformed: no dkey, or data that is not the extents' records.
    expect(derOf(() => temp.vos.punch({ ...OBJ, epoch: ep(23), ifMatch: match('bce') }))).toBe(Der.INVAL);
    expect(derOf(() => temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(23), ifMatch: match('bc') }))).toBe(Der.INVAL);
  });

  it('punch: akeys without a dkey -> DER_INVAL', () => {
    expect(derOf(() => temp.vos.punch({ ...OBJ, akeys: [key('a')], epoch: ep(1) }))).toBe(Der.INVAL);
  });

  it('queryMaxEpoch: newest epoch of any update or punch in the shard', () => {
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(0);
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 12, value: 'x' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 7, value: 'y' });
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(12);
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(40) });
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(40);
    expect(temp.vos.queryMaxEpoch({ ...OBJ, shard: 3 })).toBe(0);
  });
});
