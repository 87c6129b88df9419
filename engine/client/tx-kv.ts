/**
 * TxKv: the KvObject view (kv.ts: one dkey per key, value under akey "v") inside a transaction. put and
 * remove are buffered in the transaction; get sees the transaction's own puts and removes first;
 * keys() lists at the transaction's epoch with its own writes applied. Conditions (`cond`, `ifExists`)
 * are tested at commit, against the state at the transaction's epoch.
 */
import type { Oid } from '../placement/oid.js';
import { KV_VALUE_AKEY, type KvKey, kvKeyBytes } from './kv.js';
import type { Tx } from './tx.js';

export class TxKv {
  readonly tx: Tx;
  readonly oid: Oid;

  constructor(tx: Tx, oid: Oid) {
    this.tx = tx;
    this.oid = oid;
  }

  /** Buffers `value` under `key`. cond 'insert': commit fails with EXIST if the key exists; 'update': NONEXIST if not. */
  put(key: KvKey, value: Buffer, options: { cond?: 'insert' | 'update' } = {}): void {
    const update = { dkey: kvKeyBytes(key), iods: [{ type: 'single' as const, akey: KV_VALUE_AKEY, value }] };
    this.tx.update(this.oid, options.cond === undefined ? update : { ...update, dkeyCond: options.cond });
  }

  /** The value under `key` as the transaction sees it, or null. */
  async get(key: KvKey): Promise<Buffer | null> {
    const [value] = await this.tx.fetch(this.oid, { dkey: kvKeyBytes(key), iods: [{ type: 'single', akey: KV_VALUE_AKEY }] });
    return value !== undefined && value.type === 'single' ? value.value : null;
  }

  /** Buffers the removal of `key`. ifExists: commit fails with NONEXIST when the key is absent. */
  remove(key: KvKey, options: { ifExists?: boolean } = {}): void {
    this.tx.punch(this.oid, { dkey: kvKeyBytes(key), ...(options.ifExists === true ? { ifExists: true } : {}) });
  }

  /** Every key as the transaction sees it. */
  keys(): Promise<Buffer[]> {
    return this.tx.listDkeys(this.oid);
  }
}
