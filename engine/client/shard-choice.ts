/**
 * Which shards of a redundancy group an operation uses, as pure functions of the group's locations:
 * writes go to every shard that can take them (healthy or rebuilding) and need at least one healthy one;
 * conditional writes are decided by the group leader (the first healthy shard); reads use one healthy
 * shard, the one on the engine the client prefers (read-affinity.ts), the others in that order as fail-over.
 */
import type { ShardLocation } from '../placement/placement.js';
import type { Rank } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';

/** Shards a write must reach: healthy and rebuilding ones. Throws DATA_LOSS when none is healthy. */
export function writeShards(shards: readonly ShardLocation[]): ShardLocation[] {
  let healthy = 0;
  const chosen: ShardLocation[] = [];
  for (const shard of shards) {
    if (shard.status === 'unavailable') continue;
    if (shard.status === 'healthy') healthy++;
    chosen.push(shard);
  }
  if (healthy === 0) throw noHealthyShard(shards);
  return chosen;
}

/** The group leader: the first healthy shard. Throws DATA_LOSS when none is healthy. */
export function groupLeader(shards: readonly ShardLocation[]): ShardLocation {
  for (const shard of shards) if (shard.status === 'healthy') return shard;
  throw noHealthyShard(shards);
}

/**
 * Healthy shards in read order: by `preference` of their rank, highest first (ties in group order).
 * Throws DATA_LOSS when none is healthy.
 */
export function readShards(shards: readonly ShardLocation[], preference: (rank: Rank) => number): ShardLocation[] {
  const healthy = shards.filter((shard) => shard.status === 'healthy');
  if (healthy.length === 0) throw noHealthyShard(shards);
  if (healthy.length === 1) return healthy;
  const scored = healthy.map((shard) => ({ shard, score: preference(shard.rank) }));
  scored.sort((a, b) => b.score - a.score);
  return scored.map((entry) => entry.shard);
}

/** The healthy shard a read starts with: readShards' first, without ordering the rest. */
export function readShard(shards: readonly ShardLocation[], preference: (rank: Rank) => number): ShardLocation {
  let best: ShardLocation | undefined;
  let bestScore = -Infinity;
  for (const shard of shards) {
    if (shard.status !== 'healthy') continue;
    const score = preference(shard.rank);
    if (score > bestScore) {
      best = shard;
      bestScore = score;
    }
  }
  if (best === undefined) throw noHealthyShard(shards);
  return best;
}

function noHealthyShard(shards: readonly ShardLocation[]): EngineError {
  const where = shards.map((shard) => `${shard.shard}@${shard.rank}:${shard.target}=${shard.status}`).join(' ');
  return new EngineError(Der.DATA_LOSS, `no healthy shard in group ${shards[0]?.group ?? '?'} (${where})`);
}
