/**
 * KvObject: a key-value map over one MULTI_LEXICAL object (DAOS daos_kv_*). Each key is a dkey (so keys
 * spread over the object's redundancy groups) holding one single-value akey "v". Keys are strings (UTF-8)
 * or bytes, 1..KEY_BYTES_MAX long. `put` with cond 'insert' fails with Der.EXIST when the key exists,
 * 'update' with Der.NONEXIST when it does not; conditional puts on replicated objects are decided by the
 * group leader, so racing inserts of one key have exactly one winner.
 */
import { KEY_BYTES_MAX, LIST_KEYS_PER_RPC_MAX } from '../constants.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { ListAnchor } from './anchor.js';
import type { KeyList, ObjectHandle } from './object.js';

/** The akey under which each entry's value is stored. */
export const KV_VALUE_AKEY = Buffer.from('v');

export type KvKey = string | Uint8Array;

export function kvKeyBytes(key: KvKey): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (bytes.length === 0 || bytes.length > KEY_BYTES_MAX) throw new EngineError(Der.INVAL, `key length ${bytes.length} outside 1..${KEY_BYTES_MAX}`);
  return bytes;
}

export class KvObject {
  readonly object: ObjectHandle;

  constructor(object: ObjectHandle) {
    this.object = object;
  }

  /** Stores `value` under `key`; resolves with the write's epoch. */
  put(key: KvKey, value: Buffer, options: { cond?: 'insert' | 'update'; epoch?: Epoch } = {}): Promise<Epoch> {
    const update = { dkey: kvKeyBytes(key), iods: [{ type: 'single' as const, akey: KV_VALUE_AKEY, value }] };
    return this.object.update({
      ...update,
      ...(options.cond === undefined ? {} : { dkeyCond: options.cond }),
      ...(options.epoch === undefined ? {} : { epoch: options.epoch }),
    });
  }

  /** The value under `key`, or null when there is none (never written, or removed). */
  async get(key: KvKey, options: { epoch?: Epoch } = {}): Promise<Buffer | null> {
    const fetch = { dkey: kvKeyBytes(key), iods: [{ type: 'single' as const, akey: KV_VALUE_AKEY }] };
    const [value] = await this.object.fetch(options.epoch === undefined ? fetch : { ...fetch, epoch: options.epoch });
    return value !== undefined && value.type === 'single' ? value.value : null;
  }

  /** Removes `key` (a dkey punch). ifExists: fail with Der.NONEXIST when the key is absent. */
  remove(key: KvKey, options: { ifExists?: boolean } = {}): Promise<Epoch> {
    return this.object.punch({ dkey: kvKeyBytes(key), ...(options.ifExists === true ? { ifExists: true } : {}) });
  }

  /** Up to `limit` keys from `anchor` (lexical order within each group). */
  list(options: { anchor?: ListAnchor; limit?: number } = {}): Promise<KeyList> {
    const limit = options.limit ?? LIST_KEYS_PER_RPC_MAX;
    return this.object.listDkeys(options.anchor === undefined ? { limit } : { anchor: options.anchor, limit });
  }

  /** Every key, listing until the end. */
  async keys(): Promise<Buffer[]> {
    const keys: Buffer[] = [];
    let anchor: ListAnchor | undefined;
    do {
      const page: KeyList = await this.list(anchor === undefined ? {} : { anchor });
      keys.push(...page.keys);
      anchor = page.anchor;
    } while (!anchor.eof);
    return keys;
  }
}
