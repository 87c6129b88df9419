/**
 * Builders of pool maps from short literal specs, for the pool service bootstrap, tests and single-host
 * demos. Owns the default fault domain rule: a rank's host, except on a single-host cluster where every
 * rank is its own domain (`rank<N>`), so replicas can still be spread. Builds data only; never changes
 * an existing map (see withRankState/withTargetState for transitions).
 */
import assert from 'node:assert/strict';
import type { PoolMap, PoolMapRank, PoolMapTarget, PoolMapVersion, Rank, TargetState } from './pool-map.js';

export interface PoolMapRankSpec {
  readonly rank: number;
  /** `host:port` (or `[v6]:port`) of the engine. */
  readonly address: string;
  /** Defaults to the host of `address`, or `rank<N>` when all defaulted ranks share one host. */
  readonly faultDomain?: string;
  /** Number of targets (all UPIN), or one state per target index. */
  readonly targets: number | readonly TargetState[];
}

export interface PoolMapSpec {
  readonly ranks: readonly PoolMapRankSpec[];
  readonly version: number;
}

/** The host part of `host:port` or `[v6]:port`; the whole string if it has no port. */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed !== null) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon <= 0 || address.indexOf(':') !== colon ? address : address.slice(0, colon);
}

function buildTargets(targets: number | readonly TargetState[]): PoolMapTarget[] {
  const states = typeof targets === 'number' ? Array.from({ length: targets }, (): TargetState => 'UPIN') : targets;
  assert.ok(states.length >= 1, 'a rank needs at least one target');
  return states.map((state, index) => ({ index, state, fseq: 0 }));
}

/**
 * A pool map from a literal spec. Asserts on programmer errors: duplicate or negative ranks, empty
 * addresses or fault domains, zero targets, a negative version.
 */
export function buildPoolMap(spec: PoolMapSpec): PoolMap {
  assert.ok(Number.isInteger(spec.version) && spec.version >= 0, 'version must be a non-negative integer');
  const seen = new Set<number>();
  for (const entry of spec.ranks) {
    assert.ok(Number.isInteger(entry.rank) && entry.rank >= 0, `bad rank ${entry.rank}`);
    assert.ok(!seen.has(entry.rank), `duplicate rank ${entry.rank}`);
    assert.ok(entry.address.length > 0, `rank ${entry.rank} has no address`);
    assert.ok(entry.faultDomain === undefined || entry.faultDomain.length > 0, `rank ${entry.rank} has an empty fault domain`);
    seen.add(entry.rank);
  }
  const defaulted = spec.ranks.filter((entry) => entry.faultDomain === undefined);
  const singleHost = new Set(defaulted.map((entry) => hostOfAddress(entry.address))).size === 1 && defaulted.length > 1;
  const ranks = spec.ranks.map(
    (entry): PoolMapRank => ({
      rank: entry.rank as Rank,
      faultDomain: entry.faultDomain ?? (singleHost ? `rank${entry.rank}` : hostOfAddress(entry.address)),
      address: entry.address,
      targets: buildTargets(entry.targets),
    }),
  );
  return { version: spec.version as PoolMapVersion, ranks };
}

/**
 * `rankCount` ranks 0..N-1 with `targetsPerRank` UPIN targets each, all on one host (so each rank is its
 * own fault domain), at `127.0.0.1:<basePort + rank>`.
 */
export function buildUniformPoolMap(options: {
  rankCount: number;
  targetsPerRank: number;
  version?: number;
  basePort?: number;
}): PoolMap {
  const basePort = options.basePort ?? 20_000;
  return buildPoolMap({
    version: options.version ?? 1,
    ranks: Array.from({ length: options.rankCount }, (_, rank) => ({
      rank,
      address: `127.0.0.1:${basePort + rank}`,
      faultDomain: `rank${rank}`,
      targets: options.targetsPerRank,
    })),
  });
}
