/**
 * Writing one redundancy group: an update or punch goes to every shard that takes writes (healthy or
 * rebuilding), in parallel, and succeeds only when all of them acknowledged; at least one must be healthy
 * (else DATA_LOSS). A conditional write (insert/update-if-exists/punch-if-exists) is first sent, with its
 * condition, to the group leader alone; only once the leader accepted it are the other replicas written,
 * at the same epoch and unconditionally — so of two racing conditional inserts exactly one wins. The
 * WriteState remembers that the leader accepted, so a retry after a replica failure does not test the
 * condition again (it would now fail against our own write).
 */
import type { ObjectLayout, ShardLocation } from '../placement/placement.js';
import type { RpcDef } from '../wire/rpc-def.js';
import type { ObjectCore, ShardAddress } from './object-core.js';
import { settleInOrder } from './bounded-parallel.js';
import { groupLeader, writeShards } from './shard-choice.js';

/** Carried across the attempts of one write. */
export interface WriteState {
  conditionPassed: boolean;
}

export function newWriteState(): WriteState {
  return { conditionPassed: false };
}

export interface GroupWrite<Req extends ShardAddress> {
  readonly def: RpcDef<Req, unknown>;
  readonly layout: ObjectLayout;
  readonly shards: readonly ShardLocation[];
  /** The body as the leader gets it (with the condition, if any). */
  readonly body: Omit<Req, keyof ShardAddress>;
  /** The body for the other replicas once the leader accepted; undefined for unconditional writes. */
  readonly plainBody: Omit<Req, keyof ShardAddress> | undefined;
}

/** Sends the write to the group as described above; throws the first failure in shard order. */
export async function writeGroup<Req extends ShardAddress>(core: ObjectCore, write: GroupWrite<Req>, state: WriteState): Promise<void> {
  const targets = writeShards(write.shards);
  if (write.plainBody === undefined) {
    await sendAll(core, write, targets, write.body);
    return;
  }
  if (state.conditionPassed) {
    await sendAll(core, write, targets, write.plainBody);
    return;
  }
  const leader = groupLeader(write.shards);
  await core.send(write.def, leader, core.request<Req>(write.layout, leader, write.body));
  state.conditionPassed = true;
  await sendAll(core, write, targets.filter((shard) => shard !== leader), write.plainBody);
}

/** Every shard of `targets` in parallel; waits for all, then throws the first failure (shard order). */
async function sendAll<Req extends ShardAddress>(
  core: ObjectCore,
  write: GroupWrite<Req>,
  targets: readonly ShardLocation[],
  body: Omit<Req, keyof ShardAddress>,
): Promise<void> {
  if (targets.length === 1) {
    const shard = targets[0]!;
    await core.send(write.def, shard, core.request<Req>(write.layout, shard, body));
    return;
  }
  await settleInOrder(targets.map((shard) => core.send(write.def, shard, core.request<Req>(write.layout, shard, body))));
}
