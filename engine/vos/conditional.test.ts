import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import type { UpdateOp } from './operation.js';
import { OBJ, ep, getArray, getText, key, listAll, openTempTarget, putArray, putSingle, type TempTarget, derOf } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());


function update(dkey: string, akeys: Record<string, string>, epoch: number, conditions: Pick<UpdateOp, 'dkeyCond' | 'akeyCond'> = {}): void {
  temp.vos.update({
    ...OBJ,
    dkey: key(dkey),
    epoch: ep(epoch),
    iods: Object.entries(akeys).map(([akey, value]) => ({ akey: key(akey), type: 'single' as const, value: Buffer.from(value) })),
    ...conditions,
  });
}

describe('vos conditionals', () => {
  it('dkey insert: absent -> stored; present -> DER_EXIST and nothing changes', () => {
    update('d', { a: 'one' }, 1, { dkeyCond: 'insert' });
    expect(derOf(() => update('d', { a: 'two', b: 'new' }, 2, { dkeyCond: 'insert' }))).toBe(Der.EXIST);
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBe('one');
    expect(listAll(temp.vos, { epoch: 5, dkey: 'd' })).toEqual(['a']);
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(1);
  });

  it('dkey insert: allowed again after the dkey is punched', () => {
    update('d', { a: 'one' }, 1);
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(2) });
    update('d', { a: 'two' }, 3, { dkeyCond: 'insert' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 3 })).toBe('two');
  });

  it('dkey update: absent -> DER_NONEXIST and nothing stored; present -> stored', () => {
    expect(derOf(() => update('d', { a: 'x' }, 1, { dkeyCond: 'update' }))).toBe(Der.NONEXIST);
    expect(listAll(temp.vos, { epoch: 10 })).toEqual([]);
    update('d', { a: 'one' }, 2);
    update('d', { a: 'two' }, 3, { dkeyCond: 'update' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 3 })).toBe('two');
  });

  it('akey insert/update: checked per akey; one failing akey stores none of the op', () => {
    update('d', { a: 'one' }, 1);
    expect(derOf(() => update('d', { b: 'new', a: 'dup' }, 2, { akeyCond: 'insert' }))).toBe(Der.EXIST);
    expect(getText(temp.vos, { dkey: 'd', akey: 'b', epoch: 5 })).toBeNull();
    expect(derOf(() => update('d', { a: 'upd', c: 'missing' }, 3, { akeyCond: 'update' }))).toBe(Der.NONEXIST);
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBe('one');
    update('d', { b: 'new' }, 4, { akeyCond: 'insert' });
    update('d', { a: 'upd' }, 4, { akeyCond: 'update' });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBe('upd');
    expect(getText(temp.vos, { dkey: 'd', akey: 'b', epoch: 5 })).toBe('new');
  });

  it('akey update: on an absent dkey -> DER_NONEXIST', () => {
    expect(derOf(() => update('none', { a: 'x' }, 1, { akeyCond: 'update' }))).toBe(Der.NONEXIST);
  });

  it('conditionals: checked against the newest state, not the op epoch', () => {
    update('d', { a: 'future' }, 100);
    expect(derOf(() => update('d', { a: 'past' }, 50, { dkeyCond: 'insert' }))).toBe(Der.EXIST);
  });

  it('fetch exists: absent or punched dkey -> DER_NONEXIST; present -> values', () => {
    const fetch = (dkey: string, epoch: number): unknown =>
      temp.vos.fetch({ ...OBJ, dkey: key(dkey), epoch: ep(epoch), dkeyCond: 'exists', iods: [{ akey: key('a'), type: 'single' }] });
    expect(derOf(() => fetch('d', 1))).toBe(Der.NONEXIST);
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 5, value: 'v' });
    expect(derOf(() => fetch('d', 4))).toBe(Der.NONEXIST);
    expect(fetch('d', 5)).toEqual([{ type: 'single', value: Buffer.from('v') }]);
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(6) });
    expect(derOf(() => fetch('d', 6))).toBe(Der.NONEXIST);
    expect(fetch('d', 5)).toEqual([{ type: 'single', value: Buffer.from('v') }]);
  });

  it('update ifMatch: written only while the array akey holds the records; otherwise DER_NONEXIST, nothing written', () => {
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 10, index: 0, count: 6, data: 'abcdef' });
    const match = (data: string) => ({ akey: key('arr'), recordSize: 1, extents: [{ index: 1, count: 2 }, { index: 4, count: 1 }], data: key(data) });
    const write = (dkey: string, epoch: number, data: string, ifMatch: ReturnType<typeof match>): void => temp.vos.update({
      ...OBJ, dkey: key(dkey), epoch: ep(epoch), ifMatch,
      iods: [{ akey: key('arr'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 1 }], data: Buffer.from(data) }, { akey: key('s'), type: 'single', value: Buffer.from(data) }],
    });
    expect(derOf(() => write('d', 20, 'X', match('bcf')))).toBe(Der.NONEXIST);
    expect(derOf(() => write('other', 20, 'X', match('bce')))).toBe(Der.NONEXIST);
    expect(getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 20, index: 0, count: 6 }).toString()).toBe('abcdef');
    expect(listAll(temp.vos, { epoch: 20 })).toEqual(['d']);
    write('d', 21, 'Y', match('bce'));
    expect(getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 21, index: 0, count: 6 }).toString()).toBe('Ybcdef');
    expect(getText(temp.vos, { dkey: 'd', akey: 's', epoch: 21 })).toBe('Y');
    // The records compared are the newest ones: record 4 rewritten since.
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 22, index: 4, count: 1, data: 'E' });
    expect(derOf(() => write('d', 23, 'Z', match('bce')))).toBe(Der.NONEXIST);
    expect(derOf(() => write('d', 23, 'Z', { ...match('bce'), data: key('bc') }))).toBe(Der.INVAL);
    expect(temp.vos.queryMaxEpoch(OBJ)).toBe(22);
  });
});
