/**
 * Enumeration and max-key queries of one object: dkeys are listed group by group (each group read from one
 * healthy replica), resuming from a ListAnchor (anchor.ts), optionally with values fetched under each key
 * and each key's akeys; akeys of a dkey come from the dkey's group only; queryMax asks every group at once
 * (one collective RPC per engine) and keeps the greatest dkey in byte order. Each RPC runs inside the
 * container's recovery wrappers (and waits out transactions' intents, retryingConflicts); a listing that
 * spans groups retries per RPC, not as a whole; a query retries as a whole. `txid` tags the reads of a
 * transaction.
 */
import { LISTED_DKEY_AKEYS_MAX, LIST_KEYS_PER_RPC_MAX } from '../constants.js';
import { dkeyGroup, groupShards } from '../placement/placement.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { type FetchIodBody, type FetchValueBody, OBJ_COLL_QUERY_MAX, OBJ_LIST_AKEYS, OBJ_LIST_DKEYS, OBJ_QUERY_MAX } from '../wire/rpc/obj.js';
import type { RpcRequest, RpcResponse } from '../wire/rpc-def.js';
import { type ListAnchor, advanceAnchor, anchorCursor, checkAnchor, groupAnchor, startAnchor } from './anchor.js';
import type { ObjectCore, ShardAddress } from './object-core.js';
import { fixedEpochConflicts, retrying, retryingConflicts } from './retry.js';
import { isUnreachable } from './shard-error.js';

export interface KeyList {
  readonly keys: Buffer[];
  /** Where to resume; `anchor.eof` once everything was listed. */
  readonly anchor: ListAnchor;
}

/**
 * A dkey listing that fetched `iods` under each key: `values[i]` answers `keys[i]` as a fetch would; with
 * `akeysMax`, `akeys[i]` are the akeys of `keys[i]`, or null when it has more than akeysMax.
 */
export interface KeyValueList extends KeyList {
  readonly values: FetchValueBody[][];
  readonly akeys: Array<Buffer[] | null>;
}

export interface MaxKey {
  /** The greatest dkey holding the akey, or null when none does (always null for an epoch-only query). */
  readonly dkey: Buffer | null;
  /** End (index + count) of the akey's highest extent under that dkey; 0 for single values or none. */
  readonly end: number;
  /** Newest epoch of any write the query saw (for stat times). */
  readonly maxEpoch: number;
}

type ListDef = typeof OBJ_LIST_DKEYS | typeof OBJ_LIST_AKEYS;

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new EngineError(Der.INVAL, `list limit must be a positive integer, got ${limit}`);
}

/**
 * Lists up to `limit` keys starting at `anchor` with `def`: keeps calling the engine while keys are
 * wanted and the anchor has not reached eof. Calls are bounded: at most one empty answer per group plus
 * one call per key wanted.
 */
async function listKeys(
  core: ObjectCore,
  options: {
    def: ListDef; anchor: ListAnchor; limit: number; epoch: Epoch; dkey?: Buffer; txid?: Buffer | undefined;
    iods?: FetchIodBody[] | undefined; akeysMax?: number | undefined;
  },
): Promise<KeyValueList> {
  checkLimit(options.limit);
  const { akeysMax } = options;
  if (akeysMax !== undefined && (!Number.isInteger(akeysMax) || akeysMax < 0 || akeysMax > LISTED_DKEY_AKEYS_MAX)) {
    throw new EngineError(Der.INVAL, `akeysMax must be 0..${LISTED_DKEY_AKEYS_MAX}, got ${akeysMax}`);
  }
  const keys: Buffer[] = [];
  const values: FetchValueBody[][] = [];
  const akeys: Array<Buffer[] | null> = [];
  const extra = { ...(options.iods === undefined ? {} : { iods: options.iods }), ...(akeysMax === undefined ? {} : { akeysMax }) };
  let anchor = options.anchor;
  const callsMax = core.groupCount + options.limit;
  const tag = options.txid === undefined ? {} : { tx: options.txid };
  for (let calls = 0; !anchor.eof && keys.length < options.limit && calls < callsMax; calls++) {
    const group = anchor.group;
    const cursor = anchorCursor(anchor);
    const limit = Math.min(options.limit - keys.length, LIST_KEYS_PER_RPC_MAX);
    const result = await retryingConflicts(fixedEpochConflicts(options.epoch), () => retrying(core.context.recoveries, () => {
      const layout = core.layout();
      const shards = groupShards(layout, group);
      if (options.def === OBJ_LIST_AKEYS) {
        return core.readGroup(OBJ_LIST_AKEYS, layout, shards, { dkey: options.dkey!, epoch: options.epoch, anchor: cursor, limit, ...tag });
      }
      return core.readGroup(OBJ_LIST_DKEYS, layout, shards, { epoch: options.epoch, anchor: cursor, limit, ...tag, ...extra });
    }));
    for (const key of result.keys) keys.push(key);
    const answer = result as RpcResponse<typeof OBJ_LIST_DKEYS>;
    if (options.iods !== undefined) {
      if (answer.values?.length !== result.keys.length) throw new EngineError(Der.PROTO, 'a dkey listing with iods answered without one value list per key');
      for (const list of answer.values) values.push(list);
    }
    if (akeysMax !== undefined) {
      if (answer.akeys?.length !== result.keys.length) throw new EngineError(Der.PROTO, 'a dkey listing with akeysMax answered without one akey list per key');
      for (const list of answer.akeys) akeys.push(list.length > akeysMax ? null : list);
    }
    anchor = advanceAnchor(anchor, result.anchor, core.groupCount);
  }
  return { keys, anchor, values, akeys };
}

export async function listDkeys(core: ObjectCore, options: { anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer }): Promise<KeyList> {
  const anchor = options.anchor === undefined ? startAnchor() : checkAnchor(options.anchor, core.groupCount);
  const epoch = options.epoch ?? core.context.readEpoch;
  const { keys, anchor: next } = await listKeys(core, { def: OBJ_LIST_DKEYS, anchor, limit: options.limit, epoch, txid: options.txid });
  return { keys, anchor: next };
}

/**
 * listDkeys that also fetches `iods` under every key listed and, with `akeysMax`, lists each key's akeys
 * (up to that many), in the same RPCs (one read per group page).
 */
export function listDkeyValues(
  core: ObjectCore, options: { iods: FetchIodBody[]; akeysMax?: number; anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer },
): Promise<KeyValueList> {
  const anchor = options.anchor === undefined ? startAnchor() : checkAnchor(options.anchor, core.groupCount);
  const epoch = options.epoch ?? core.context.readEpoch;
  return listKeys(core, { def: OBJ_LIST_DKEYS, anchor, limit: options.limit, epoch, txid: options.txid, iods: options.iods, akeysMax: options.akeysMax });
}

export async function listAkeys(core: ObjectCore, options: { dkey: Buffer; anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer }): Promise<KeyList> {
  const group = dkeyGroup(options.dkey, core.groupCount);
  const anchor = options.anchor === undefined ? groupAnchor(group) : checkAnchor(options.anchor, core.groupCount);
  if (anchor.group !== group || !anchor.pinned) throw new EngineError(Der.INVAL, 'akey anchor belongs to another dkey');
  const epoch = options.epoch ?? core.context.readEpoch;
  const { keys, anchor: next } = await listKeys(core, { def: OBJ_LIST_AKEYS, anchor, limit: options.limit, epoch, dkey: options.dkey, txid: options.txid });
  return { keys, anchor: next };
}

/**
 * Asks every group for its greatest dkey holding `akey`; the greatest of those wins. `akey` null asks for
 * the object's newest epoch alone (no dkey is searched).
 */
export async function queryMax(core: ObjectCore, options: { akey: Buffer | null; epoch?: Epoch; txid?: Buffer }): Promise<MaxKey> {
  const epoch = options.epoch ?? core.context.readEpoch;
  const body = options.txid === undefined ? { akey: options.akey, epoch } : { akey: options.akey, epoch, tx: options.txid };
  const answers = await retryingConflicts(fixedEpochConflicts(epoch), () => retrying(core.context.recoveries, () => queryEveryGroup(core, body)));
  return greatestMaxKey(answers);
}

/** The answer of an object from its groups' answers: the greatest dkey in byte order, the newest epoch of all. */
export function greatestMaxKey(answers: readonly MaxKey[]): MaxKey {
  let best: MaxKey = { dkey: null, end: 0, maxEpoch: 0 };
  let maxEpoch = 0;
  for (const answer of answers) {
    maxEpoch = Math.max(maxEpoch, answer.maxEpoch);
    if (answer.dkey !== null && (best.dkey === null || Buffer.compare(answer.dkey, best.dkey) > 0)) best = answer;
  }
  return { dkey: best.dkey, end: best.end, maxEpoch };
}

type QueryMaxBody = Omit<RpcRequest<typeof OBJ_QUERY_MAX>, keyof ShardAddress>;

/**
 * One answer per group: one healthy shard of each group is asked, with one collective RPC per engine
 * (DAOS obj_coll_query). The groups of an engine that did not answer are asked shard by shard, each
 * failing over to its other replicas.
 */
async function queryEveryGroup(core: ObjectCore, body: QueryMaxBody): Promise<MaxKey[]> {
  const layout = core.layout();
  const batch = core.readBatch(layout.groupCount);
  const picks = Array.from({ length: layout.groupCount }, (_, group) => core.readShard(groupShards(layout, group), batch));
  const answers = new Array<MaxKey>(layout.groupCount);
  await Promise.all(core.collective<RpcRequest<typeof OBJ_COLL_QUERY_MAX>>(layout, picks, body).map(async (call) => {
    try {
      const result = await core.send(OBJ_COLL_QUERY_MAX, call.shards[0]!, call.request);
      if (result.answers.length !== call.shards.length) throw new EngineError(Der.PROTO, `obj_coll_query_max: ${result.answers.length} answers for ${call.shards.length} shards`);
      call.shards.forEach((shard, index) => { answers[shard.group] = result.answers[index]!; });
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      await Promise.all(call.shards.map(async (shard) => {
        answers[shard.group] = await core.readGroup(OBJ_QUERY_MAX, layout, groupShards(layout, shard.group), body);
      }));
    }
  }));
  return answers;
}
