import { describe, expect, it } from 'vitest';
import { buildUniformPoolMap } from '../pool-map/build.js';
import type { PoolMap } from '../pool-map/pool-map.js';
import { flattenTargets } from '../pool-map/topology.js';
import { OBJ_CLASSES, type ObjClassName } from './object-class.js';
import { ObjType } from './oid.js';
import { computeLayout, generateOid } from './placement.js';

const OBJECT_COUNT = 100_000;
const IMBALANCE_MAX = 1.25;

/** Shards per target over OBJECT_COUNT objects of `cls` with consecutive oids. */
function shardsPerTarget(map: PoolMap, cls: ObjClassName): number[] {
  const slots = new Map(flattenTargets(map).map((target, slot) => [`${target.rank}:${target.index}`, slot]));
  const counts = new Array<number>(slots.size).fill(0);
  for (let i = 0; i < OBJECT_COUNT; i++) {
    const oid = generateOid(map, { type: ObjType.ARRAY_BYTE, cls: OBJ_CLASSES[cls], userHi: 0, lo: BigInt(i) });
    for (const shard of computeLayout(map, oid).shards) counts[slots.get(`${shard.rank}:${shard.target}`)!]! += 1;
  }
  return counts;
}

describe('placement balance', () => {
  it.each([
    [3, 4, 'S1'],
    [8, 4, 'S1'],
    [3, 4, 'RP_3G1'],
    [8, 4, 'RP_3G1'],
  ] as const)('computeLayout: 100k objects on %d ranks x %d targets, %s -> max/min target load <= 1.25', (rankCount, targetsPerRank, cls) => {
    const counts = shardsPerTarget(buildUniformPoolMap({ rankCount, targetsPerRank }), cls);
    const ratio = Math.max(...counts) / Math.min(...counts);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(OBJECT_COUNT * OBJ_CLASSES[cls].groupSize);
    expect(ratio).toBeLessThanOrEqual(IMBALANCE_MAX);
  });
});
