/**
 * The extended attribute names of entries as a directory listing (READDIRPLUS) gave them, for the attribute
 * time: `ls -l` asks for `security.selinux` and `system.posix_acl_access` of every file it lists, and an
 * entry the listing showed without them is answered ENODATA with no RPC (the entries were not looked up, so
 * the per-entry memory in inode-map.ts has nothing on them yet). Kept per listed directory; a change made
 * through this mount to an entry's attributes, or a rename or removal of it or above it, forgets what was
 * listed for it, and a listing that was running meanwhile does not bring it back (changes are remembered
 * for the attribute time, which is as long as a listing's knowledge could last). Each entry is trusted for
 * the attribute time from the start of the page that listed it. Changes made elsewhere
 * are seen once the attribute time runs out, as for any attribute. Bounded: the oldest directory goes first.
 */
import { ChangeTimes } from './change-times.js';
import { PathMap } from './path-map.js';
import { childOf, parentOf } from './path.js';

/** Listed directories remembered at once. */
export const LISTED_DIRS_MAX = 256;

interface ListedEntry {
  readonly names: ReadonlySet<string>;
  /** Until when (ms) it is trusted: the attribute time from the start of the read that listed it. */
  readonly until: number;
}

export class ListedXattrs {
  readonly #validityMs: number;
  /** Directory -> entry name -> what was listed. */
  readonly #dirs = new PathMap<Map<string, ListedEntry>>();
  /** Paths changed through this mount (their attributes, or renamed or removed). */
  readonly #changes: ChangeTimes;

  /** `validityMs`: the attribute time (0 keeps nothing). */
  constructor(validityMs: number) {
    this.#validityMs = validityMs;
    this.#changes = new ChangeTimes(validityMs);
  }

  /**
   * A read of `dir` (one page of a listing) that began at `sinceMs` showed these entries with these xattr
   * names; pages of one listing add to each other.
   */
  note(dir: string, sinceMs: number, entries: ReadonlyMap<string, readonly string[]>): void {
    const until = sinceMs + this.#validityMs;
    if (this.#validityMs <= 0 || entries.size === 0 || until <= Date.now()) return;
    if (this.#changes.sinceAbove(dir, sinceMs)) return;
    let listed = this.#dirs.get(dir);
    if (listed === undefined) {
      if (this.#dirs.size >= LISTED_DIRS_MAX) this.#dirs.delete(this.#dirs.oldest()!);
      listed = new Map();
    }
    this.#dirs.set(dir, listed);
    for (const [name, xattrs] of entries) {
      if (!this.#changes.since(childOf(dir, name), sinceMs)) listed.set(name, { names: new Set(xattrs), until });
    }
  }

  /** The xattr names `path` was listed with, if that is still valid. */
  namesOf(path: string): ReadonlySet<string> | undefined {
    const { parent, name } = parentOf(path);
    const entry = this.#dirs.get(parent)?.get(name);
    if (entry === undefined) return undefined;
    if (Date.now() < entry.until) return entry.names;
    this.#dirs.get(parent)!.delete(name);
    return undefined;
  }

  /** Forgets what was listed for `path` (its attributes change here). */
  forget(path: string): void {
    if (this.#validityMs <= 0) return;
    this.#changes.note(path);
    const { parent, name } = parentOf(path);
    this.#dirs.get(parent)?.delete(name);
  }

  /** Forgets `path` and every listing of it or below it (renamed or removed). */
  forgetTree(path: string): void {
    if (this.#validityMs <= 0) return;
    this.forget(path);
    this.#dirs.deleteTree(path);
  }

  clear(): void {
    this.#dirs.clear();
    this.#changes.clear();
  }
}
