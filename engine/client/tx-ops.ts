/**
 * The operations a transaction buffers until commit: updates and punches of one object each, in the order
 * the caller issued them (the engines apply one target's operations in that order, at the transaction's
 * one epoch, so a punch followed by an update of the same key leaves the update). Checked here against
 * the wire limits so a bad operation fails when it is buffered, not at prepare. The buffer keeps
 * references to the caller's buffers: they must not change until commit settles.
 */
import { IODS_PER_RPC_MAX, KEY_BYTES_MAX } from '../constants.js';
import type { Oid } from '../placement/oid.js';
import { Der, EngineError } from '../wire/errors.js';
import type { UpdateIodBody } from '../wire/rpc/obj.js';
import { TX_BUFFER_BYTES_MAX, TX_OPS_MAX } from './constants.js';

export interface TxUpdateOp {
  readonly type: 'update';
  readonly oid: Oid;
  readonly dkey: Buffer;
  readonly iods: readonly UpdateIodBody[];
  /** Tested at prepare against the state at the transaction's epoch (not its own earlier writes). */
  readonly dkeyCond?: 'insert' | 'update';
  readonly akeyCond?: 'insert' | 'update';
}

export interface TxPunchOp {
  readonly type: 'punch';
  readonly oid: Oid;
  /** Absent: the whole object. */
  readonly dkey?: Buffer;
  /** With dkey: only these akeys. */
  readonly akeys?: readonly Buffer[];
  readonly ifExists?: boolean;
}

export type TxBufferedOp = TxUpdateOp | TxPunchOp;

/** Bytes an operation adds to a prepare body, keys and values (framing is covered by the constants' margin). */
export function opBytes(op: TxBufferedOp): number {
  if (op.type === 'punch') return (op.dkey?.length ?? 0) + (op.akeys ?? []).reduce((sum, akey) => sum + akey.length, 0);
  let bytes = op.dkey.length;
  for (const iod of op.iods) {
    bytes += iod.akey.length;
    if (iod.type === 'single') bytes += iod.value.length;
    else bytes += iod.data?.length ?? 0;
  }
  return bytes;
}

function checkKey(key: Buffer, what: string): void {
  if (key.length === 0 || key.length > KEY_BYTES_MAX) throw new EngineError(Der.INVAL, `${what} length ${key.length} outside 1..${KEY_BYTES_MAX}`);
}

/** Throws INVAL for an operation the engines would refuse as malformed. */
export function checkOp(op: TxBufferedOp): void {
  if (op.type === 'update') {
    checkKey(op.dkey, 'dkey');
    if (op.iods.length === 0 || op.iods.length > IODS_PER_RPC_MAX) throw new EngineError(Der.INVAL, `an update carries 1..${IODS_PER_RPC_MAX} iods`);
    for (const iod of op.iods) checkKey(iod.akey, 'akey');
    return;
  }
  if (op.dkey === undefined && (op.akeys !== undefined || op.ifExists === true)) throw new EngineError(Der.INVAL, 'akeys and ifExists need a dkey');
  if (op.dkey !== undefined) checkKey(op.dkey, 'dkey');
  if (op.akeys !== undefined) {
    if (op.akeys.length === 0 || op.akeys.length > IODS_PER_RPC_MAX) throw new EngineError(Der.INVAL, `a punch names 1..${IODS_PER_RPC_MAX} akeys`);
    for (const akey of op.akeys) checkKey(akey, 'akey');
  }
}

/** The ordered operations of one transaction, bounded in count and bytes. */
export class TxOpBuffer {
  readonly #ops: TxBufferedOp[] = [];
  #bytes = 0;

  get ops(): readonly TxBufferedOp[] {
    return this.#ops;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Appends `op`; INVAL when malformed, OVERFLOW past TX_OPS_MAX operations or TX_BUFFER_BYTES_MAX bytes. */
  add(op: TxBufferedOp): void {
    checkOp(op);
    const bytes = opBytes(op);
    if (this.#ops.length >= TX_OPS_MAX) throw new EngineError(Der.OVERFLOW, `a transaction buffers at most ${TX_OPS_MAX} operations`);
    if (this.#bytes + bytes > TX_BUFFER_BYTES_MAX) throw new EngineError(Der.OVERFLOW, `a transaction buffers at most ${TX_BUFFER_BYTES_MAX} bytes`);
    this.#ops.push(op);
    this.#bytes += bytes;
  }

  clear(): void {
    this.#ops.length = 0;
    this.#bytes = 0;
  }
}
