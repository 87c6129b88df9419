/**
 * DFS attributes → the stat and statfs shapes dfuse answers the kernel with (times in ms, 64-bit inode
 * numbers as bigint, block counts that fit 32-bit statfs fields).
 */
import type { DfsStat, DfsStatfs, Timespec } from '../dfs/index.js';
import type { View } from './view.js';

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: bigint;
  rdev: number;
  blksize: number;
  blocks: number;
  /** Milliseconds since the epoch. */
  atime: number;
  mtime: number;
  ctime: number;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

const DIR_BLOCK_SIZE = 4096;
const UINT32_LIMIT = 2 ** 32;

export function timespecMs(time: Timespec): number {
  return time.seconds * 1000 + Math.floor(time.nanoseconds / 1e6);
}

export function toFuseStat(view: View, stat: DfsStat): FuseStat {
  return {
    mode: stat.mode, uid: stat.uid, gid: stat.gid, size: stat.size, nlink: stat.nlink, ino: view.inoOf(stat.ino),
    rdev: stat.rdev ?? 0,
    blksize: stat.blockSizeBytes > 0 ? stat.blockSizeBytes : DIR_BLOCK_SIZE, blocks: stat.blocks,
    atime: timespecMs(stat.atime), mtime: timespecMs(stat.mtime), ctime: timespecMs(stat.ctime),
  };
}

/**
 * Pool space as statfs: the fragment size grows (powers of two from 4 KiB) until the block counts fit
 * fuse-native's 32-bit fields; inode counts are nominal (DFS has no inode table to run out of).
 */
export function toFuseStatfs(space: DfsStatfs): FuseStatfs {
  let fragment = space.blockSizeBytes;
  while (space.totalBytes / fragment >= UINT32_LIMIT) fragment *= 2;
  const files = UINT32_LIMIT - 1;
  return {
    bsize: fragment, frsize: fragment,
    blocks: Math.floor(space.totalBytes / fragment), bfree: Math.floor(space.freeBytes / fragment), bavail: Math.floor(space.freeBytes / fragment),
    files, ffree: files, favail: files, fsid: 0, flag: 0, namemax: space.nameBytesMax,
  };
}
