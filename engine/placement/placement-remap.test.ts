import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildUniformPoolMap } from '../pool-map/build.js';
import { type PoolMap, type TargetState, isTargetInService, withRankState, withTargetState } from '../pool-map/pool-map.js';
import { flattenTargets } from '../pool-map/topology.js';
import { OBJ_CLASSES, type ObjClassName } from './object-class.js';
import { type Oid, ObjType } from './oid.js';
import { computeLayout, generateOid, groupShards, type ObjectLayout, type ShardLocation } from './placement.js';

const CLASS_NAMES: readonly ObjClassName[] = ['S1', 'S2', 'SX', 'RP_2G1', 'RP_3G1', 'RP_2GX', 'RP_3GX'];

function oidOf(map: PoolMap, cls: ObjClassName, lo: bigint, userHi = 0): Oid {
  return generateOid(map, { type: ObjType.MULTI_LEXICAL, cls: OBJ_CLASSES[cls], userHi, lo });
}

const where = (shard: ShardLocation): string => `${shard.rank}:${shard.target}`;

function stateOf(map: PoolMap, shard: ShardLocation): TargetState {
  const target = flattenTargets(map).find((candidate) => candidate.rank === shard.rank && candidate.index === shard.target);
  if (target === undefined) throw new Error(`no target ${where(shard)}`);
  return target.state;
}

function expectGroupsInDistinctDomains(map: PoolMap, layout: ObjectLayout): void {
  for (let group = 0; group < layout.groupCount; group++) {
    const domains = groupShards(layout, group).map((shard) => map.ranks.find((rank) => rank.rank === shard.rank)!.faultDomain);
    expect(new Set(domains).size).toBe(layout.groupSize);
  }
}

const scenario = fc.record({
  rankCount: fc.integer({ min: 3, max: 8 }),
  targetsPerRank: fc.integer({ min: 1, max: 6 }),
  cls: fc.constantFrom(...CLASS_NAMES),
  lo: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
  failedSlot: fc.nat(),
  state: fc.constantFrom<TargetState>('DOWN', 'DOWNOUT'),
});

describe('placement remap', () => {
  it('computeLayout: one target excluded -> only its shards move, to in-service unused targets in free domains', () => {
    const outcomes = { moved: 0, unavailable: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const map = buildUniformPoolMap(s);
        const oid = oidOf(map, s.cls, s.lo);
        const before = computeLayout(map, oid);
        // Fail a target that holds a shard half of the time, any target otherwise.
        const holders = before.shards;
        const all = flattenTargets(map);
        const failed = s.failedSlot % 2 === 0 ? holders[s.failedSlot % holders.length]! : { rank: all[s.failedSlot % all.length]!.rank, target: all[s.failedSlot % all.length]!.index };
        const after = computeLayout(withTargetState(map, { rank: failed.rank, index: failed.target, state: s.state }), oid);
        const failedAt = `${failed.rank}:${failed.target}`;
        const othersBefore = new Set(before.shards.map(where));
        before.shards.forEach((old, index) => {
          const now = after.shards[index]!;
          if (where(old) !== failedAt) {
            expect(now).toEqual(old);
          } else if (now.status === 'unavailable') {
            outcomes.unavailable += 1;
            expect(where(now)).toBe(failedAt);
          } else {
            outcomes.moved += 1;
            expect(now.status).toBe(s.state === 'DOWN' ? 'rebuilding' : 'healthy');
            expect(isTargetInService(stateOf(map, now))).toBe(true);
            expect(othersBefore.has(where(now))).toBe(false);
          }
        });
        expectGroupsInDistinctDomains(map, after);
      }),
      { numRuns: 400 },
    );
    // The generated cases must exercise both outcomes, or the property proves little.
    expect(outcomes.moved).toBeGreaterThan(50);
    expect(outcomes.unavailable).toBeGreaterThan(5);
  });

  it('computeLayout: a second failure -> shards already remapped stay where they are', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, secondSlot) => {
        const map = buildUniformPoolMap(s);
        const oid = oidOf(map, s.cls, s.lo);
        const initial = computeLayout(map, oid).shards;
        const first = initial[s.failedSlot % initial.length]!;
        const once = withTargetState(map, { rank: first.rank, index: first.target, state: 'DOWN' });
        const layoutOnce = computeLayout(once, oid);
        const second = layoutOnce.shards[secondSlot % layoutOnce.shards.length]!;
        if (second.status === 'unavailable') return;
        const twice = withTargetState(once, { rank: second.rank, index: second.target, state: 'DOWN' });
        const layoutTwice = computeLayout(twice, oid);
        layoutOnce.shards.forEach((shard, index) => {
          if (where(shard) !== where(second)) expect(layoutTwice.shards[index]).toEqual(shard);
        });
        expectGroupsInDistinctDomains(map, layoutTwice);
      }),
      { numRuns: 200 },
    );
  });

  it('computeLayout: RP_3G1 on 3 ranks, one rank DOWN -> its shard unavailable in place, others healthy', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 4 });
    const oid = oidOf(map, 'RP_3G1', 7n);
    const before = computeLayout(map, oid);
    const after = computeLayout(withRankState(map, 1, 'DOWN'), oid);
    expect(after.shards.map((shard) => [where(shard), shard.status])).toEqual(
      before.shards.map((shard) => [where(shard), shard.rank === 1 ? 'unavailable' : 'healthy']),
    );
  });

  it('computeLayout: RP_2G1, a replica rank DOWN then DOWNOUT -> same fallback, rebuilding then healthy', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 4 });
    const oid = oidOf(map, 'RP_2G1', 11n);
    const [lost, kept] = computeLayout(map, oid).shards as [ShardLocation, ShardLocation];
    const down = computeLayout(withRankState(map, lost.rank, 'DOWN'), oid);
    const downOut = computeLayout(withRankState(withRankState(map, lost.rank, 'DOWN'), lost.rank, 'DOWNOUT'), oid);
    const spare = [0, 1, 2].find((rank) => rank !== lost.rank && rank !== kept.rank);
    expect(down.shards[0]).toMatchObject({ rank: spare, status: 'rebuilding' });
    expect(downOut.shards[0]).toEqual({ ...down.shards[0], status: 'healthy' });
    expect(down.shards[1]).toEqual(kept);
  });

  it('computeLayout: target UP (reintegrating) -> shard stays, rebuilding; DRAIN -> stays, healthy', () => {
    const map = buildUniformPoolMap({ rankCount: 4, targetsPerRank: 2 });
    const oid = oidOf(map, 'RP_2GX', 3n);
    const before = computeLayout(map, oid);
    const shard = before.shards[2]!;
    for (const [state, status] of [['UP', 'rebuilding'], ['DRAIN', 'healthy']] as const) {
      const after = computeLayout(withTargetState(map, { rank: shard.rank, index: shard.target, state }), oid);
      expect(after.shards).toEqual(before.shards.map((entry) => (entry === shard ? { ...shard, status } : entry)));
    }
  });

  it('computeLayout: SX using every target, one DOWN -> no unused fallback, unavailable', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
    const oid = oidOf(map, 'SX', 5n);
    const after = computeLayout(withTargetState(map, { rank: 2, index: 1, state: 'DOWN' }), oid);
    expect(after.shards.filter((shard) => shard.status !== 'healthy')).toEqual([
      expect.objectContaining({ rank: 2, target: 1, status: 'unavailable' }),
    ]);
  });
});
