/**
 * Whole-object punches of many objects of one container at once (the reaper of removed DFS entries): every
 * writable shard of every group of each object is punched, at one epoch, and the shards on one engine go in
 * one OBJ_MULTI_PUNCH, so a batch of objects costs one RPC per engine instead of one per object and engine.
 * With `ifStored`, the engines leave alone the shards that hold nothing of their object: a small file of a
 * wide class has its bytes on one shard, and the others are spared a punch record each. Like punch, the
 * whole retries on a new map (the shards are placed again) or a conflict; it succeeds once every engine
 * acknowledged its part, else throws the first failure.
 */
import { PUNCHES_PER_MULTI_MAX } from '../constants.js';
import type { Oid } from '../placement/oid.js';
import { type ShardLocation, groupShards } from '../placement/placement.js';
import type { Epoch } from '../wire/epoch.js';
import { OBJ_MULTI_PUNCH } from '../wire/rpc/obj.js';
import { settleInOrder } from './bounded-parallel.js';
import type { ObjectIoContext } from './io-context.js';
import { ObjectCore } from './object-core.js';
import { partsByRank } from './rank-parts.js';
import { retrying, retryingConflicts, writeConflicts } from './retry.js';
import { writeShards } from './shard-choice.js';

export interface PunchManyOptions {
  /** Punch only the shards that hold something of their object (for objects nothing names any more). */
  readonly ifStored?: boolean;
}

/** One shard to punch, and the object it belongs to. */
interface Pick {
  readonly core: ObjectCore;
  readonly shard: ShardLocation;
  readonly mapVersion: number;
}

/** Punches every object of `oids` whole; resolves with the epoch of the punches. */
export async function punchMany(context: ObjectIoContext, oids: readonly Oid[], options: PunchManyOptions = {}): Promise<Epoch> {
  const cores = oids.map((oid) => new ObjectCore(context, oid));
  return retryingConflicts(writeConflicts(undefined, context.pool.hlc), async (epoch) => {
    if (cores.length > 0) await retrying(context.recoveries, () => punchAll(context, cores, epoch, options.ifStored === true));
    return epoch;
  });
}

async function punchAll(context: ObjectIoContext, cores: readonly ObjectCore[], epoch: Epoch, ifStored: boolean): Promise<void> {
  const picks: Pick[] = [];
  for (const core of cores) {
    const layout = core.layout();
    for (let group = 0; group < layout.groupCount; group++) {
      for (const shard of writeShards(groupShards(layout, group))) picks.push({ core, shard, mapVersion: layout.version });
    }
  }
  await settleInOrder(partsByRank(picks, (pick) => pick.shard.rank, PUNCHES_PER_MULTI_MAX).map((part) => {
    const first = part[0]!;
    const request = {
      pool: context.pool.uuid, cont: context.contUuid, mapVersion: first.mapVersion, epoch, ifStored,
      punches: part.map((pick) => ({ oid: pick.core.oidBytes, target: pick.shard.target, shard: pick.shard.shard })),
    };
    return first.core.send(OBJ_MULTI_PUNCH, first.shard, request);
  }));
}
