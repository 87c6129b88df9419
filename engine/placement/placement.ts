/**
 * The placement interface: where an object's shards live for a given pool map, and which redundancy group
 * holds a dkey. Pure functions of (pool map, oid) and (dkey, group count): client and engines compute the
 * same answers without a lookup table. Invariants (README.md): replicas of a group sit in distinct fault
 * domains; a target state change moves only the shards on that target; NEW targets hold nothing.
 * Does not cache (layout-cache.ts does) and never does I/O.
 */
import assert from 'node:assert/strict';
import { countFaultDomains, countTargets, type PoolMap, type PoolMapVersion, type Rank } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';
import { DKEY_HASH_SEED, type Hash64, hashBytes, hashTuple } from './hash.js';
import { jumpHashHalves } from './jump-hash.js';
import { placeShards, remapShards } from './jump-map.js';
import { resolveGroupCount } from './object-class.js';
import { makeOid, OID_BYTES, type Oid, type OidFields, oidGroupCount, oidGroupSize } from './oid.js';
import { placementTree } from './placement-tree.js';

/**
 * healthy: serves reads and writes. rebuilding: takes writes, must not serve reads (data still being
 * rebuilt on a fallback target, or migrating back to a reintegrating UP target). unavailable: no target can
 * hold the shard now (its target is down and no fallback exists); skip it.
 */
export type ShardStatus = 'healthy' | 'rebuilding' | 'unavailable';

export interface ShardLocation {
  readonly shard: number;
  readonly group: number;
  readonly rank: Rank;
  /** Index of the target within `rank`. */
  readonly target: number;
  readonly status: ShardStatus;
}

export interface ObjectLayout {
  readonly oid: Oid;
  /** Version of the pool map this layout was computed from. */
  readonly version: PoolMapVersion;
  readonly groupCount: number;
  readonly groupSize: number;
  /** groupCount * groupSize entries; shard = group * groupSize + j. */
  readonly shards: readonly ShardLocation[];
}

/** Seed of the object key K = hash(oid) from which every shard's walk starts. */
const OID_HASH_SEED = 0x0b1ec7;

/** Scratch for splitting an oid into 32-bit words without BigInt arithmetic; used synchronously only. */
const oidWords = new DataView(new ArrayBuffer(OID_BYTES));

/**
 * The object key K: the 64-bit hash of the oid's four 32-bit words (hi high, hi low, lo high, lo low)
 * as hashTuple((w0:w1), w2, w3). Pure.
 */
export function objectKey(oid: Oid): Hash64 {
  oidWords.setBigUint64(0, oid.hi);
  oidWords.setBigUint64(8, oid.lo);
  const high = { hi: oidWords.getUint32(0), lo: oidWords.getUint32(4) };
  return hashTuple(high, oidWords.getUint32(8), oidWords.getUint32(12), OID_HASH_SEED);
}

/**
 * The layout of `oid` under `map`: every shard's rank, target and status. Pure; returns a new object the
 * caller owns. Fails with DER_INVAL when the oid names no groups, the map has no targets, or a group
 * needs more fault domains than the map has.
 */
export function computeLayout(map: PoolMap, oid: Oid): ObjectLayout {
  const groupCount = oidGroupCount(oid);
  const groupSize = oidGroupSize(oid);
  if (groupCount < 1) throw new EngineError(Der.INVAL, 'oid has no redundancy groups');
  const tree = placementTree(map);
  if (tree.targets.length === 0) throw new EngineError(Der.INVAL, 'pool map has no targets');
  if (groupSize > tree.domains.length) {
    throw new EngineError(Der.INVAL, `group of ${groupSize} needs more fault domains than the pool's ${tree.domains.length}`);
  }
  const key = objectKey(oid);
  const original = placeShards(tree, key, groupCount, groupSize);
  const { locations, statuses } = remapShards(tree, key, original, groupSize);
  const shards: ShardLocation[] = new Array<ShardLocation>(locations.length);
  for (let shard = 0; shard < locations.length; shard++) {
    const target = tree.targets[locations[shard]!]!;
    shards[shard] = { shard, group: Math.floor(shard / groupSize), rank: target.rank, target: target.index, status: statuses[shard]! };
  }
  return { oid, version: map.version, groupCount, groupSize, shards };
}

/**
 * The redundancy group in [0, groupCount) that holds `dkey`: jumpHash(hash(dkey)). Pure and cheap (one
 * hash of the dkey); `groupCount` must be a positive integer (the oid's group count).
 */
export function dkeyGroup(dkey: Uint8Array, groupCount: number): number {
  if (groupCount === 1) return 0;
  const hash = hashBytes(dkey, DKEY_HASH_SEED);
  return jumpHashHalves(hash.hi, hash.lo, groupCount);
}

/** The shards of `group` (groupSize entries, by replica index). A new array; the entries are shared. */
export function groupShards(layout: ObjectLayout, group: number): readonly ShardLocation[] {
  assert.ok(Number.isInteger(group) && group >= 0 && group < layout.groupCount, `group ${group} out of range`);
  return layout.shards.slice(group * layout.groupSize, (group + 1) * layout.groupSize);
}

/**
 * A new oid for `fields.cls` on the pool of `map`, its group count resolved from the map's targets and
 * fault domains (fixed for the object's life), as DAOS daos_obj_generate_oid does. Fails with DER_INVAL
 * when a group of the class needs more fault domains than the pool has.
 */
export function generateOid(map: PoolMap, fields: Omit<OidFields, 'groupCount'>): Oid {
  const groupCount = resolveGroupCount(fields.cls, countTargets(map), countFaultDomains(map));
  return makeOid({ ...fields, groupCount });
}
