/**
 * The pool map reshaped for placement walks: fault domains -> ranks -> targets in canonical order
 * (pool-map/topology.ts), NEW targets left out (they count only once extension finishes), and each target
 * given a dense "flat" id so walks can mark targets in typed arrays. A domain's targets, and a rank's, have
 * consecutive flat ids. Built once per PoolMap object (cached weakly), never mutated.
 */
import assert from 'node:assert/strict';
import type { PoolMap, Rank, TargetState } from '../pool-map/pool-map.js';
import { faultDomains } from '../pool-map/topology.js';

export interface TreeTarget {
  readonly rank: Rank;
  /** Index of the target within its rank. */
  readonly index: number;
  readonly state: TargetState;
  readonly fseq: number;
  /** Position of the target's fault domain in PlacementTree.domains. */
  readonly domain: number;
}

export interface TreeRank {
  readonly rank: Rank;
  /** Position of this rank in PlacementTree.ranks. */
  readonly slot: number;
  readonly firstTarget: number;
  readonly targetCount: number;
}

export interface TreeDomain {
  readonly name: string;
  readonly ranks: readonly TreeRank[];
  readonly firstTarget: number;
  readonly targetCount: number;
}

export interface PlacementTree {
  readonly domains: readonly TreeDomain[];
  readonly ranks: readonly TreeRank[];
  /** Indexed by flat target id. */
  readonly targets: readonly TreeTarget[];
}

const trees = new WeakMap<PoolMap, PlacementTree>();

/** The placement tree of `map`; computed on first use and cached for as long as `map` is alive. */
export function placementTree(map: PoolMap): PlacementTree {
  let tree = trees.get(map);
  if (tree === undefined) {
    tree = buildPlacementTree(map);
    trees.set(map, tree);
  }
  return tree;
}

function buildPlacementTree(map: PoolMap): PlacementTree {
  assert.equal(new Set(map.ranks.map((entry) => entry.rank)).size, map.ranks.length, 'duplicate rank in pool map');
  const domains: TreeDomain[] = [];
  const ranks: TreeRank[] = [];
  const targets: TreeTarget[] = [];
  for (const domain of faultDomains(map)) {
    const domainFirst = targets.length;
    const domainRanks: TreeRank[] = [];
    for (const entry of domain.ranks) {
      const counted = entry.targets.filter((target) => target.state !== 'NEW').sort((a, b) => a.index - b.index);
      assert.equal(new Set(counted.map((target) => target.index)).size, counted.length, `duplicate target on rank ${entry.rank}`);
      if (counted.length === 0) continue;
      const treeRank = { rank: entry.rank, slot: ranks.length, firstTarget: targets.length, targetCount: counted.length };
      for (const target of counted) {
        targets.push({ rank: entry.rank, index: target.index, state: target.state, fseq: target.fseq, domain: domains.length });
      }
      ranks.push(treeRank);
      domainRanks.push(treeRank);
    }
    if (domainRanks.length === 0) continue;
    domains.push({ name: domain.name, ranks: domainRanks, firstTarget: domainFirst, targetCount: targets.length - domainFirst });
  }
  return { domains, ranks, targets };
}
