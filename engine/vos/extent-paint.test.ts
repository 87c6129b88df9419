import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paintExtents, type PaintExtent } from './extent-paint.js';
import { isNewer } from './stamp.js';

interface Named extends PaintExtent {
  name: string;
}

function extent(name: string, lo: number, hi: number, epoch: number, seq = 0): Named {
  return { name, lo, hi, epoch, seq };
}

function names(extents: Named[], range?: { lo: number; hi: number }): string[] {
  return paintExtents(extents, range).map((segment) => `${segment.lo}-${segment.hi}:${segment.source.name}`);
}

describe('extent-paint', () => {
  it('paint: newest covers older, older shows around it, holes omitted', () => {
    const extents = [extent('a', 0, 10, 1), extent('b', 3, 5, 2), extent('c', 12, 14, 1)];
    expect(names(extents)).toEqual(['0-3:a', '3-5:b', '5-10:a', '12-14:c']);
  });

  it('paint: same epoch -> higher seq wins', () => {
    expect(names([extent('late', 0, 4, 5, 9), extent('early', 2, 6, 5, 3)])).toEqual(['0-4:late', '4-6:early']);
  });

  it('paint: clipped to the range', () => {
    expect(names([extent('a', 0, 100, 1)], { lo: 10, hi: 20 })).toEqual(['10-20:a']);
    expect(names([extent('a', 0, 5, 1)], { lo: 10, hi: 20 })).toEqual([]);
  });

  it('paint: agrees with a per-record brute force on random extents', () => {
    const arb = fc.array(fc.record({ lo: fc.integer({ min: 0, max: 30 }), len: fc.integer({ min: 1, max: 12 }), epoch: fc.integer({ min: 1, max: 5 }) }), { maxLength: 20 });
    fc.assert(fc.property(arb, (raw) => {
      const extents = raw.map((r, seq) => extent(String(seq), r.lo, r.lo + r.len, r.epoch, seq));
      const painted = new Map<number, string>();
      for (const segment of paintExtents(extents, { lo: 0, hi: 45 })) {
        for (let record = segment.lo; record < segment.hi; record++) painted.set(record, segment.source.name);
      }
      for (let record = 0; record < 45; record++) {
        let best: Named | undefined;
        for (const e of extents) if (e.lo <= record && record < e.hi && (best === undefined || isNewer(e, best))) best = e;
        expect(painted.get(record)).toBe(best?.name);
      }
    }));
  });
});
