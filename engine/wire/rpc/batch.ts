/**
 * Several RPCs to one engine in one HTTP/2 stream (the client coalesces calls issued in the same turn of
 * its event loop: a fan-out over an object's groups, replicas' writes from concurrent operations). Each
 * call is an ordinary RPC (its opcode and its msgpack body, validated by the engine as if it had come
 * alone) and gets its own answer (status + body, as a lone stream would carry), in order. One stream
 * instead of N saves the per-stream cost that dominates small RPCs on both sides (stream objects,
 * headers, node's per-request async bookkeeping). A batch never nests: rpc_batch is not a call's opcode.
 */
import { RPC_BATCH_CALLS_MAX, RPC_BATCH_CALL_BYTES_MAX, RPC_BODY_BYTES_MAX } from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';

const OPCODE_BYTES_MAX = 64;

export const RPC_BATCH = defineRpc(
  'rpc_batch',
  t.object({ calls: t.array(t.object({ opcode: t.str(OPCODE_BYTES_MAX, 1), body: t.bytes(RPC_BATCH_CALL_BYTES_MAX) }), RPC_BATCH_CALLS_MAX) }),
  t.object({ answers: t.array(t.object({ status: t.uint(), body: t.bytes(RPC_BODY_BYTES_MAX) }), RPC_BATCH_CALLS_MAX) }),
);

export type BatchAnswerBody = Infer<typeof RPC_BATCH.response>['answers'][number];
