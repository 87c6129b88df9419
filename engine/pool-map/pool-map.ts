/**
 * The pool map: which engines (ranks) and targets a pool spans, their fault domains and states, and a
 * version that increases with every change. Pure data shared by client, server and placement.
 * Target states follow DAOS: NEW (being added, not counted), UP (back, data migrating in: takes writes,
 * serves no reads), UPIN (in service), DOWN (failed, not rebuilt), DOWNOUT (failed, rebuilt elsewhere),
 * DRAIN (being emptied; in service for I/O).
 */
import assert from 'node:assert/strict';

export type Rank = number & { readonly __brand: 'Rank' };
export type PoolMapVersion = number & { readonly __brand: 'PoolMapVersion' };

export const TARGET_STATES = ['NEW', 'UP', 'UPIN', 'DOWN', 'DOWNOUT', 'DRAIN'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export interface PoolMapTarget {
  /** Index of the target inside its engine (0..T-1). */
  readonly index: number;
  readonly state: TargetState;
  /** Failure sequence: the map version at which the target last went DOWN (0 if never). */
  readonly fseq: number;
}

export interface PoolMapRank {
  readonly rank: Rank;
  /** Fault domain name (host by default); replicas of a group never share one. */
  readonly faultDomain: string;
  /** `host:port` of the engine's HTTP/2 listener. */
  readonly address: string;
  readonly targets: readonly PoolMapTarget[];
}

export interface PoolMap {
  readonly version: PoolMapVersion;
  readonly ranks: readonly PoolMapRank[];
}

/** States whose shards take I/O. */
export function isTargetInService(state: TargetState): boolean {
  return state === 'UPIN' || state === 'DRAIN';
}

/** States whose targets are out of the layout: their shards are remapped to fallback targets. */
export function isTargetExcluded(state: TargetState): boolean {
  return state === 'DOWN' || state === 'DOWNOUT';
}

/**
 * True while a rank of the map may come back through a resync: excluded (DOWN, DOWNOUT) or rejoining (UP).
 * Its resync sends only what its group peers still hold since it left, so they must keep all of it.
 */
export function awaitsResync(map: PoolMap): boolean {
  return map.ranks.some((rank) => rank.targets.some((target) => isTargetExcluded(target.state) || target.state === 'UP'));
}

export function rankOf(map: PoolMap, rank: number): PoolMapRank | undefined {
  return map.ranks.find((entry) => entry.rank === rank);
}

export function countTargets(map: PoolMap): number {
  let count = 0;
  for (const rank of map.ranks) count += rank.targets.filter((target) => target.state !== 'NEW').length;
  return count;
}

export function countFaultDomains(map: PoolMap): number {
  return new Set(map.ranks.map((rank) => rank.faultDomain)).size;
}

/** Copy of the map with every target of `rank` set to `state`, version + 1. */
export function withRankState(map: PoolMap, rank: number, state: TargetState): PoolMap {
  const version = (map.version + 1) as PoolMapVersion;
  return {
    version,
    ranks: map.ranks.map((entry) =>
      entry.rank !== rank
        ? entry
        : {
            ...entry,
            targets: entry.targets.map((target) => ({
              ...target,
              state,
              fseq: state === 'DOWN' ? version : target.fseq,
            })),
          },
    ),
  };
}

/**
 * Copy of the map with target `index` of `rank` set to `state`, version + 1. Going DOWN records the new
 * version as the target's fseq. Asserts that the target exists (callers name targets from the map).
 */
export function withTargetState(map: PoolMap, options: { rank: number; index: number; state: TargetState }): PoolMap {
  const { rank, index, state } = options;
  const version = (map.version + 1) as PoolMapVersion;
  let found = false;
  const ranks = map.ranks.map((entry) => {
    if (entry.rank !== rank) return entry;
    const targets = entry.targets.map((target) => {
      if (target.index !== index) return target;
      found = true;
      return { ...target, state, fseq: state === 'DOWN' ? version : target.fseq };
    });
    return { ...entry, targets };
  });
  assert.ok(found, `no target ${rank}:${index} in pool map`);
  return { version, ranks };
}
