/**
 * Jump map: the walk that turns (object key, shard) into a target of a placement tree, and the remap of
 * shards whose targets failed. Invariants: replicas of one group never share a fault domain; an object's
 * shards use distinct targets whenever an assignment exists; the initial walk ignores target states (only NEW
 * targets are absent from the tree) so a state change by itself moves nothing; remapping touches only
 * shards on DOWN/DOWNOUT targets. Works on flat target ids (placement-tree.ts); placement.ts turns the
 * result into ShardLocations. Design notes: README.md.
 */
import assert from 'node:assert/strict';
import { isTargetExcluded, isTargetInService } from '../pool-map/pool-map.js';
import type { Hash64 } from './hash.js';
import { hashTuple } from './hash.js';
import { jumpHash } from './jump-hash.js';
import type { PlacementTree } from './placement-tree.js';
import type { ShardStatus } from './placement.js';

/**
 * Hash seeds, one per level and pass, so that the choices at different levels are independent (with
 * one seed, jumpHash(h, 3) and jumpHash(h, 4) would agree for most keys) and the remap walk differs.
 */
const SEED_DOMAIN = 0x6a09e667;
const SEED_RANK = 0xbb67ae85;
const SEED_TARGET = 0x3c6ef372;
const SEED_REMAP_DOMAIN = 0xa54ff53a;
const SEED_REMAP_RANK = 0x510e527f;
const SEED_REMAP_TARGET = 0x9b05688c;

/**
 * Hashed tries before a level falls back to choosing among the eligible children directly. Bounds the
 * walk when few children remain eligible (e.g. the last shards of an SX object).
 */
export const JUMP_MAP_ATTEMPTS_MAX = 32;

type Eligible = (child: number) => boolean;

/**
 * A child in [0, count) for (key, shard) at the level of `seed`: the first of the hashed candidates
 * jumpHash(hash(key, shard, attempt)) that is eligible; after JUMP_MAP_ATTEMPTS_MAX misses, a hashed pick
 * among the eligible children. Returns -1 when no child is eligible.
 */
function selectChild(key: Hash64, shard: number, seed: number, count: number, eligible: Eligible): number {
  if (count === 1) return eligible(0) ? 0 : -1;
  for (let attempt = 0; attempt < JUMP_MAP_ATTEMPTS_MAX; attempt++) {
    const child = jumpHash(hashTuple(key, shard, attempt, seed), count);
    if (eligible(child)) return child;
  }
  const candidates: number[] = [];
  for (let child = 0; child < count; child++) if (eligible(child)) candidates.push(child);
  if (candidates.length === 0) return -1;
  return candidates[jumpHash(hashTuple(key, shard, JUMP_MAP_ATTEMPTS_MAX, seed), candidates.length)]!;
}

/** Marks of the initial walk: targets used by the object, per-rank and per-domain counts of them. */
interface WalkMarks {
  targetUsed: Uint8Array;
  rankUsed: Int32Array;
  domainUsed: Int32Array;
  /** Domains holding a shard of the group being placed. */
  groupDomains: Uint8Array;
  /** Domains the group being placed must draw on to keep later groups placeable (groupQuota). */
  saturated: Uint8Array;
  /** How many more shards of the current group must go to saturated domains. */
  forced: number;
}

/*
 * One set of mark arrays reused by every walk and grown on demand: allocating typed arrays costs more
 * than the walk itself for small objects. Sharing is safe because a walk runs synchronously to completion.
 * Only the first (targets | ranks | domains) entries of the current tree are meaningful.
 */
const scratch: WalkMarks = {
  targetUsed: new Uint8Array(64),
  rankUsed: new Int32Array(16),
  domainUsed: new Int32Array(16),
  groupDomains: new Uint8Array(16),
  saturated: new Uint8Array(16),
  forced: 0,
};

/** The scratch marks, large enough for `tree` and all zero. */
function resetMarks(tree: PlacementTree): WalkMarks {
  const { targets, ranks, domains } = tree;
  if (scratch.targetUsed.length < targets.length) scratch.targetUsed = new Uint8Array(targets.length);
  if (scratch.rankUsed.length < ranks.length) scratch.rankUsed = new Int32Array(ranks.length);
  if (scratch.domainUsed.length < domains.length) {
    scratch.domainUsed = new Int32Array(domains.length);
    scratch.groupDomains = new Uint8Array(domains.length);
    scratch.saturated = new Uint8Array(domains.length);
  }
  clearTargetMarks(scratch);
  scratch.groupDomains.fill(0);
  return scratch;
}

function clearTargetMarks(marks: WalkMarks): void {
  marks.targetUsed.fill(0);
  marks.rankUsed.fill(0);
  marks.domainUsed.fill(0);
}

/**
 * Prepares the marks for a group when `remainingGroups` groups of `groupSize` (this one included) are
 * left to place. Random domain choices can strand later groups: with 4 domains of 3 targets, 4 groups of
 * 3 replicas fit exactly, but not after an unlucky pick. With r(d) unused targets in domain d and R groups
 * left, the rest is placeable iff slack = sum(min(r(d), R)) - groupSize * R >= 0, and placing a group
 * lowers the slack by the number of "saturated" domains (r(d) >= R) it skips. So the group must take at
 * least |saturated| - slack of them. When slack < 0 (more shards than targets) nothing is forced and
 * targets get reused. With one group or one replica per group the rule never binds, so it is skipped.
 */
function startGroup(tree: PlacementTree, marks: WalkMarks, remainingGroups: number, groupSize: number): void {
  marks.groupDomains.fill(0);
  marks.forced = 0;
  if (remainingGroups === 1 || groupSize === 1) return;
  let capacity = 0;
  let saturatedCount = 0;
  tree.domains.forEach((domain, d) => {
    const unused = domain.targetCount - marks.domainUsed[d]!;
    capacity += Math.min(unused, remainingGroups);
    marks.saturated[d] = unused >= remainingGroups ? 1 : 0;
    saturatedCount += marks.saturated[d]!;
  });
  const slack = capacity - groupSize * remainingGroups;
  if (slack >= 0) marks.forced = Math.max(0, saturatedCount - slack);
}

/**
 * Places one shard, `slotsLeft` of its group (itself included) still to place: a domain free of its group
 * with an unused target (a saturated one if the group's quota requires) -> a rank with one -> the target.
 */
function placeShard(tree: PlacementTree, key: Hash64, shard: number, slotsLeft: number, marks: WalkMarks): number {
  const { domains } = tree;
  const mustSaturate = marks.forced >= slotsLeft;
  const domainEligible: Eligible = (d) =>
    marks.groupDomains[d] === 0 && marks.domainUsed[d]! < domains[d]!.targetCount && (!mustSaturate || marks.saturated[d] === 1);
  let domainSlot = selectChild(key, shard, SEED_DOMAIN, domains.length, domainEligible);
  if (domainSlot < 0) {
    // Every domain this group may use is full: the object has more shards than such targets. Start a
    // new round of target marks, as DAOS does; the group's fault-domain rule still holds.
    clearTargetMarks(marks);
    domainSlot = selectChild(key, shard, SEED_DOMAIN, domains.length, domainEligible);
    assert.ok(domainSlot >= 0, 'group size exceeds the fault domains of the pool');
  }
  const domain = domains[domainSlot]!;
  const rankChild = selectChild(key, shard, SEED_RANK, domain.ranks.length, (r) => {
    const rank = domain.ranks[r]!;
    return marks.rankUsed[rank.slot]! < rank.targetCount;
  });
  assert.ok(rankChild >= 0, 'a non-full domain has a non-full rank');
  const rank = domain.ranks[rankChild]!;
  const targetChild = selectChild(key, shard, SEED_TARGET, rank.targetCount, (t) => marks.targetUsed[rank.firstTarget + t] === 0);
  assert.ok(targetChild >= 0, 'a non-full rank has an unused target');
  const target = rank.firstTarget + targetChild;
  marks.targetUsed[target] = 1;
  marks.rankUsed[rank.slot]! += 1;
  marks.domainUsed[domainSlot]! += 1;
  marks.groupDomains[domainSlot] = 1;
  if (marks.forced > 0 && marks.saturated[domainSlot] === 1) marks.forced -= 1;
  return target;
}

/**
 * The initial layout: a flat target id per shard (shard = group * groupSize + j), ignoring target
 * states. The caller guarantees groupSize <= number of domains and a non-empty tree.
 */
export function placeShards(tree: PlacementTree, key: Hash64, groupCount: number, groupSize: number): Int32Array {
  assert.ok(groupSize >= 1 && groupSize <= tree.domains.length, 'group size must fit the fault domains');
  const marks = resetMarks(tree);
  const locations = new Int32Array(groupCount * groupSize);
  for (let group = 0; group < groupCount; group++) {
    startGroup(tree, marks, groupCount - group, groupSize);
    for (let j = 0; j < groupSize; j++) {
      const shard = group * groupSize + j;
      locations[shard] = placeShard(tree, key, shard, groupSize - j, marks);
    }
  }
  return locations;
}

export interface RemappedShards {
  /** Flat target id per shard after remapping (the original one for shards that could not move). */
  readonly locations: Int32Array;
  readonly statuses: readonly ShardStatus[];
}

/** Status of a shard left on its original target. */
function statusInPlace(tree: PlacementTree, target: number): ShardStatus {
  const state = tree.targets[target]!.state;
  if (isTargetInService(state)) return 'healthy';
  return state === 'UP' ? 'rebuilding' : 'unavailable';
}

/** Shards on DOWN/DOWNOUT targets, oldest failure first (then by shard), so later failures never move them. */
function failedShards(tree: PlacementTree, original: Int32Array): number[] {
  const failed: number[] = [];
  for (let shard = 0; shard < original.length; shard++) {
    if (isTargetExcluded(tree.targets[original[shard]!]!.state)) failed.push(shard);
  }
  const fseq = (shard: number): number => tree.targets[original[shard]!]!.fseq;
  return failed.sort((a, b) => fseq(a) - fseq(b) || a - b);
}

/**
 * Remaps, one by one, the shards of `original` whose targets are DOWN or DOWNOUT to in-service targets
 * unused by the object, in fault domains unused by the rest of their group. DOWN -> 'rebuilding',
 * DOWNOUT -> 'healthy'; with no such target the shard stays put as 'unavailable'. Others keep their target.
 * Returns `original` itself when no shard needs remapping.
 */
export function remapShards(tree: PlacementTree, key: Hash64, original: Int32Array, groupSize: number): RemappedShards {
  const statuses: ShardStatus[] = new Array<ShardStatus>(original.length);
  for (let shard = 0; shard < original.length; shard++) statuses[shard] = statusInPlace(tree, original[shard]!);
  const failed = failedShards(tree, original);
  if (failed.length === 0) return { locations: original, statuses };
  const locations = Int32Array.from(original);
  const used = new Uint8Array(tree.targets.length);
  for (const target of original) used[target] = 1;
  for (const shard of failed) {
    const groupDomains = new Uint8Array(tree.domains.length);
    const groupFirst = shard - (shard % groupSize);
    for (let mate = groupFirst; mate < groupFirst + groupSize; mate++) {
      if (mate !== shard) groupDomains[tree.targets[locations[mate]!]!.domain] = 1;
    }
    const fallback = remapShard(tree, key, shard, { used, groupDomains });
    if (fallback < 0) continue;
    statuses[shard] = tree.targets[original[shard]!]!.state === 'DOWN' ? 'rebuilding' : 'healthy';
    locations[shard] = fallback;
    used[fallback] = 1;
  }
  return { locations, statuses };
}

/** The remap walk for one shard; -1 when no domain free of its group has a usable target. */
function remapShard(tree: PlacementTree, key: Hash64, shard: number, marks: { used: Uint8Array; groupDomains: Uint8Array }): number {
  const usable = (target: number): boolean => marks.used[target] === 0 && isFallbackState(tree, target);
  const anyUsable = (first: number, count: number): boolean => {
    for (let target = first; target < first + count; target++) if (usable(target)) return true;
    return false;
  };
  const { domains } = tree;
  const domainSlot = selectChild(key, shard, SEED_REMAP_DOMAIN, domains.length, (d) => {
    const domain = domains[d]!;
    return marks.groupDomains[d] === 0 && anyUsable(domain.firstTarget, domain.targetCount);
  });
  if (domainSlot < 0) return -1;
  const domain = domains[domainSlot]!;
  const rankChild = selectChild(key, shard, SEED_REMAP_RANK, domain.ranks.length, (r) =>
    anyUsable(domain.ranks[r]!.firstTarget, domain.ranks[r]!.targetCount),
  );
  assert.ok(rankChild >= 0, 'a domain with a usable target has a rank with one');
  const rank = domain.ranks[rankChild]!;
  const targetChild = selectChild(key, shard, SEED_REMAP_TARGET, rank.targetCount, (t) => usable(rank.firstTarget + t));
  assert.ok(targetChild >= 0, 'a rank with a usable target has one');
  return rank.firstTarget + targetChild;
}

/** Targets that may receive a remapped shard: those in service (UPIN, DRAIN). */
function isFallbackState(tree: PlacementTree, target: number): boolean {
  return isTargetInService(tree.targets[target]!.state);
}
