import { describe, expect, it } from 'vitest';
import type { ShardLocation, ShardStatus } from '../placement/placement.js';
import type { Rank } from '../pool-map/pool-map.js';
import { Der } from '../wire/errors.js';
import { groupLeader, readShard, readShards, writeShards } from './shard-choice.js';

function group(...statuses: ShardStatus[]): ShardLocation[] {
  return statuses.map((status, j) => ({ shard: 3 + j, group: 1, rank: j as Rank, target: 0, status }));
}

describe('shard choice', () => {
  it('write: healthy and rebuilding shards, not unavailable ones', () => {
    expect(writeShards(group('healthy', 'rebuilding', 'unavailable')).map((shard) => shard.shard)).toEqual([3, 4]);
  });

  it('write: no healthy shard -> DATA_LOSS', () => {
    expect(() => writeShards(group('rebuilding', 'unavailable'))).toThrow(expect.objectContaining({ der: Der.DATA_LOSS }));
  });

  it('leader: first healthy shard', () => {
    expect(groupLeader(group('rebuilding', 'healthy', 'healthy')).shard).toBe(4);
  });

  it('read: healthy shards by preference of their rank, highest first, ties in group order', () => {
    const shards = group('healthy', 'rebuilding', 'healthy', 'healthy');
    const byRank = (scores: number[]) => (rank: Rank): number => scores[rank]!;
    expect(readShards(shards, byRank([1, 9, 2, 3])).map((shard) => shard.shard)).toEqual([6, 5, 3]);
    expect(readShards(shards, byRank([5, 0, 0, 7])).map((shard) => shard.shard)).toEqual([6, 3, 5]);
    expect(readShards(shards, () => 0).map((shard) => shard.shard)).toEqual([3, 5, 6]);
    expect(readShard(shards, byRank([1, 9, 2, 3])).shard, 'the rebuilding shard never, however preferred').toBe(6);
    expect(readShard(shards, () => 0).shard).toBe(3);
    expect(readShard(shards, byRank([-9, -1, -5, -3])).shard, 'preferences below zero (engines busy)').toBe(6);
    expect(readShards(shards, byRank([-9, -1, -5, -3])).map((shard) => shard.shard)).toEqual([6, 5, 3]);
  });

  it('read: only rebuilding shards -> DATA_LOSS', () => {
    expect(() => readShards(group('rebuilding'), () => 0)).toThrow(expect.objectContaining({ der: Der.DATA_LOSS }));
    expect(() => readShard(group('rebuilding', 'unavailable'), () => 0)).toThrow(expect.objectContaining({ der: Der.DATA_LOSS }));
  });
});
