/**
 * The durable layout of DTX in the target's vos.sqlite (same database as the data, so recording intents,
 * applying them and dropping them are each one sqlite transaction with the versions they produce):
 *   dtx_intents    one row per TX_PREPARE accepted: txid, a digest of its ops (idempotent retries), container,
 *                  epoch, coordinator, wall time, and the ops themselves (msgpack, `IntentOpLayout[]`)
 *   dtx_decisions  the coordinator's decisions: txid -> commit | abort, epoch, wall time (first one wins);
 *                  indexed by (decision, wall time) for aging aborts out
 * Conditions (dkeyCond, akeyCond, ifExists) are not stored: they are checked at prepare and never again.
 * Part of VOS layout version 2 (schema.ts upgrades a version 1 store in place by creating these tables).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decode, encode } from '../../wire/codec.js';
import type { UpdateIod } from '../operation.js';
import type { DtxDecision, DtxOp } from './operation.js';

export const DTX_DDL = `
CREATE TABLE IF NOT EXISTS dtx_intents (
  id INTEGER PRIMARY KEY, txid BLOB NOT NULL, digest BLOB NOT NULL, cont TEXT NOT NULL, epoch INTEGER NOT NULL,
  coord_rank INTEGER NOT NULL, coord_target INTEGER NOT NULL, prepared_ms INTEGER NOT NULL, ops BLOB NOT NULL,
  UNIQUE (txid, digest));
CREATE TABLE IF NOT EXISTS dtx_decisions (
  txid BLOB PRIMARY KEY, decision INTEGER NOT NULL, epoch INTEGER NOT NULL, decided_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dtx_decisions_by_age ON dtx_decisions (decision, decided_ms);
`;

/** dtx_decisions.decision */
export const DecisionCode = { commit: 1, abort: 2 } as const;
export type DecisionCodeValue = (typeof DecisionCode)[keyof typeof DecisionCode];

export function decisionCodeOf(decision: DtxDecision): DecisionCodeValue {
  return decision === 'commit' ? DecisionCode.commit : DecisionCode.abort;
}

export function decisionOfCode(code: number): DtxDecision {
  assert.ok(code === DecisionCode.commit || code === DecisionCode.abort, `bad dtx decision code ${code}`);
  return code === DecisionCode.commit ? 'commit' : 'abort';
}

/** dtx_intents row. */
export interface IntentRowLayout {
  id: number;
  txid: Buffer;
  digest: Buffer;
  cont: string;
  epoch: number;
  coord_rank: number;
  coord_target: number;
  prepared_ms: number;
  ops: Buffer;
}

/** dtx_decisions row. */
export interface DecisionRowLayout {
  decision: number;
  epoch: number;
  decided_ms: number;
}

/** One stored op: what applying it needs, nothing more. Nulls stand for absent fields (msgpack nil). */
export type IntentOpLayout =
  | { t: 'u'; oid: Buffer; shard: number; dkey: Buffer; iods: UpdateIod[] }
  | { t: 'p'; oid: Buffer; shard: number; dkey: Buffer | null; akeys: Buffer[] | null };

function toLayout(op: DtxOp): IntentOpLayout {
  if (op.type === 'update') return { t: 'u', oid: op.oid, shard: op.shard, dkey: op.dkey, iods: op.iods.map(iodLayout) };
  return { t: 'p', oid: op.oid, shard: op.shard, dkey: op.dkey ?? null, akeys: op.akeys ?? null };
}

/** The iod with its fields in one fixed order, so equal iods encode to equal bytes (digests). */
function iodLayout(iod: UpdateIod): UpdateIod {
  if (iod.type === 'single') return { akey: iod.akey, type: 'single', value: iod.value };
  return { akey: iod.akey, type: 'array', recordSize: iod.recordSize, extents: iod.extents.map((e) => ({ index: e.index, count: e.count })), data: iod.data };
}

/** The ops as stored, and the digest that identifies this prepare of the transaction. */
export function encodeIntentOps(cont: string, ops: readonly DtxOp[]): { bytes: Buffer; digest: Buffer } {
  const bytes = encode(ops.map(toLayout));
  const digest = createHash('sha256').update(cont).update('\u0000').update(bytes).digest();
  return { bytes, digest };
}

/** Decodes stored ops (written by encodeIntentOps in the same store; a malformed row is a bug: asserts). */
export function decodeIntentOps(bytes: Buffer): IntentOpLayout[] {
  const value = decode(bytes);
  assert.ok(Array.isArray(value), 'dtx_intents.ops is not an array');
  for (const op of value as unknown[]) {
    const tag = (op as { t?: unknown } | null)?.t;
    assert.ok(tag === 'u' || tag === 'p', 'dtx_intents.ops holds an unknown op');
  }
  return value as IntentOpLayout[];
}
