/**
 * Listings answered again (DAOS dfuse's shared readdir handle): a directory listed whole here is listed
 * from what was read, names and attributes, when it is opened and listed again while the listing is younger
 * than both the entry time and the attribute time and nothing has changed through this mount since it began.
 * Any change counts, in any directory (noteChange, as each request that may change something is answered:
 * requests.ts), so what is answered is what the engines said then, with no change of ours missing from it.
 * A listing read while a change ran goes when the change is answered (or is never kept, if that came
 * first), so nothing a listing missed of a change is answered once the change is. Changes made through
 * other mounts show in the next listing after that time, as their new names show to a lookup after the
 * negative time. `rm -r` (GNU fts) lists every directory twice in a row, the second time to remove what it
 * lists: the second listing costs no RPC. Off when either time is 0.
 */
import type { FuseStat } from './fuse-stat.js';

/** The listing readdir answers: names and, for readdirplus, a stat per name. */
export interface Listing {
  readonly names: string[];
  /** Empty, or one per name. */
  readonly stats: FuseStat[];
}

/** Listings kept at most (the least recently kept go first). */
export const LISTINGS_KEPT_MAX = 64;
/** Larger listings are not kept (DAOS dfuse caches up to 1,024 names per directory). */
export const LISTING_KEPT_NAMES_MAX = 1024;

/** When a listing began: the time and the count of changes made through this mount by then. */
export interface ListingStart {
  readonly ms: number;
  readonly changes: number;
}

interface Kept {
  readonly start: ListingStart;
  readonly listing: Listing;
}

export class ListingReuse {
  readonly #windowMs: number;
  readonly #kept = new Map<string, Kept>();
  #changes = 0;

  /** `windowMs`: how long a listing may be answered again (the lesser of the entry and attribute times). */
  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Something changes through this mount: no listing read before now is answered again. */
  noteChange(): void {
    this.#changes += 1;
    this.#kept.clear();
  }

  /** A listing starts now: give this to keep() once it is read. */
  start(): ListingStart {
    return { ms: Date.now(), changes: this.#changes };
  }

  /** Keeps the listing of `dir` begun at `start`, unless something changed here since or it is too large. */
  keep(dir: string, start: ListingStart, listing: Listing): void {
    if (this.#windowMs === 0 || start.changes !== this.#changes || listing.names.length > LISTING_KEPT_NAMES_MAX) return;
    this.#kept.delete(dir);
    this.#kept.set(dir, { start, listing });
    if (this.#kept.size > LISTINGS_KEPT_MAX) this.#kept.delete(this.#kept.keys().next().value!);
  }

  /** The kept listing of `dir`, if it may still be answered. */
  take(dir: string): Listing | undefined {
    const kept = this.#kept.get(dir);
    if (kept === undefined) return undefined;
    if (Date.now() - kept.start.ms < this.#windowMs) return kept.listing;
    this.#kept.delete(dir);
    return undefined;
  }
}
