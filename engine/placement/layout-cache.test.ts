import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUniformPoolMap } from '../pool-map/build.js';
import { withRankState } from '../pool-map/pool-map.js';
import { LAYOUT_CACHE_ENTRIES_MAX, LayoutCache } from './layout-cache.js';
import { OBJ_CLASSES } from './object-class.js';
import { type Oid, ObjType } from './oid.js';
import { computeLayout, generateOid } from './placement.js';

const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
const oidOf = (lo: number): Oid => generateOid(map, { type: ObjType.MULTI_LEXICAL, cls: OBJ_CLASSES.RP_2G1, userHi: 0, lo: BigInt(lo) });

describe('LayoutCache', () => {
  it('layout: miss then hit -> computed once, same object returned', () => {
    const cache = new LayoutCache(4);
    const first = cache.layout(map, oidOf(1));
    expect(first).toEqual(computeLayout(map, oidOf(1)));
    expect(cache.layout(map, oidOf(1))).toBe(first);
    expect(cache.size).toBe(1);
  });

  it('layout: new map version -> recomputed for that version, old entry kept apart', () => {
    const cache = new LayoutCache(4);
    const next = withRankState(map, 0, 'DOWN');
    const old = cache.layout(map, oidOf(1));
    const fresh = cache.layout(next, oidOf(1));
    expect(fresh.version).toBe(next.version);
    expect(cache.get(oidOf(1), map.version)).toBe(old);
    expect(cache.size).toBe(2);
  });

  it('set: past capacity -> least recently used entry evicted', () => {
    const cache = new LayoutCache(2);
    cache.layout(map, oidOf(1));
    cache.layout(map, oidOf(2));
    cache.get(oidOf(1), map.version);
    cache.layout(map, oidOf(3));
    expect(cache.get(oidOf(2), map.version)).toBeUndefined();
    expect(cache.get(oidOf(1), map.version)).toBeDefined();
    expect(cache.get(oidOf(3), map.version)).toBeDefined();
  });

  it('layout: any access sequence -> size never exceeds capacity, hits equal fresh layouts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat({ max: 20 }), { maxLength: 100 }), (capacity, accesses) => {
        const cache = new LayoutCache(capacity);
        for (const lo of accesses) {
          expect(cache.layout(map, oidOf(lo))).toEqual(computeLayout(map, oidOf(lo)));
          expect(cache.size).toBeLessThanOrEqual(capacity);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('constructor: capacity 0 or above the limit -> assertion; clear -> empty', () => {
    expect(() => new LayoutCache(0)).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    expect(() => new LayoutCache(LAYOUT_CACHE_ENTRIES_MAX + 1)).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    const cache = new LayoutCache();
    cache.layout(map, oidOf(1));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.capacity).toBe(LAYOUT_CACHE_ENTRIES_MAX);
  });
});
