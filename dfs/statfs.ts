/**
 * Filesystem space (statfs): from one pool query, summing capacity and use over the targets that
 * answered. A target created without a capacity limit (0) has no fixed size: the pool then reports
 * UNLIMITED_FREE_BYTES free on top of what is used, and `unlimited` is set.
 */
import { NAME_BYTES_MAX } from './constants.js';
import type { DfsMount } from './mount.js';

/** Free space reported for pools whose targets have no capacity limit. */
export const UNLIMITED_FREE_BYTES = 2 ** 50;
export const STATFS_BLOCK_BYTES = 4096;

export interface DfsStatfs {
  readonly blockSizeBytes: number;
  readonly totalBytes: number;
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly blocks: number;
  readonly blocksFree: number;
  readonly nameBytesMax: number;
  /** Some target has no capacity limit. */
  readonly unlimited: boolean;
}

export async function statfs(mount: DfsMount): Promise<DfsStatfs> {
  const query = await mount.pool.query();
  let capacity = 0;
  let used = 0;
  let unlimited = false;
  for (const target of query.targets) {
    used += target.usedBytes;
    if (target.capacityBytes === 0) unlimited = true;
    else capacity += target.capacityBytes;
  }
  const totalBytes = unlimited ? used + UNLIMITED_FREE_BYTES : capacity;
  const freeBytes = Math.max(0, totalBytes - used);
  return {
    blockSizeBytes: STATFS_BLOCK_BYTES, totalBytes, usedBytes: used, freeBytes,
    blocks: Math.floor(totalBytes / STATFS_BLOCK_BYTES), blocksFree: Math.floor(freeBytes / STATFS_BLOCK_BYTES),
    nameBytesMax: NAME_BYTES_MAX, unlimited,
  };
}
