/**
 * Max-key queries of many objects of one container at once (DFS readdirplus: the size of every file a
 * listing shows). One healthy shard of each group of each object is asked, and the shards on one engine
 * go in one OBJ_MULTI_QUERY_MAX, so a listing's sizes cost one RPC per engine instead of one per object and
 * engine (DAOS asks object by object). The queries an engine did not answer (unreachable) are asked object
 * by object, each group failing over to its other replicas. Like queryMax, the whole retries on a new map
 * or a conflict, and each object's answer is the greatest dkey of its groups.
 */
import { QUERIES_PER_MULTI_MAX } from '../constants.js';
import type { Oid } from '../placement/oid.js';
import { type ObjectLayout, type ShardLocation, groupShards } from '../placement/placement.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { OBJ_MULTI_QUERY_MAX, OBJ_QUERY_MAX } from '../wire/rpc/obj.js';
import type { ObjectIoContext } from './io-context.js';
import { ObjectCore } from './object-core.js';
import { partsByRank } from './rank-parts.js';
import { greatestMaxKey, type MaxKey } from './object-list.js';
import { fixedEpochConflicts, retrying, retryingConflicts } from './retry.js';
import { isUnreachable } from './shard-error.js';

export interface MaxKeyQuery {
  readonly oid: Oid;
  /** null: the object's newest epoch alone (ObjectHandle.queryMax). */
  readonly akey: Buffer | null;
}

/** One group of one object, and the shard of it that is asked. */
interface Pick {
  readonly index: number;
  readonly group: number;
  readonly layout: ObjectLayout;
  readonly shard: ShardLocation;
}

/** queryMax of every query's object, in query order. */
export async function queryMaxMany(context: ObjectIoContext, queries: readonly MaxKeyQuery[], options: { epoch?: Epoch } = {}): Promise<MaxKey[]> {
  if (queries.length === 0) return [];
  const epoch = options.epoch ?? context.readEpoch;
  const cores = queries.map((query) => new ObjectCore(context, query.oid));
  const answers = await retryingConflicts(fixedEpochConflicts(epoch), () => retrying(context.recoveries, () => askAll(context, cores, queries, epoch)));
  return answers.map(greatestMaxKey);
}

async function askAll(context: ObjectIoContext, cores: readonly ObjectCore[], queries: readonly MaxKeyQuery[], epoch: Epoch): Promise<MaxKey[][]> {
  const answers = cores.map((core) => new Array<MaxKey>(core.groupCount));
  const picks: Pick[] = [];
  const batch = cores[0]!.readBatch(cores.reduce((sum, core) => sum + core.groupCount, 0));
  cores.forEach((core, index) => {
    const layout = core.layout();
    for (let group = 0; group < layout.groupCount; group++) picks.push({ index, group, layout, shard: core.readShard(groupShards(layout, group), batch) });
  });
  const parts = partsByRank(picks, (pick) => pick.shard.rank, QUERIES_PER_MULTI_MAX);
  await Promise.all(parts.map(async (part) => {
    const first = part[0]!;
    const request = {
      pool: context.pool.uuid, cont: context.contUuid, mapVersion: first.layout.version, epoch,
      queries: part.map((pick) => ({ oid: cores[pick.index]!.oidBytes, target: pick.shard.target, shard: pick.shard.shard, akey: queries[pick.index]!.akey })),
    };
    try {
      const result = await cores[first.index]!.send(OBJ_MULTI_QUERY_MAX, first.shard, request);
      if (result.answers.length !== part.length) throw new EngineError(Der.PROTO, `obj_multi_query_max: ${result.answers.length} answers for ${part.length} queries`);
      part.forEach((pick, position) => { answers[pick.index]![pick.group] = result.answers[position]!; });
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      await Promise.all(part.map(async (pick) => {
        const body = { akey: queries[pick.index]!.akey, epoch };
        answers[pick.index]![pick.group] = await cores[pick.index]!.readGroup(OBJ_QUERY_MAX, pick.layout, groupShards(pick.layout, pick.group), body);
      }));
    }
  }));
  return answers;
}
