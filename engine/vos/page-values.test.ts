import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import type { FetchIod, ListValuesResult, PunchOp, UpdateIod, UpdateOp } from './operation.js';
import { OBJ, derOf, ep, key, openTempTarget, putArray, putSingle, type TempTarget } from './test-harness.js';
import type { VosTarget } from './vos-target.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

const IODS: FetchIod[] = [
  { akey: key('i'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 12 }, { index: 8, count: 16 }] },
  { akey: key('s'), type: 'single' },
];

/** Every page of a with-values listing, and the same read key by key with fetch and listAkeys. */
function bothWays(vos: VosTarget, ref: typeof OBJ, epoch: number, limit: number, akeysLimit: number): { paged: ListValuesResult; keyByKey: ListValuesResult } {
  const paged: Required<ListValuesResult> = { keys: [], anchor: null, values: [], akeys: [] };
  let anchor: Buffer | null = null;
  do {
    const page = vos.listDkeysWithValues({ ...ref, epoch: ep(epoch), anchor, limit, iods: IODS, akeysLimit });
    expect(page.keys.length).toBeLessThanOrEqual(limit);
    expect(page.values?.length).toBe(page.keys.length);
    expect(page.akeys?.length).toBe(page.keys.length);
    paged.keys.push(...page.keys);
    paged.values.push(...page.values!);
    paged.akeys.push(...page.akeys!);
    anchor = page.anchor;
  } while (anchor !== null);
  const keys: Buffer[] = [];
  anchor = null;
  do {
    const page = vos.listDkeys({ ...ref, epoch: ep(epoch), anchor, limit });
    keys.push(...page.keys);
    anchor = page.anchor;
  } while (anchor !== null);
  const keyByKey = {
    keys,
    anchor: null,
    values: keys.map((dkey) => vos.fetch({ ...ref, dkey, epoch: ep(epoch), iods: IODS })),
    akeys: keys.map((dkey) => vos.listAkeys({ ...ref, dkey, epoch: ep(epoch), anchor: null, limit: akeysLimit }).keys),
  };
  return { paged, keyByKey };
}

describe('vos dkey listing with values (page-values.ts)', () => {
  it('property: every page equals listDkeys + fetch + listAkeys key by key, at every epoch, whatever was written and punched', () => {
    const dkeys = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
    const singles = ['s', 'x:a', 'x:b'];
    const epoch = fc.integer({ min: 1, max: 12 });
    const dkey = fc.integer({ min: 0, max: dkeys.length - 1 });
    const single = fc.integer({ min: 0, max: singles.length - 1 });
    const command = fc.oneof(
      { weight: 4, arbitrary: fc.record({ t: fc.constant('single' as const), dkey, single, epoch, value: fc.string({ maxLength: 3 }) }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('array' as const), dkey, epoch, index: fc.integer({ min: 0, max: 30 }), count: fc.integer({ min: 1, max: 10 }), punch: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('punchObject' as const), epoch }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('punchDkey' as const), dkey, epoch }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('punchAkey' as const), dkey, single, epoch }) },
    );
    let round = 0;
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (commands, limit, akeysLimit) => {
      const ref = { ...OBJ, shard: round++ };
      for (const [n, c] of commands.entries()) {
        const base = { ...ref, epoch: ep(c.epoch) };
        if (c.t === 'single' || c.t === 'array') {
          const iod: UpdateIod = c.t === 'single'
            ? { akey: key(singles[c.single]!), type: 'single', value: Buffer.from(c.value) }
            : { akey: key('i'), type: 'array', recordSize: 1, extents: [{ index: c.index, count: c.count }], data: c.punch ? null : Buffer.alloc(c.count, 0x41 + (n % 26)) };
          const op: UpdateOp = { ...base, dkey: key(dkeys[c.dkey]!), iods: [iod] };
          temp.vos.update(op);
          continue;
        }
        const op: PunchOp = c.t === 'punchObject' ? base
          : c.t === 'punchDkey' ? { ...base, dkey: key(dkeys[c.dkey]!) }
          : { ...base, dkey: key(dkeys[c.dkey]!), akeys: [key(singles[c.single]!)] };
        temp.vos.punch(op);
      }
      for (let at = 0; at <= 13; at++) {
        const { paged, keyByKey } = bothWays(temp.vos, ref, at, limit, akeysLimit);
        expect(paged, `epoch ${at}`).toEqual(keyByKey);
      }
    }), { numRuns: 300 });
  });

  it('a listed dkey whose akey holds the other kind -> DER_INVAL, as its fetch; an object never written -> an empty page', () => {
    putArray(temp.vos, { dkey: 'a', akey: 'i', epoch: 1, index: 0, count: 4, data: 'abcd' });
    putSingle(temp.vos, { dkey: 'b', akey: 'i', epoch: 1, value: 'single' });
    const op = { ...OBJ, epoch: ep(2), anchor: null, limit: 10, iods: IODS };
    expect(derOf(() => temp.vos.listDkeysWithValues(op))).toBe(Der.INVAL);
    expect(derOf(() => temp.vos.fetch({ ...OBJ, dkey: key('b'), epoch: ep(2), iods: IODS }))).toBe(Der.INVAL);
    expect(temp.vos.listDkeysWithValues({ ...op, shard: 7, akeysLimit: 2 })).toEqual({ keys: [], anchor: null, values: [], akeys: [] });
    // Without iods or akeysLimit, only the keys (as listDkeys).
    expect(temp.vos.listDkeysWithValues({ ...OBJ, epoch: ep(2), anchor: null, limit: 10 })).toEqual({ keys: [key('a'), key('b')], anchor: null });
  });

  it('a page of 1,024 dkeys: each one\'s own values and akeys', () => {
    for (let n = 0; n < 1024; n += 1) {
      temp.vos.update({ ...OBJ, dkey: key(`e${String(n).padStart(4, '0')}`), epoch: ep(1), iods: [
        { akey: key('i'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 24 }], data: Buffer.alloc(24, n & 0xff) },
        { akey: key(`x:${n % 3}`), type: 'single', value: Buffer.from(`v${n}`) },
      ] });
    }
    const page = temp.vos.listDkeysWithValues({ ...OBJ, epoch: ep(1), anchor: null, limit: 1024, iods: [...IODS, { akey: key('x:2'), type: 'single' }], akeysLimit: 3 });
    expect(page.keys.length).toBe(1024);
    expect(page.anchor).toBeNull();
    for (const n of [0, 5, 1023]) {
      expect(page.keys[n]!.toString()).toBe(`e${String(n).padStart(4, '0')}`);
      expect(page.values![n]).toEqual([
        { type: 'array', data: Buffer.alloc(28, n & 0xff), filled: 28 },
        { type: 'single', value: null },
        { type: 'single', value: n % 3 === 2 ? Buffer.from(`v${n}`) : null },
      ]);
      expect(page.akeys![n]!.map(String)).toEqual(['i', `x:${n % 3}`]);
    }
  });
});
