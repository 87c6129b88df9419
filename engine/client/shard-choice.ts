/**
 * Which shards of a redundancy group an operation uses, as pure functions of the group's locations:
 * writes go to every shard that can take them (healthy or rebuilding) and need at least one healthy one;
 * conditional writes are decided by the group leader (the first healthy shard); reads use one healthy
 * shard, starting from a rotating index so replicas share the load, the others in order as fail-over.
 */
import type { ShardLocation } from '../placement/placement.js';
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
 * Healthy shards in read order: starting at `rotation` modulo their count, wrapping around.
 * Throws DATA_LOSS when none is healthy.
 */
export function readShards(shards: readonly ShardLocation[], rotation: number): ShardLocation[] {
  const healthy = shards.filter((shard) => shard.status === 'healthy');
  if (healthy.length === 0) throw noHealthyShard(shards);
  const start = rotation % healthy.length;
  return start === 0 ? healthy : [...healthy.slice(start), ...healthy.slice(0, start)];
}

function noHealthyShard(shards: readonly ShardLocation[]): EngineError {
  const where = shards.map((shard) => `${shard.shard}@${shard.rank}:${shard.target}=${shard.status}`).join(' ');
  return new EngineError(Der.DATA_LOSS, `no healthy shard in group ${shards[0]?.group ?? '?'} (${where})`);
}
