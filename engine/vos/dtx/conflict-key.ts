/**
 * Conflict keys: the strings that name what a read or a write touches, for the in-memory lock index and
 * read-timestamp cache. Granularity (README "Conflict granularity"): an object shard (cont, oid, shard),
 * and a dkey inside it. Keys are bounded in size whatever the dkey length (long dkeys are hashed), so the
 * memory of both maps is bounded by their entry caps. A transaction id maps to its hex string.
 */
import { createHash } from 'node:crypto';
import type { DtxKeyRef, Txid } from './operation.js';

/** Dkeys up to this many bytes appear verbatim in keys; longer ones by their SHA-256. */
const VERBATIM_DKEY_BYTES_MAX = 48;

/** Names one object shard. */
export type ObjectConflictKey = string & { readonly __brand: 'ObjectConflictKey' };
/** Names one dkey of one object shard. */
export type DkeyConflictKey = string & { readonly __brand: 'DkeyConflictKey' };
/** Names one transaction (its txid in hex). */
export type TxKey = string & { readonly __brand: 'TxKey' };

export function objectConflictKey(ref: { cont: string; oid: Buffer; shard: number }): ObjectConflictKey {
  return `${ref.cont}/${ref.oid.toString('hex')}/${ref.shard}` as ObjectConflictKey;
}

export function dkeyConflictKey(object: ObjectConflictKey, dkey: Buffer): DkeyConflictKey {
  const name = dkey.length <= VERBATIM_DKEY_BYTES_MAX
    ? `k${dkey.toString('latin1')}`
    : `h${createHash('sha256').update(dkey).digest('base64')}`;
  return `${object}|${name}` as DkeyConflictKey;
}

export function txKeyOf(txid: Txid): TxKey {
  return txid.toString('hex') as TxKey;
}

/** The keys a reference names: always its object, and its dkey when it has one. */
export interface ConflictKeys {
  readonly object: ObjectConflictKey;
  readonly dkey: DkeyConflictKey | undefined;
}

export function conflictKeysOf(ref: DtxKeyRef): ConflictKeys {
  const object = objectConflictKey(ref);
  return { object, dkey: ref.dkey === undefined ? undefined : dkeyConflictKey(object, ref.dkey) };
}
