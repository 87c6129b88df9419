/**
 * A view is one DFS mount seen through dfuse: the live container at the mount root, or a snapshot under
 * `/.snapshot/<name>` (read-only). Each view has its own path cache and its own inode-number range, so
 * `find`, `du` and `tar` never see a snapshot's file as the live file (same object, same DFS inode
 * number): live numbers keep bit 63 clear, snapshot numbers set it and mix in the snapshot epoch.
 */
import type { Dfs } from '../dfs/index.js';
import { InodeMap, type OpenFiles, type Validity } from './inode-map.js';
import { ListingReuse } from './listing-reuse.js';

const LOW_63_BITS = (1n << 63n) - 1n;
const SNAPSHOT_BIT = 1n << 63n;

export class View {
  readonly dfs: Dfs;
  readonly map: InodeMap;
  /** Listings answered again while nothing changes here (listing-reuse.ts). */
  readonly listings: ListingReuse;
  /** Where this view's root appears in the mount ('' for the live view). */
  readonly prefix: string;
  readonly #inoMix: bigint | undefined;

  /** `openFiles`: the live view's open files (a snapshot's never change). */
  constructor(dfs: Dfs, validity: Validity, prefix: string, options: { snapshotEpoch?: number; openFiles?: OpenFiles } = {}) {
    const { snapshotEpoch, openFiles } = options;
    this.dfs = dfs;
    this.map = new InodeMap(dfs, validity, { openFiles });
    this.listings = new ListingReuse(Math.min(validity.dentryMs, validity.attrMs));
    this.prefix = prefix;
    this.#inoMix = snapshotEpoch === undefined ? undefined : mix64(BigInt(snapshotEpoch));
  }

  get readOnly(): boolean {
    return this.dfs.readOnly;
  }

  /** st_ino for a DFS inode number seen through this view. */
  inoOf(ino: bigint): bigint {
    if (this.#inoMix === undefined) return ino & LOW_63_BITS;
    return ((ino ^ this.#inoMix) & LOW_63_BITS) | SNAPSHOT_BIT;
  }
}

/** A 64-bit mixer (splitmix64's finaliser), so consecutive epochs give unrelated ranges. */
export function mix64(value: bigint): bigint {
  const mask = (1n << 64n) - 1n;
  let z = (value + 0x9e3779b97f4a7c15n) & mask;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}
