/**
 * Read coalescing for one open file (DAOS dfuse's chunk reads): large reads are served from whole 1 MiB
 * windows fetched with one DFS read each, and while a file is read in order the next windows are fetched
 * ahead. A read is answered with views of its windows (no copy; windows are never written to, only
 * dropped). Windows leave their bytes in the engines' files when the engines run on this host
 * (Dfs.readPlaced): such a window holds no memory, is good for a few seconds, and is fetched again if a
 * read comes later than that. Small reads go straight to DFS until a window has had DENSE_MISSES of
 * them: the window is then fetched whole, and later small reads in it are answered from it (a file read
 * at random but densely, as fio's or a database's 4 KiB reads of a file that fits the budget, costs one
 * fetch per window instead of one per read; reads scattered over a large file seldom hit one window
 * thrice, so they stay single reads).
 * The windows of all open files share one budget (WindowBudget), least recently used dropped first.
 * Windows are dropped when this mount writes or truncates the file (DataCache does that), and at the
 * file's close, so a reader sees this mount's writes; other clients' writes are seen at the next open
 * (close-to-open).
 * Nothing is fetched ahead past the end of the file: as the size known at open says, then as windows
 * tell (a short window is the last; a full one at or past the supposed end means the file grew). While
 * dfuse holds a valid stat of the file (the size the kernel has too), reads end at its size without asking
 * the engines (Dfs ReadOptions sizeHintHolds), until this mount writes the file.
 */
import { type Dfs, type DfsObject, PlacedBytes, type ReadOptions } from '../dfs/index.js';
import { adviseWillNeed } from './fuse-lowlevel.js';

export const WINDOW_BYTES = 1 << 20;
/** Reads at least this large take the window path. */
export const COALESCE_MIN_BYTES = 64 * 1024;
/** Windows fetched ahead of a reader going through the file in order. */
export const WINDOWS_AHEAD = 3;
/** Small reads of a window sent alone before the next one fetches it whole. */
export const DENSE_MISSES = 2;
/** Windows one file counts small reads of (beyond, the counts start over). */
const COUNTED_WINDOWS_MAX = 4096;
/** Bytes of windows all open files keep together. */
export const READ_WINDOWS_BUDGET_BYTES = 128 << 20;
/** A window whose bytes are good for less than this is fetched again (the answer must reach the kernel in time). */
export const PLACED_MARGIN_MS = 250;

interface Window {
  readonly data: Promise<PlacedBytes>;
  /** Its bytes once fetched (undefined while fetching): kept while they are good. */
  fetched: PlacedBytes | undefined;
  /** Removes the window from its file (the budget evicted it). */
  readonly evict: () => void;
}

/** The windows of every open file, least recently used first; past `max`, the oldest go. */
export class WindowBudget {
  readonly #max: number;
  readonly #windows = new Set<Window>();

  constructor(maxWindows: number) {
    this.#max = maxWindows;
  }

  get size(): number {
    return this.#windows.size;
  }

  add(window: Window): void {
    this.#windows.add(window);
    for (const oldest of this.#windows) {
      if (this.#windows.size <= this.#max) break;
      this.#windows.delete(oldest);
      oldest.evict();
    }
  }

  used(window: Window): void {
    if (this.#windows.delete(window)) this.#windows.add(window);
  }

  remove(window: Window): void {
    this.#windows.delete(window);
  }
}

export class ReadAhead {
  readonly #dfs: Dfs;
  readonly #handle: DfsObject;
  readonly #budget: WindowBudget;
  readonly #windows = new Map<number, Window>();
  /** Small reads sent alone, by window, since the windows were last dropped. */
  readonly #misses = new Map<number, number>();
  #lastWindow = -2;
  /** Index of the file's last window as far as known (read-ahead stops there). */
  #endWindow: number;
  /** The size known at open: reads past it ask the size with their data (Dfs ReadOptions). */
  readonly #readOptions: ReadOptions;
  /** The size of the stat dfuse holds now, if still valid: reads end at it (undefined once this mount wrote the file). */
  #heldSize: (() => number | undefined) | undefined;

  /**
   * `sizeHint`: the file's size as known at open, if known; `heldSize`: the size of the file's stat dfuse
   * answers the kernel with, while valid (none with a write through this mount in flight at open).
   */
  constructor(dfs: Dfs, handle: DfsObject, budget: WindowBudget, sizeHint?: number, heldSize?: () => number | undefined) {
    this.#dfs = dfs;
    this.#handle = handle;
    this.#budget = budget;
    this.#endWindow = sizeHint === undefined ? Infinity : lastWindowOf(sizeHint);
    this.#readOptions = sizeHint === undefined ? {} : { sizeHint };
    this.#heldSize = heldSize;
  }

  /** How reads go now: ending at the size held, or asking past the size known at open. */
  #options(): ReadOptions {
    const held = this.#heldSize?.();
    return held === undefined ? this.#readOptions : { sizeHint: held, sizeHintHolds: true };
  }

  /** Forgets every window (the file changed through this mount, maybe its size too, or it closed); no size holds from now on. */
  drop(): void {
    for (const window of this.#windows.values()) this.#budget.remove(window);
    this.#windows.clear();
    this.#misses.clear();
    this.#endWindow = Infinity;
    this.#heldSize = undefined;
  }

  /** Up to `length` bytes at `position` (short at the end of the file), good for PLACED_MARGIN_MS at least. */
  async read(length: number, position: number): Promise<PlacedBytes> {
    const first = Math.floor(position / WINDOW_BYTES);
    const large = length >= COALESCE_MIN_BYTES;
    if (!large && !this.#windows.has(first) && !this.#dense(first)) return PlacedBytes.of(await this.#dfs.read(this.#handle, length, position, this.#options()));
    const views: PlacedBytes[] = [];
    const end = position + length;
    for (let at = position; at < end;) {
      const index = Math.floor(at / WINDOW_BYTES);
      const window = await this.#window(index, large);
      const offset = at - index * WINDOW_BYTES;
      const view = window.subarray(offset, offset + end - at);
      views.push(view);
      at += view.length;
      // A short window is the end of the file.
      if (window.length < WINDOW_BYTES) break;
    }
    const bytes = views.length === 1 ? views[0]! : PlacedBytes.concat(views);
    // A window that ran out of time while this read waited for the next one: read the range again.
    return bytes.valid(PLACED_MARGIN_MS) ? bytes : PlacedBytes.of(await this.#dfs.read(this.#handle, length, position, this.#options()));
  }

  /** Counts a small read of window `index` that no window answers; true once the window is worth fetching. */
  #dense(index: number): boolean {
    const misses = this.#misses.get(index) ?? 0;
    if (misses >= DENSE_MISSES) {
      this.#misses.delete(index);
      return true;
    }
    if (misses === 0 && this.#misses.size >= COUNTED_WINDOWS_MAX) this.#misses.clear();
    this.#misses.set(index, misses + 1);
    return false;
  }

  /** Window `index`; a large read going through the file in order also fetches the next ones. */
  #window(index: number, large: boolean): Promise<PlacedBytes> {
    const sequential = large && (index === this.#lastWindow || index === this.#lastWindow + 1);
    if (large) this.#lastWindow = index;
    const window = this.#fetch(index);
    if (sequential) {
      // A reader going through the file in order will not come back: windows behind it go.
      this.#forget(index - 2);
      for (let ahead = index + 1; ahead <= Math.min(index + WINDOWS_AHEAD, this.#endWindow); ahead += 1) void this.#fetch(ahead).catch(() => undefined);
    }
    return window.then((data) => {
      if (data.length < WINDOW_BYTES) this.#endWindow = index;
      else if (index >= this.#endWindow) this.#endWindow = Infinity;
      return data;
    });
  }

  #forget(index: number): void {
    const window = this.#windows.get(index);
    if (window === undefined) return;
    this.#windows.delete(index);
    this.#budget.remove(window);
  }

  /** Window `index`, kept while its bytes are good, else fetched (they may stay in the engines' files). */
  #fetch(index: number): Promise<PlacedBytes> {
    const kept = this.#windows.get(index);
    if (kept !== undefined && kept.fetched?.valid(PLACED_MARGIN_MS) !== false) {
      this.#budget.used(kept);
      return kept.data;
    }
    if (kept !== undefined) this.#forget(index);
    const data = this.#dfs.readPlaced(this.#handle, WINDOW_BYTES, index * WINDOW_BYTES, this.#options());
    const window: Window = { data, fetched: undefined, evict: () => this.#windows.get(index) === window && this.#windows.delete(index) };
    // A failed fetch is not kept: the next read asks again.
    data.then((bytes) => {
      window.fetched = bytes;
      // Engines whose files are on disk: the kernel starts reading the window now, not when it is spliced.
      adviseWillNeed(bytes);
    }, () => this.#windows.get(index) === window && this.#forget(index));
    this.#windows.set(index, window);
    this.#budget.add(window);
    return data;
  }
}

function lastWindowOf(size: number): number {
  return size === 0 ? 0 : Math.floor((size - 1) / WINDOW_BYTES);
}
