/**
 * Read-only views of a pool map's hierarchy: fault domain -> rank -> target, in one canonical order that
 * placement relies on: domains by their lowest rank number, ranks by number, targets by index. Ordering by
 * rank number (not by name or by array position) makes the order independent of how the map was listed,
 * and puts domains added later with higher ranks at the end, where jump hashing moves the least data.
 */
import type { PoolMap, PoolMapRank, Rank, TargetState } from './pool-map.js';

export interface FaultDomain {
  readonly name: string;
  /** Ranks of the domain, by rank number. */
  readonly ranks: readonly PoolMapRank[];
}

export interface FlatTarget {
  readonly rank: Rank;
  readonly faultDomain: string;
  readonly index: number;
  readonly state: TargetState;
  readonly fseq: number;
}

/** The map's fault domains in canonical order (by lowest rank), each with its ranks by number. */
export function faultDomains(map: PoolMap): readonly FaultDomain[] {
  const sorted = [...map.ranks].sort((a, b) => a.rank - b.rank);
  const byName = new Map<string, PoolMapRank[]>();
  for (const rank of sorted) {
    const ranks = byName.get(rank.faultDomain);
    if (ranks === undefined) byName.set(rank.faultDomain, [rank]);
    else ranks.push(rank);
  }
  // Map iteration follows insertion order, which is the order of each domain's lowest rank.
  return [...byName].map(([name, ranks]) => ({ name, ranks }));
}

/** Every target of the map (NEW ones included), in canonical order. */
export function flattenTargets(map: PoolMap): readonly FlatTarget[] {
  const flat: FlatTarget[] = [];
  for (const domain of faultDomains(map)) {
    for (const rank of domain.ranks) {
      const targets = [...rank.targets].sort((a, b) => a.index - b.index);
      for (const target of targets) {
        flat.push({ rank: rank.rank, faultDomain: domain.name, index: target.index, state: target.state, fseq: target.fseq });
      }
    }
  }
  return flat;
}
