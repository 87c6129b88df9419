/**
 * When paths last changed through this mount, remembered for a while: what a listing read before a change
 * must not bring back (listed-xattrs.ts, the directory refresh of inode-map.ts). A change is kept at least
 * `keepMs`; a reader whose read began longer ago than that cannot be answered (`covers`) and must drop
 * what it read. Pruning is amortized: the old changes go once the map has doubled since the last pruning.
 */
import { parentOf } from './path.js';

/** Changes remembered before the old ones are first pruned. */
const PRUNE_AT = 4096;

export class ChangeTimes {
  readonly #keepMs: number;
  readonly #at = new Map<string, number>();
  #pruneAt = PRUNE_AT;

  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  /** `path` changes now. */
  note(path: string): void {
    const now = Date.now();
    if (this.#at.size >= this.#pruneAt) {
      for (const [changed, at] of this.#at) if (at < now - this.#keepMs) this.#at.delete(changed);
      this.#pruneAt = Math.max(PRUNE_AT, 2 * this.#at.size);
    }
    this.#at.delete(path);
    this.#at.set(path, now);
  }

  /** Whether changes since `sinceMs` are all still remembered. */
  covers(sinceMs: number): boolean {
    return Date.now() - sinceMs < this.#keepMs;
  }

  /** True when `path` changed at or after `sinceMs`. */
  since(path: string, sinceMs: number): boolean {
    const at = this.#at.get(path);
    return at !== undefined && at >= sinceMs;
  }

  /** True when `path` or a directory above it changed at or after `sinceMs`. */
  sinceAbove(path: string, sinceMs: number): boolean {
    for (let at = path; ; at = parentOf(at).parent) {
      if (this.since(at, sinceMs)) return true;
      if (at === '/') return false;
    }
  }

  clear(): void {
    this.#at.clear();
  }
}
