/**
 * The directories whose names are being walked, and when one is due to be listed whole (InodeMap's refresh):
 * after REFRESH_AFTER_MISSES lookups of its names missed in a row, and at least one per
 * REFRESH_ENTRIES_PER_MISS entries it had when last listed (a listing must cost less than the lookups it
 * saves), each within REFRESH_MISS_GAP_MS of the one before (a later one starts the count again); never when
 * it had more than REFRESH_ENTRIES_MAX entries (a refresh holds a handle per entry). At most
 * WALKED_DIRS_MAX directories are counted at once (the least recently started count goes first).
 */
import { PathMap } from './path-map.js';

export const REFRESH_AFTER_MISSES = 16;
const REFRESH_ENTRIES_PER_MISS = 64;
const REFRESH_MISS_GAP_MS = 1000;
export const REFRESH_ENTRIES_MAX = 1 << 14;
const WALKED_DIRS_MAX = 64;

interface WalkedDir {
  /** Entries it had when last listed whole here (undefined: not listed yet). */
  entries: number | undefined;
  misses: number;
  lastMissMs: number;
}

export class WalkedDirs {
  readonly #walks = new PathMap<WalkedDir>();

  /** A whole listing of `dir` read `entries` names: its next refresh takes misses in proportion. */
  listed(dir: string, entries: number): void {
    const walk = this.#walks.get(dir);
    if (walk === undefined) this.#start(dir, entries);
    else walk.entries = entries;
  }

  /** A lookup of a name in `dir` missed: true when the directory is due to be listed whole now. */
  missed(dir: string): boolean {
    const walk = this.#walks.get(dir) ?? this.#start(dir, undefined);
    const entries = walk.entries ?? 0;
    if (entries > REFRESH_ENTRIES_MAX) return false;
    const now = Date.now();
    if (now - walk.lastMissMs > REFRESH_MISS_GAP_MS) walk.misses = 0;
    walk.lastMissMs = now;
    walk.misses += 1;
    if (walk.misses < Math.max(REFRESH_AFTER_MISSES, Math.ceil(entries / REFRESH_ENTRIES_PER_MISS))) return false;
    walk.misses = 0;
    return true;
  }

  /** Forgets `path` and every directory below it (removed or renamed). */
  forgetTree(path: string): void {
    this.#walks.deleteTree(path);
  }

  clear(): void {
    this.#walks.clear();
  }

  #start(dir: string, entries: number | undefined): WalkedDir {
    if (this.#walks.size >= WALKED_DIRS_MAX) this.#walks.delete(this.#walks.oldest()!);
    const walk: WalkedDir = { entries, misses: 0, lastMissMs: 0 };
    this.#walks.set(dir, walk);
    return walk;
  }
}
