/**
 * How far a running listing of a directory (InodeMap's refresh) has got, for the lookups waiting on it. A
 * lookup waits only until the listing has gone past its name's place, not for the whole directory: a
 * 4,000-entry directory is listed in four pages of ~15-45 ms, and a name of the first page is answered
 * after it. Where a name's place is, DFS tells from the listing's anchor (`passed`); once the listing
 * ends (done or failed), every waiter goes on.
 */
import type { DirAnchor } from '../dfs/index.js';

interface Waiter {
  readonly name: string;
  readonly wake: () => void;
}

export class ListingProgress {
  readonly #passed: (anchor: DirAnchor, name: string) => boolean;
  readonly #waiters = new Set<Waiter>();
  #anchor: DirAnchor | undefined;
  #ended = false;

  constructor(passed: (anchor: DirAnchor, name: string) => boolean) {
    this.#passed = passed;
  }

  /** Resolves once the listing has gone past `name`'s place (its entry, if listed, is applied) or ended. */
  reached(name: string): Promise<void> {
    if (this.#ended || this.#hasPassed(name)) return Promise.resolve();
    return new Promise((wake) => this.#waiters.add({ name, wake }));
  }

  /** The entries listed up to `anchor` are applied: wakes the waiters whose names lie before it. */
  advance(anchor: DirAnchor): void {
    this.#anchor = anchor;
    for (const waiter of this.#waiters) {
      if (!this.#hasPassed(waiter.name)) continue;
      this.#waiters.delete(waiter);
      waiter.wake();
    }
  }

  /** The listing is over (whole, cut short or failed): every waiter goes on. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters) waiter.wake();
    this.#waiters.clear();
  }

  #hasPassed(name: string): boolean {
    if (this.#anchor === undefined) return false;
    try {
      return this.#passed(this.#anchor, name);
    } catch {
      // A name no entry can have: nothing to wait for.
      return true;
    }
  }
}
