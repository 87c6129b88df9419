/**
 * The durable format of the engine's own files (not VOS data): engine.json at the engine dir root, and
 * pool.json, map.json, retained.json in each pool directory. Each *Layout type is the JSON at rest and
 * has a guard used on every read; these types are never used as in-memory state. Changing a field means
 * bumping ENGINE_LAYOUT_VERSION (adding an optional one that older files lack does not). map.json holds
 * a pool map in exactly its wire shape (engine/wire).
 */
import type { PoolMap } from '../pool-map/pool-map.js';
import { poolMap as poolMapSchema } from '../wire/rpc/common.js';
import { RECLAIM_POLICIES, type ReclaimPolicy } from '../wire/rpc/pool.js';

export const ENGINE_LAYOUT_VERSION = 1;

/** An engine directory is made its owner's alone when first claimed (its owner: the engine's user, and root). */
export const ENGINE_DIR_MODE = 0o700;

/** engine.json: which rank owns this directory. */
export interface EngineRecordLayout {
  readonly layoutVersion: number;
  readonly rank: number;
}

/** pool.json: the pool's shape on this engine, fixed at create. */
export interface PoolRecordLayout {
  readonly uuid: string;
  readonly targets: number;
  /** 0 means no quota. */
  readonly capacityBytesPerTarget: number;
  /** The pool's reclaim property; absent in pools created before it existed ('lazy'). */
  readonly reclaim?: ReclaimPolicy;
}

/** retained.json: container uuid -> snapshot epochs. */
export type RetainedLayout = Record<string, number[]>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isEngineRecordLayout(value: unknown): value is EngineRecordLayout {
  return isRecord(value) && isCount(value['layoutVersion']) && isCount(value['rank']);
}

export function isPoolRecordLayout(value: unknown): value is PoolRecordLayout {
  return isRecord(value) && typeof value['uuid'] === 'string' && isCount(value['targets']) && value['targets'] > 0 &&
    isCount(value['capacityBytesPerTarget']) &&
    (value['reclaim'] === undefined || RECLAIM_POLICIES.includes(value['reclaim'] as ReclaimPolicy));
}

export function isRetainedLayout(value: unknown): value is RetainedLayout {
  return isRecord(value) && Object.values(value).every((epochs) => Array.isArray(epochs) && epochs.every(isCount));
}

/** A pool map at rest: the same checks the wire applies to a map in an RPC body. */
export function isPoolMapLayout(value: unknown): value is PoolMap {
  try {
    poolMapSchema.check(value, 'map.json');
    return true;
  } catch {
    return false;
  }
}
