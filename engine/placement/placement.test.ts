import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPoolMap, buildUniformPoolMap } from '../pool-map/build.js';
import type { PoolMap } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';
import { OBJ_CLASSES, type ObjClassName } from './object-class.js';
import { makeOid, type Oid, ObjType } from './oid.js';
import { computeLayout, dkeyGroup, generateOid, groupShards, type ObjectLayout } from './placement.js';

const CLASS_NAMES: readonly ObjClassName[] = ['S1', 'S2', 'SX', 'RP_2G1', 'RP_3G1', 'RP_2GX', 'RP_3GX'];

function oidOf(map: PoolMap, cls: ObjClassName, lo: bigint, userHi = 0): Oid {
  return generateOid(map, { type: ObjType.MULTI_LEXICAL, cls: OBJ_CLASSES[cls], userHi, lo });
}

function domainOf(map: PoolMap, rank: number): string {
  const entry = map.ranks.find((candidate) => candidate.rank === rank);
  if (entry === undefined) throw new Error(`rank ${rank} not in map`);
  return entry.faultDomain;
}

/** A pool of `hosts` fault domains with `ranksPerHost` ranks of `targets` targets each. */
function multiRankHosts(hosts: number, ranksPerHost: number, targets: number): PoolMap {
  const ranks = Array.from({ length: hosts * ranksPerHost }, (_, rank) => ({
    rank,
    address: `host${Math.floor(rank / ranksPerHost)}:${9000 + rank}`,
    targets,
  }));
  return buildPoolMap({ version: 1, ranks });
}

const poolShape = fc.record({ rankCount: fc.integer({ min: 3, max: 9 }), targetsPerRank: fc.integer({ min: 1, max: 6 }) });
const objectSpec = fc.record({
  cls: fc.constantFrom(...CLASS_NAMES),
  lo: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
  userHi: fc.nat({ max: 0xffff_ffff }),
});

function checkShape(layout: ObjectLayout): void {
  expect(layout.shards).toHaveLength(layout.groupCount * layout.groupSize);
  layout.shards.forEach((shard, index) => {
    expect(shard.shard).toBe(index);
    expect(shard.group).toBe(Math.floor(index / layout.groupSize));
  });
}

describe('computeLayout', () => {
  it('computeLayout: same map and oid, also after a JSON round trip or reordered ranks -> same layout', () => {
    fc.assert(
      fc.property(poolShape, objectSpec, (shape, spec) => {
        const map = buildUniformPoolMap(shape);
        const oid = oidOf(map, spec.cls, spec.lo, spec.userHi);
        const layout = computeLayout(map, oid);
        const roundTripped = JSON.parse(JSON.stringify(map)) as PoolMap;
        const reordered: PoolMap = { ...map, ranks: [...map.ranks].reverse() };
        expect(computeLayout(map, oid)).toEqual(layout);
        expect(computeLayout(roundTripped, oid)).toEqual(layout);
        expect(computeLayout(reordered, oid)).toEqual(layout);
      }),
      { numRuns: 200 },
    );
  });

  it('computeLayout: healthy pool -> group replicas in distinct domains, distinct targets, all healthy', () => {
    const maps = [multiRankHosts(4, 2, 3), multiRankHosts(3, 3, 2)];
    fc.assert(
      fc.property(fc.oneof(poolShape.map(buildUniformPoolMap), fc.constantFrom(...maps)), objectSpec, (map, spec) => {
        const layout = computeLayout(map, oidOf(map, spec.cls, spec.lo, spec.userHi));
        checkShape(layout);
        for (let group = 0; group < layout.groupCount; group++) {
          const domains = groupShards(layout, group).map((shard) => domainOf(map, shard.rank));
          expect(new Set(domains).size).toBe(layout.groupSize);
        }
        const targets = new Set(layout.shards.map((shard) => `${shard.rank}:${shard.target}`));
        expect(targets.size).toBe(layout.shards.length);
        expect(layout.shards.every((shard) => shard.status === 'healthy')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('computeLayout: more shards than targets -> reuses targets, groups still span distinct domains', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
    const oid = makeOid({ type: ObjType.MULTI_LEXICAL, cls: OBJ_CLASSES.RP_3GX, groupCount: 5, userHi: 0, lo: 42n });
    const layout = computeLayout(map, oid);
    checkShape(layout);
    for (let group = 0; group < 5; group++) {
      expect(new Set(groupShards(layout, group).map((shard) => shard.rank)).size).toBe(3);
    }
    // The first 6 shards use each target once before any target is reused.
    expect(new Set(layout.shards.slice(0, 6).map((shard) => `${shard.rank}:${shard.target}`)).size).toBe(6);
  });

  it('computeLayout: NEW targets -> hold nothing and change nothing', () => {
    const base = buildUniformPoolMap({ rankCount: 4, targetsPerRank: 3 });
    const extra = { rank: 4 as PoolMap['ranks'][number]['rank'], faultDomain: 'rank4', address: '127.0.0.1:20004' };
    const extended: PoolMap = {
      version: base.version,
      ranks: [...base.ranks, { ...extra, targets: [0, 1, 2].map((index) => ({ index, state: 'NEW' as const, fseq: 0 })) }],
    };
    for (let lo = 0n; lo < 300n; lo++) {
      const oid = oidOf(base, 'RP_3GX', lo);
      expect(computeLayout(extended, oid)).toEqual(computeLayout(base, oid));
    }
  });

  it('computeLayout: group wider than the fault domains -> DER_INVAL', () => {
    const wide = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
    const narrow = buildPoolMap({ version: 1, ranks: [0, 1].map((rank) => ({ rank, address: `h${rank}:1`, targets: 4 })) });
    const error = (() => {
      try {
        computeLayout(narrow, oidOf(wide, 'RP_3G1', 1n));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).der).toBe(Der.INVAL);
  });

  it('computeLayout: map with only NEW targets -> DER_INVAL', () => {
    const map = buildPoolMap({ version: 1, ranks: [{ rank: 0, address: 'h:1', targets: ['NEW', 'NEW'] }] });
    const oid = makeOid({ type: ObjType.MULTI_LEXICAL, cls: OBJ_CLASSES.S1, groupCount: 1, userHi: 0, lo: 1n });
    expect(() => computeLayout(map, oid)).toThrow(expect.objectContaining({ der: Der.INVAL }));
  });

  it('generateOid: RP_3GX on 3 ranks x 4 targets -> 4 groups of 3', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 4 });
    const layout = computeLayout(map, oidOf(map, 'RP_3GX', 9n));
    expect([layout.groupCount, layout.groupSize, layout.version]).toEqual([4, 3, 1]);
  });
});

describe('groupShards', () => {
  it('groupShards: group g -> shards g*size .. g*size+size-1; out of range -> assertion', () => {
    const map = buildUniformPoolMap({ rankCount: 4, targetsPerRank: 2 });
    const layout = computeLayout(map, oidOf(map, 'RP_2GX', 5n));
    expect(groupShards(layout, 2).map((shard) => shard.shard)).toEqual([4, 5]);
    expect(() => groupShards(layout, layout.groupCount)).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
  });
});

describe('dkeyGroup', () => {
  // Chi-square critical values at p = 0.001 for (groups - 1) degrees of freedom.
  const CHI_SQUARE_CRITICAL: ReadonlyMap<number, number> = new Map([
    [2, 10.83],
    [7, 22.46],
    [12, 31.26],
    [64, 103.4],
  ]);

  function chiSquare(counts: readonly number[], total: number): number {
    const expected = total / counts.length;
    return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
  }

  it.each([...CHI_SQUARE_CRITICAL])('dkeyGroup: 100k dkeys over %d groups -> uniform (chi-square < %d)', (groups, critical) => {
    const names = new Array<number>(groups).fill(0);
    const indexes = new Array<number>(groups).fill(0);
    const index = Buffer.alloc(8);
    const total = 100_000;
    for (let i = 0; i < total; i++) {
      names[dkeyGroup(Buffer.from(`file-${i}.dat`), groups)]! += 1;
      index.writeBigUInt64LE(BigInt(i));
      indexes[dkeyGroup(index, groups)]! += 1;
    }
    expect(chiSquare(names, total)).toBeLessThan(critical);
    expect(chiSquare(indexes, total)).toBeLessThan(critical);
  });

  it('dkeyGroup: any dkey -> group in range, deterministic; one group -> 0', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 0xffff }), (dkey, groups) => {
        const group = dkeyGroup(dkey, groups);
        expect(group >= 0 && group < groups).toBe(true);
        expect(dkeyGroup(Uint8Array.from(dkey), groups)).toBe(group);
      }),
    );
    expect(dkeyGroup(new Uint8Array([1, 2, 3]), 1)).toBe(0);
  });
});

describe('placement timing', () => {
  function nsPerCall(calls: number, run: (i: number) => void): number {
    for (let i = 0; i < calls / 10; i++) run(i);
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run(i);
    return Number(process.hrtime.bigint() - start) / calls;
  }

  it('timing: computeLayout and dkeyGroup -> logged per call (no assertion)', () => {
    const map = buildUniformPoolMap({ rankCount: 8, targetsPerRank: 4 });
    const oids = (cls: ObjClassName): Oid[] => Array.from({ length: 1024 }, (_, i) => oidOf(map, cls, BigInt(i)));
    const results: Record<string, string> = {};
    for (const cls of ['S1', 'RP_3G1', 'RP_2GX'] as const) {
      const batch = oids(cls);
      results[`computeLayout ${cls} 8x4`] = `${(nsPerCall(20_000, (i) => computeLayout(map, batch[i % 1024]!)) / 1000).toFixed(2)} us`;
    }
    const chunks = Array.from({ length: 1024 }, (_, i) => new Uint8Array(new BigUint64Array([BigInt(i)]).buffer));
    const names = Array.from({ length: 1024 }, (_, i) => new TextEncoder().encode(`a-typical-file-${String(i).padStart(4, '0')}.txt`));
    results['dkeyGroup 8 B / 12 groups'] = `${nsPerCall(500_000, (i) => dkeyGroup(chunks[i % 1024]!, 12)).toFixed(0)} ns`;
    results['dkeyGroup 24 B / 12 groups'] = `${nsPerCall(500_000, (i) => dkeyGroup(names[i % 1024]!, 12)).toFixed(0)} ns`;
    // Under vitest, imports go through the module transform's namespace getters, which costs extra per call.
    console.log('placement timing (vitest)', results);
  });
});
