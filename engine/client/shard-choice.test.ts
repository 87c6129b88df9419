import { describe, expect, it } from 'vitest';
import type { ShardLocation, ShardStatus } from '../placement/placement.js';
import type { Rank } from '../pool-map/pool-map.js';
import { Der } from '../wire/errors.js';
import { groupLeader, readShards, writeShards } from './shard-choice.js';

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

  it('read: healthy shards rotated by the index', () => {
    const shards = group('healthy', 'rebuilding', 'healthy', 'healthy');
    expect(readShards(shards, 0).map((shard) => shard.shard)).toEqual([3, 5, 6]);
    expect(readShards(shards, 1).map((shard) => shard.shard)).toEqual([5, 6, 3]);
    expect(readShards(shards, 5).map((shard) => shard.shard)).toEqual([6, 3, 5]);
  });

  it('read: every rotation starts on a different replica', () => {
    const shards = group('healthy', 'healthy', 'healthy');
    const firsts = new Set([0, 1, 2].map((rotation) => readShards(shards, rotation)[0]!.shard));
    expect(firsts.size).toBe(3);
  });

  it('read: only rebuilding shards -> DATA_LOSS', () => {
    expect(() => readShards(group('rebuilding'), 0)).toThrow(expect.objectContaining({ der: Der.DATA_LOSS }));
  });
});
