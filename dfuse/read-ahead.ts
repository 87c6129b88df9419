/**
 * Read coalescing for one open file (DAOS dfuse's chunk reads): large reads are served from whole 1 MiB
 * windows fetched with one DFS read each, and while a file is read in order the next windows are fetched
 * ahead. A read inside one window is answered with a view of it (no copy; windows are never written
 * to, only dropped). Small (random) reads go straight to DFS.
 * Windows are dropped when this mount writes or truncates the file (DataCache does that), so a reader
 * sees this mount's writes; other clients' writes are seen at the next open (close-to-open).
 * Nothing is fetched ahead past the end of the file: as the size known at open says, then as windows
 * tell (a short window is the last; a full one at or past the supposed end means the file grew).
 */
import type { Dfs, DfsObject } from '../dfs/index.js';

export const WINDOW_BYTES = 1 << 20;
/** Reads at least this large take the window path. */
export const COALESCE_MIN_BYTES = 64 * 1024;
/** Windows fetched ahead of a reader going through the file in order. */
export const WINDOWS_AHEAD = 3;
/** Windows one file keeps (fetched or being fetched). */
export const WINDOWS_PER_FILE_MAX = 6;

export class ReadAhead {
  readonly #dfs: Dfs;
  readonly #handle: DfsObject;
  readonly #windows = new Map<number, Promise<Buffer>>();
  #lastWindow = -2;
  /** Index of the file's last window as far as known (read-ahead stops there). */
  #endWindow: number;

  /** `sizeHint`: the file's size as known at open, if known. */
  constructor(dfs: Dfs, handle: DfsObject, sizeHint?: number) {
    this.#dfs = dfs;
    this.#handle = handle;
    this.#endWindow = sizeHint === undefined ? Infinity : lastWindowOf(sizeHint);
  }

  /** Forgets every window (the file changed through this mount, maybe its size too). */
  drop(): void {
    this.#windows.clear();
    this.#endWindow = Infinity;
  }

  /** Up to `length` bytes at `position` (short at the end of the file). */
  async read(length: number, position: number): Promise<Buffer> {
    if (length < COALESCE_MIN_BYTES) return this.#dfs.read(this.#handle, length, position);
    const first = Math.floor(position / WINDOW_BYTES);
    const window = await this.#window(first);
    const inWindow = position - first * WINDOW_BYTES;
    // Within one window, or the window is the file's last: a view.
    if (inWindow + length <= window.length || window.length < WINDOW_BYTES) return window.subarray(Math.min(inWindow, window.length), Math.min(window.length, inWindow + length));
    const buffer = Buffer.allocUnsafe(length);
    let copied = window.copy(buffer, 0, inWindow);
    while (copied < length) {
      const at = position + copied;
      const index = Math.floor(at / WINDOW_BYTES);
      const next = await this.#window(index);
      const offset = at - index * WINDOW_BYTES;
      if (offset >= next.length) break;
      copied += next.copy(buffer, copied, offset, offset + Math.min(length - copied, next.length - offset));
      // A short window is the end of the file.
      if (next.length < WINDOW_BYTES) break;
    }
    return buffer.subarray(0, copied);
  }

  #window(index: number): Promise<Buffer> {
    const sequential = index === this.#lastWindow || index === this.#lastWindow + 1;
    this.#lastWindow = index;
    const window = this.#fetch(index);
    if (sequential) {
      for (let ahead = index + 1; ahead <= Math.min(index + WINDOWS_AHEAD, this.#endWindow); ahead += 1) void this.#fetch(ahead).catch(() => undefined);
    }
    return window.then((data) => {
      if (data.length < WINDOW_BYTES) this.#endWindow = index;
      else if (index >= this.#endWindow) this.#endWindow = Infinity;
      return data;
    });
  }

  #fetch(index: number): Promise<Buffer> {
    const cached = this.#windows.get(index);
    if (cached !== undefined) return cached;
    const fetching = this.#dfs.read(this.#handle, WINDOW_BYTES, index * WINDOW_BYTES);
    // A failed fetch is not kept: the next read asks again.
    fetching.catch(() => this.#windows.delete(index));
    this.#windows.set(index, fetching);
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= WINDOWS_PER_FILE_MAX) break;
      if (key !== index) this.#windows.delete(key);
    }
    return fetching;
  }
}

function lastWindowOf(size: number): number {
  return size === 0 ? 0 : Math.floor((size - 1) / WINDOW_BYTES);
}
