/**
 * Directories whose every name this mount knows, for a while: lookups of other names are answered "no
 * such entry" without an RPC. Known: a directory this mount has just made (it holds nothing but what this
 * mount adds to it), a directory this mount has just listed whole (a READDIR: `ls`, `find`, a build tool's
 * scan), and a known directory whose time ran out while it kept answering lookups, once listed again (the
 * owner lists it: InodeMap). The knowledge lasts the negative-entry time from when it was gained (the
 * mkdir, or the start of the listing), which is what a lookup RPC answered ENOENT at that moment would
 * have let the kernel keep (DAOS `dfuse-ndentry-time`); other clients' changes within it are seen once it
 * runs out, as with any negative entry.
 *
 * Why: creating a name costs the kernel a LOOKUP first (which finds nothing), then the CREATE or MKDIR;
 * in a directory being filled here (mdtest's create phases, an untar) the LOOKUP needs no engine, and a
 * listing per negative-entry time replaces one lookup RPC per name. Programs that list a directory and
 * then probe names in it (module loaders, compilers, `make`) get their misses answered the same way.
 *
 * Safety rests on one rule: the only way to drop a name from a known set is to not know the directory
 * any more. Any hint that a name may exist (this mount made it, looked it up, renamed or removed it:
 * `mayExist`) adds it to its parent's set, so a known set holds every name that may exist there, plus
 * some that do not (those only cost an RPC). A listing in flight collects those hints too and adds them
 * to what it read. A directory renamed or removed here loses what was known of it and of everything below
 * it (and a listing of it in flight is discarded). Memory is bounded; past the bounds, knowledge is dropped.
 */
import { PathMap } from './path-map.js';
import { isWithin, parentOf } from './path.js';

/** Directories known at once, at most (the least recently useful goes first). */
export const KNOWN_DIRS_MAX = 1024;
/** Names in one known directory, at most (past it the directory is no longer known). */
export const KNOWN_NAMES_MAX = 1 << 14;
/** Lookups a directory's knowledge must have answered to be listed again when its time runs out. */
export const RENEW_AFTER_ANSWERS = 16;

interface Known {
  /** Until when (ms, Date.now()) the set is trusted. */
  readonly until: number;
  readonly names: Set<string>;
  /** Lookups answered from it. */
  answers: number;
}

/** A listing of a directory in flight: the names hinted meanwhile, or null once it must be discarded. */
export interface ListingTicket {
  readonly dir: string;
  /** When it started (ms, Date.now()): its knowledge counts from then. */
  readonly startedMs: number;
  hinted: Set<string> | null;
}

/** What missingFor found: a time left (ms; 0 when not known), and whether the directory is worth listing again. */
export interface Missing {
  readonly ms: number;
  readonly renew: boolean;
}

const UNKNOWN: Missing = { ms: 0, renew: false };

export class KnownNames {
  readonly #validityMs: number;
  readonly #dirs = new PathMap<Known>();
  /** Listings in flight by directory (several may run at once: each collects its own hints). */
  readonly #listings = new Map<string, Set<ListingTicket>>();

  /** `validityMs`: how long knowledge lasts (the negative-entry time; 0 turns all of this off). */
  constructor(validityMs: number) {
    this.#validityMs = validityMs;
  }

  /** Directory `path` was just made through this mount: it holds no name yet. */
  empty(path: string): void {
    this.#know(path, Date.now(), new Set());
  }

  /**
   * How long (ms) `path` is still known not to exist: 0 when that is not known (ask the engines); `renew`
   * when its directory's knowledge has just run out after answering enough lookups (list it again).
   */
  missingFor(path: string): Missing {
    const { parent, name } = parentOf(path);
    const known = this.#dirs.get(parent);
    if (known === undefined) return UNKNOWN;
    const left = known.until - Date.now();
    if (left <= 0) {
      this.#dirs.delete(parent);
      return { ms: 0, renew: known.answers >= RENEW_AFTER_ANSWERS && !this.#listings.has(parent) };
    }
    if (known.names.has(name)) return UNKNOWN;
    known.answers += 1;
    // Most recently used last: the bound drops the directories that answer nothing (insertion order).
    this.#dirs.set(parent, known);
    return { ms: left, renew: false };
  }

  /** `path` may name something now: never answer it missing from what is known. */
  mayExist(path: string): void {
    if (this.#dirs.size === 0 && this.#listings.size === 0) return;
    const { parent, name } = parentOf(path);
    for (const ticket of this.#listings.get(parent) ?? []) ticket.hinted?.add(name);
    const known = this.#dirs.get(parent);
    if (known === undefined) return;
    if (known.names.size >= KNOWN_NAMES_MAX) this.#dirs.delete(parent);
    else known.names.add(name);
  }

  /** `path` was renamed or removed (and maybe replaced): nothing is known of it or below it any more. */
  forgetTree(path: string): void {
    this.mayExist(path);
    this.#dirs.deleteTree(path);
    for (const [dir, tickets] of this.#listings) if (isWithin(dir, path)) for (const ticket of tickets) ticket.hinted = null;
  }

  /** A listing of `dir` starts now (call `listed` or `abandon` with what this returns once it is done). */
  listing(dir: string): ListingTicket {
    const ticket: ListingTicket = { dir, startedMs: Date.now(), hinted: this.#validityMs > 0 ? new Set() : null };
    let tickets = this.#listings.get(dir);
    if (tickets === undefined) this.#listings.set(dir, (tickets = new Set()));
    tickets.add(ticket);
    return ticket;
  }

  /**
   * The listing read `names`, the whole directory: with the names hinted meanwhile, they are all of its names
   * (unless knowledge gained later is already held: that one stays).
   */
  listed(ticket: ListingTicket, names: readonly string[]): void {
    if (!this.#end(ticket) || ticket.hinted === null || names.length + ticket.hinted.size > KNOWN_NAMES_MAX) return;
    const held = this.#dirs.get(ticket.dir);
    if (held !== undefined && held.until >= ticket.startedMs + this.#validityMs) return;
    const known = new Set(names);
    for (const name of ticket.hinted) known.add(name);
    this.#know(ticket.dir, ticket.startedMs, known);
  }

  abandon(ticket: ListingTicket): void {
    this.#end(ticket);
  }

  clear(): void {
    this.#dirs.clear();
    for (const tickets of this.#listings.values()) for (const ticket of tickets) ticket.hinted = null;
  }

  /** Removes a ticket from the listings in flight; false if it was not there (ended already). */
  #end(ticket: ListingTicket): boolean {
    const tickets = this.#listings.get(ticket.dir);
    if (tickets?.delete(ticket) !== true) return false;
    if (tickets.size === 0) this.#listings.delete(ticket.dir);
    return true;
  }

  #know(dir: string, sinceMs: number, names: Set<string>): void {
    if (this.#validityMs <= 0) return;
    this.#dirs.delete(dir);
    if (this.#dirs.size >= KNOWN_DIRS_MAX) this.#dirs.delete(this.#dirs.oldest()!);
    this.#dirs.set(dir, { until: sinceMs + this.#validityMs, names, answers: 0 });
  }
}
