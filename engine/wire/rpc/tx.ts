/**
 * Distributed transaction RPCs (DAOS DTX, simplified; see ../../server/tx/README.md).
 * A transaction has one epoch and a 16-byte id. The client buffers its writes, then:
 *   1. TX_PREPARE to every participant target (each replica of each touched redundancy group) with that
 *      target's operations: the target checks conflicts and conditions, durably records the operations as
 *      prepared intents (locking their keys), and answers; TX_RESTART on conflict, EXIST/NONEXIST when a
 *      condition fails.
 *   2. TX_DECIDE to the coordinator (one participant target named in every prepare): the first decision
 *      recorded for a txid wins and is durable before the answer; the answer says which one won.
 *   3. TX_COMMIT to every participant with the decision (applied lazily; idempotent; unknown txid = done).
 *      After a commit every other participant acknowledged, the coordinator's TX_COMMIT goes last with
 *      `forget`: it drops its recorded decision, which nobody can ask for any more.
 * A participant that finds an undecided intent (a reader, or its resolver after a timeout or a restart)
 * asks the coordinator with TX_RESOLVE; `abortIfUndecided` makes the coordinator record an abort first.
 */
import { IODS_PER_RPC_MAX, TARGETS_PER_ENGINE_MAX } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { epoch, key, oid, rank, uuid } from './common.js';
import { updateIod } from './obj.js';

/** Operations one transaction may carry to one target. */
export const TX_OPS_PER_TARGET_MAX = 4096;

export const txid = t.bytes(16, 16);

/** Where the coordinator lives: a target of an engine. */
export const txCoordinator = t.object({ rank, target: t.uint(TARGETS_PER_ENGINE_MAX - 1) });
export type TxCoordinatorBody = Infer<typeof txCoordinator>;

const shardRef = { oid, shard: t.uint(0xffff * 16) };

/** One buffered operation of a transaction, addressed to one object shard of the receiving target. */
export const txOp = t.variant('type', {
  update: t.object({
    type: t.literal('update'),
    ...shardRef,
    dkey: key,
    iods: t.array(updateIod, IODS_PER_RPC_MAX),
    dkeyCond: t.optional(t.literal('insert', 'update')),
    akeyCond: t.optional(t.literal('insert', 'update')),
  }),
  punch: t.object({
    type: t.literal('punch'),
    ...shardRef,
    dkey: t.optional(key),
    akeys: t.optional(t.array(key, IODS_PER_RPC_MAX)),
    ifExists: t.optional(t.bool()),
  }),
});
export type TxOpBody = Infer<typeof txOp>;

const txTarget = { pool: uuid, cont: uuid, target: t.uint(TARGETS_PER_ENGINE_MAX - 1), txid };

export const TX_PREPARE = defineRpc(
  'tx_prepare',
  t.object({ ...txTarget, mapVersion: t.uint(), epoch, coordinator: txCoordinator, ops: t.array(txOp, TX_OPS_PER_TARGET_MAX) }),
  t.object({}),
);

export const txDecision = t.literal('commit', 'abort');
export type TxDecision = Infer<typeof txDecision>;

export const TX_DECIDE = defineRpc(
  'tx_decide',
  t.object({ ...txTarget, epoch, decision: txDecision }),
  t.object({ decision: txDecision }),
);

export const TX_COMMIT = defineRpc('tx_commit', t.object({ ...txTarget, decision: txDecision, forget: t.optional(t.bool()) }), t.object({}));

export const TX_RESOLVE = defineRpc(
  'tx_resolve',
  t.object({ ...txTarget, abortIfUndecided: t.bool() }),
  t.object({ decision: t.literal('commit', 'abort', 'undecided') }),
);

/** Arms a crash point on this engine (fault-injection tests only; refused unless TSDAOS_FAULTS=1). */
export const ENGINE_FAULT_SET = defineRpc(
  'engine_fault_set',
  t.object({ point: t.str(128, 1), after: t.uint() }),
  t.object({}),
);
