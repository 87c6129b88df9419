import { describe, expect, it } from 'vitest';
import { objClassByName } from '../placement/object-class.js';
import { ObjType, type Oid, makeOid } from '../placement/oid.js';
import type { FetchValueBody } from '../wire/rpc/obj.js';
import type { TxBufferedOp } from './tx-ops.js';
import { overlayDkeys, overlayFetch } from './tx-overlay.js';

const b = (text: string): Buffer => Buffer.from(text);
const objectA: Oid = makeOid({ type: ObjType.MULTI_LEXICAL, cls: objClassByName('S1'), groupCount: 1, userHi: 1, lo: 1n });
const objectB: Oid = makeOid({ type: ObjType.MULTI_LEXICAL, cls: objClassByName('S1'), groupCount: 1, userHi: 1, lo: 2n });

function put(oid: Oid, dkey: string, akey: string, text: string): TxBufferedOp {
  return { type: 'update', oid, dkey: b(dkey), iods: [{ type: 'single', akey: b(akey), value: b(text) }] };
}

function resolveSingle(ops: TxBufferedOp[], oid: Oid, dkey: string, akey: string, stored: string | null): string | null {
  const [overlay] = overlayFetch(ops, oid, b(dkey), [{ type: 'single', akey: b(akey) }]);
  const value = overlay!.source === 'buffer' ? overlay!.value : overlay!.apply({ type: 'single', value: stored === null ? null : b(stored) });
  return value.type === 'single' ? value.value?.toString() ?? null : 'array?';
}

describe('tx overlay: single values', () => {
  it('overlay: no buffered write -> the stored value', () => {
    const [overlay] = overlayFetch([put(objectB, 'k', 'v', 'x')], objectA, b('k'), [{ type: 'single', akey: b('v') }]);
    expect(overlay!.source).toBe('store');
    expect(resolveSingle([], objectA, 'k', 'v', 'old')).toBe('old');
  });

  it('overlay: own update wins, newest first', () => {
    const ops = [put(objectA, 'k', 'v', 'one'), put(objectA, 'k', 'v', 'two')];
    expect(overlayFetch(ops, objectA, b('k'), [{ type: 'single', akey: b('v') }])[0]!.source).toBe('buffer');
    expect(resolveSingle(ops, objectA, 'k', 'v', 'old')).toBe('two');
  });

  it('overlay: dkey, akey and object punches -> absent; an update after the punch -> its value', () => {
    expect(resolveSingle([put(objectA, 'k', 'v', 'one'), { type: 'punch', oid: objectA, dkey: b('k') }], objectA, 'k', 'v', 'old')).toBeNull();
    expect(resolveSingle([{ type: 'punch', oid: objectA, dkey: b('k'), akeys: [b('v')] }], objectA, 'k', 'v', 'old')).toBeNull();
    expect(resolveSingle([{ type: 'punch', oid: objectA, dkey: b('k'), akeys: [b('w')] }], objectA, 'k', 'v', 'old')).toBe('old');
    expect(resolveSingle([{ type: 'punch', oid: objectA }], objectA, 'k', 'v', 'old')).toBeNull();
    expect(resolveSingle([{ type: 'punch', oid: objectA }, put(objectA, 'k', 'v', 'new')], objectA, 'k', 'v', 'old')).toBe('new');
  });

  it('overlay: other dkeys and akeys untouched', () => {
    const ops = [put(objectA, 'k', 'v', 'one'), { type: 'punch' as const, oid: objectA, dkey: b('j') }];
    expect(resolveSingle(ops, objectA, 'k', 'w', 'kept')).toBe('kept');
    expect(resolveSingle(ops, objectA, 'l', 'v', 'kept')).toBe('kept');
  });
});

describe('tx overlay: arrays', () => {
  const fetch = { type: 'array' as const, akey: b('d'), recordSize: 1, extents: [{ index: 0, count: 4 }, { index: 8, count: 2 }] };
  const write = (index: number, text: string | null, count = text?.length ?? 1): TxBufferedOp => ({
    type: 'update', oid: objectA, dkey: b('c'),
    iods: [{ type: 'array', akey: b('d'), recordSize: 1, extents: [{ index, count }], data: text === null ? null : b(text) }],
  });
  const read = (ops: TxBufferedOp[], stored: string): string => {
    const [overlay] = overlayFetch(ops, objectA, b('c'), [fetch]);
    const value: FetchValueBody = overlay!.source === 'buffer' ? overlay!.value : overlay!.apply({ type: 'array', data: b(stored) });
    return value.type === 'array' ? value.data.toString('latin1').replaceAll('\0', '.') : 'single?';
  };

  it('overlay: buffered extents painted over the stored records, in order', () => {
    expect(read([write(2, 'XYZ'), write(3, 'Q')], 'abcdef')).toBe('abXQef');
    expect(read([write(7, 'MNO')], 'abcdef')).toBe('abcdNO');
  });

  it('overlay: extent punch -> zeros; akey punch -> zeros plus later writes, stored data unused', () => {
    expect(read([write(1, null, 2)], 'abcdef')).toBe('a..def');
    const punched: TxBufferedOp[] = [{ type: 'punch', oid: objectA, dkey: b('c'), akeys: [b('d')] }, write(9, 'Z')];
    expect(overlayFetch(punched, objectA, b('c'), [fetch])[0]!.source).toBe('buffer');
    expect(read(punched, 'abcdef')).toBe('.....Z');
  });
});

describe('tx overlay: dkey listing', () => {
  it('listing: punched dkeys dropped, written ones added in byte order, rewrites after punch kept', () => {
    const ops: TxBufferedOp[] = [
      put(objectA, 'z', 'v', '1'), put(objectA, 'm', 'v', '1'), { type: 'punch', oid: objectA, dkey: b('b') },
      { type: 'punch', oid: objectA, dkey: b('c'), akeys: [b('v')] }, { type: 'punch', oid: objectA, dkey: b('d') }, put(objectA, 'd', 'v', '2'),
      put(objectB, 'q', 'v', '1'),
    ];
    expect(overlayDkeys(ops, objectA, [b('a'), b('b'), b('c'), b('d')]).map(String)).toEqual(['a', 'c', 'd', 'm', 'z']);
  });

  it('listing: object punch drops every stored dkey', () => {
    expect(overlayDkeys([{ type: 'punch', oid: objectA }, put(objectA, 'n', 'v', '1')], objectA, [b('a')]).map(String)).toEqual(['n']);
  });
});
