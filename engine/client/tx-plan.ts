/**
 * Commit planning, pure: which targets take part in a transaction and what each one prepares. An
 * operation on a dkey goes to every shard of the dkey's redundancy group that takes writes (healthy or
 * rebuilding, as non-transactional writes do); an object punch to every such shard of every group. Its
 * conditions go to the group leader (first healthy shard) only, which decides them for the group as in
 * replication.ts; the other replicas prepare the operation unconditionally (and are locked all the same).
 * Participants are ordered by (rank, target); the first one is the coordinator. Operations keep their
 * buffered order within each participant.
 */
import { TARGETS_PER_ENGINE_MAX } from '../constants.js';
import { type Oid, oidToBytes } from '../placement/oid.js';
import { type ObjectLayout, type ShardLocation, dkeyGroup, groupShards } from '../placement/placement.js';
import type { Rank } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';
import { TX_OPS_PER_TARGET_MAX, type TxOpBody } from '../wire/rpc/tx.js';
import { groupLeader, writeShards } from './shard-choice.js';
import type { TxBufferedOp } from './tx-ops.js';

/** One target of the transaction and the operations it prepares. */
export interface TxParticipant {
  readonly rank: Rank;
  readonly target: number;
  readonly ops: TxOpBody[];
}

/** The participant that records the decision. */
export interface TxCoordinator {
  readonly rank: Rank;
  readonly target: number;
}

export interface TxPlan {
  /** The pool map version every layout of the plan came from. */
  readonly mapVersion: number;
  /** In (rank, target) order; never empty. */
  readonly participants: readonly TxParticipant[];
  readonly coordinator: TxCoordinator;
}

/** The shards one operation writes, each with whether it gets the conditions (the group leader). */
function opShards(op: TxBufferedOp, layout: ObjectLayout): Array<{ shard: ShardLocation; leader: boolean }> {
  const groups = op.dkey === undefined
    ? Array.from({ length: layout.groupCount }, (_, group) => group)
    : [dkeyGroup(op.dkey, layout.groupCount)];
  const chosen: Array<{ shard: ShardLocation; leader: boolean }> = [];
  for (const group of groups) {
    const shards = groupShards(layout, group);
    const leader = groupLeader(shards);
    for (const shard of writeShards(shards)) chosen.push({ shard, leader: shard === leader });
  }
  return chosen;
}

/** The wire form of `op` for one shard; conditions only for the leader. */
export function opBody(op: TxBufferedOp, oid: Buffer, shard: number, leader: boolean): TxOpBody {
  if (op.type === 'update') {
    const body: TxOpBody = { type: 'update', oid, shard, dkey: op.dkey, iods: [...op.iods] };
    if (leader && op.dkeyCond !== undefined) body.dkeyCond = op.dkeyCond;
    if (leader && op.akeyCond !== undefined) body.akeyCond = op.akeyCond;
    return body;
  }
  const body: TxOpBody = { type: 'punch', oid, shard };
  if (op.dkey !== undefined) body.dkey = op.dkey;
  if (op.akeys !== undefined) body.akeys = [...op.akeys];
  if (leader && op.ifExists === true) body.ifExists = true;
  return body;
}

/**
 * Groups `ops` by participant target under the layouts `layoutOf` gives (all from map `mapVersion`).
 * Throws DATA_LOSS when a group has no healthy shard, OVERFLOW when one target would get more than
 * TX_OPS_PER_TARGET_MAX operations, INVAL when there is nothing to plan.
 */
export function planCommit(ops: readonly TxBufferedOp[], layoutOf: (oid: Oid) => ObjectLayout, mapVersion: number): TxPlan {
  if (ops.length === 0) throw new EngineError(Der.INVAL, 'a transaction without writes has nothing to prepare');
  const byTarget = new Map<number, TxParticipant>();
  const oidBytes = new Map<Oid, Buffer>();
  for (const op of ops) {
    const layout = layoutOf(op.oid);
    let oid = oidBytes.get(op.oid);
    if (oid === undefined) oidBytes.set(op.oid, (oid = oidToBytes(op.oid)));
    for (const { shard, leader } of opShards(op, layout)) {
      const key = shard.rank * TARGETS_PER_ENGINE_MAX + shard.target;
      let participant = byTarget.get(key);
      if (participant === undefined) byTarget.set(key, (participant = { rank: shard.rank, target: shard.target, ops: [] }));
      if (participant.ops.length >= TX_OPS_PER_TARGET_MAX) {
        throw new EngineError(Der.OVERFLOW, `more than ${TX_OPS_PER_TARGET_MAX} operations for rank ${shard.rank} target ${shard.target}`);
      }
      participant.ops.push(opBody(op, oid, shard.shard, leader));
    }
  }
  const participants = [...byTarget.entries()].sort((a, b) => a[0] - b[0]).map(([, participant]) => participant);
  const first = participants[0]!;
  return { mapVersion, participants, coordinator: { rank: first.rank, target: first.target } };
}
