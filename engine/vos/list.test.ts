import crypto from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import type { PunchOp, UpdateOp } from './operation.js';
import { ReferenceModel } from './reference-model.js';
import { OBJ, ep, key, listAll, openTempTarget, putSingle, type TempTarget } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

function insertOp(dkey: Buffer, epoch: number): UpdateOp {
  return { ...OBJ, dkey, epoch: ep(epoch), iods: [{ akey: key('a'), type: 'single', value: Buffer.from('v') }] };
}

function insertAll(dkeys: Buffer[], epoch: number): void {
  for (let i = 0; i < dkeys.length; i += 256) {
    const results = temp.vos.runBatch(dkeys.slice(i, i + 256).map((dkey) => () => temp.vos.update(insertOp(dkey, epoch))));
    expect(results.every((result) => result.ok)).toBe(true);
  }
}

describe('vos listing', () => {
  it('list dkeys: byte (memcmp) order, not string or length order', () => {
    for (const dkey of [[0x62], [0x61, 0xff], [0x61], [0x00, 0x01], [0xff], [0x61, 0x00]]) {
      temp.vos.update(insertOp(Buffer.from(dkey), 1));
    }
    const listed = temp.vos.listDkeys({ ...OBJ, epoch: ep(1), anchor: null, limit: 100 });
    expect(listed.keys.map((k) => k.toString('hex'))).toEqual(['0001', '61', '6100', '61ff', '62', 'ff']);
    expect(listed.anchor).toBeNull();
  });

  it('list dkeys: 10,000 keys in pages of 100 under concurrent inserts and punches -> every stable key exactly once', () => {
    const random = (): Buffer => crypto.randomBytes(1 + crypto.randomInt(12));
    // Unique keys of varied lengths under one prefix, so stable and doomed keys interleave in the index.
    const unique = new Map<string, Buffer>();
    while (unique.size < 12_000) {
      const dkey = Buffer.concat([Buffer.from('s'), random()]);
      unique.set(dkey.toString('hex'), dkey);
    }
    const all = [...unique.values()];
    const stable = all.slice(0, 10_000);
    const doomed = all.slice(10_000);
    insertAll([...stable, ...doomed], 1);
    let epoch = 2;
    const returned: Buffer[] = [];
    let anchor: Buffer | null = null;
    let pages = 0;
    do {
      const page = temp.vos.listDkeys({ ...OBJ, epoch: EPOCH_MAX, anchor, limit: 100 });
      expect(page.keys.length).toBeLessThanOrEqual(100);
      returned.push(...page.keys);
      anchor = page.anchor;
      pages += 1;
      // Between pages: new keys land before and after the anchor, and doomed keys are punched.
      insertAll(Array.from({ length: 20 }, () => Buffer.concat([Buffer.from(crypto.randomInt(2) === 0 ? 'r' : 't'), random()])), epoch++);
      for (const dkey of doomed.splice(0, 15)) temp.vos.punch({ ...OBJ, dkey, epoch: ep(epoch++) });
    } while (anchor !== null);
    expect(pages).toBeGreaterThanOrEqual(100);
    for (let i = 1; i < returned.length; i++) expect(Buffer.compare(returned[i - 1]!, returned[i]!)).toBe(-1);
    const seen = new Set(returned.map((k) => k.toString('hex')));
    expect(stable.filter((k) => !seen.has(k.toString('hex')))).toEqual([]);
  });

  it('list dkeys: limit 1 pages through everything, and the last page has a null anchor', () => {
    for (const dkey of ['a', 'b', 'c']) putSingle(temp.vos, { dkey, akey: 'x', epoch: 1, value: 'v' });
    const first = temp.vos.listDkeys({ ...OBJ, epoch: ep(1), anchor: null, limit: 1 });
    expect(first.keys.map(String)).toEqual(['a']);
    expect(first.anchor?.toString()).toBe('a');
    expect(listAll(temp.vos, { epoch: 1, limit: 1 })).toEqual(['a', 'b', 'c']);
    const last = temp.vos.listDkeys({ ...OBJ, epoch: ep(1), anchor: key('b'), limit: 1 });
    expect(last).toEqual({ keys: [key('c')], anchor: null });
  });

  it('list: at an old epoch shows the keys of that snapshot', () => {
    putSingle(temp.vos, { dkey: 'old', akey: 'x', epoch: 1, value: 'v' });
    putSingle(temp.vos, { dkey: 'new', akey: 'x', epoch: 5, value: 'v' });
    putSingle(temp.vos, { dkey: 'old', akey: 'y', epoch: 5, value: 'v' });
    expect(listAll(temp.vos, { epoch: 1 })).toEqual(['old']);
    expect(listAll(temp.vos, { epoch: 5 })).toEqual(['new', 'old']);
    expect(listAll(temp.vos, { epoch: 1, dkey: 'old' })).toEqual(['x']);
    expect(listAll(temp.vos, { epoch: 5, dkey: 'old' })).toEqual(['x', 'y']);
  });

  it('list akeys: unknown object or dkey -> empty, anchor null', () => {
    expect(temp.vos.listAkeys({ ...OBJ, dkey: key('none'), epoch: ep(1), anchor: null, limit: 10 })).toEqual({ keys: [], anchor: null });
    expect(temp.vos.listDkeys({ ...OBJ, shard: 9, epoch: ep(1), anchor: null, limit: 10 })).toEqual({ keys: [], anchor: null });
  });

  it('list dkeys: property -> the visible dkeys of the reference model at every epoch, whatever was punched', () => {
    const dkeys = ['d0', 'd1', 'd2', 'd3', 'd4'];
    const akeys = ['a', 'b', 'c'];
    const epoch = fc.integer({ min: 1, max: 12 });
    const dkey = fc.integer({ min: 0, max: dkeys.length - 1 });
    const akey = fc.integer({ min: 0, max: akeys.length - 1 });
    const command = fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('update' as const), dkey, akey, epoch }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('punchObject' as const), epoch }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('punchDkey' as const), dkey, epoch }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('punchAkey' as const), dkey, akey, epoch }) },
    );
    let round = 0;
    fc.assert(fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (commands, limit) => {
      const ref = { ...OBJ, shard: round++ };
      const model = new ReferenceModel();
      for (const c of commands) {
        const base = { ...ref, epoch: ep(c.epoch) };
        if (c.t === 'update') {
          const op: UpdateOp = { ...base, dkey: key(dkeys[c.dkey]!), iods: [{ akey: key(akeys[c.akey]!), type: 'single', value: Buffer.from('v') }] };
          temp.vos.update(op);
          model.update(op);
          continue;
        }
        const op: PunchOp = c.t === 'punchObject' ? base
          : c.t === 'punchDkey' ? { ...base, dkey: key(dkeys[c.dkey]!) }
          : { ...base, dkey: key(dkeys[c.dkey]!), akeys: [key(akeys[c.akey]!)] };
        temp.vos.punch(op);
        model.punch(op);
      }
      for (let at = 0; at <= 13; at++) {
        const expected = model.listDkeys(ref, at).map(String);
        expect(listAll(temp.vos, { ref, epoch: at, limit }), `epoch ${at}`).toEqual(expected);
      }
    }), { numRuns: 300 });
  });
});
