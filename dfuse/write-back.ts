/**
 * Write-back for one open file (DAOS dfuse's default write-back cache): a write is copied and answered
 * at once; contiguous writes are coalesced into extents that end on chunk boundaries (the kernel sends
 * at most 128 KiB per request, DFS does best with whole 1 MiB chunks) and sent in the background, a
 * bounded number at a time. flush() sends what is left and waits for everything; the first failure is
 * kept and reported by the next write, flush, fsync or close, as DAOS does. Buffered bytes of all files
 * share one budget; a write waits when it is spent, so memory stays bounded.
 */
import type { Dfs, DfsObject } from '../dfs/index.js';

/** Bytes of one coalesced extent at most (the default DFS chunk). */
export const EXTENT_BYTES = 1 << 20;
/** Extents of one file being written at once. */
export const EXTENTS_IN_FLIGHT_MAX = 4;

/** The bytes all write-back buffers may hold together. */
export class WriteBudget {
  readonly #limit: number;
  #used = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  async acquire(bytes: number): Promise<void> {
    // One write larger than the whole budget still goes through once nothing else is buffered.
    while (this.#used > 0 && this.#used + bytes > this.#limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used -= bytes;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

interface Extent {
  offset: number;
  readonly parts: Buffer[];
  length: number;
}

export class WriteBack {
  readonly #dfs: Dfs;
  readonly #handle: DfsObject;
  readonly #budget: WriteBudget;
  #tail: Extent | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #error: unknown;

  constructor(dfs: Dfs, handle: DfsObject, budget: WriteBudget) {
    this.#dfs = dfs;
    this.#handle = handle;
    this.#budget = budget;
  }

  /** True while bytes are buffered or being written. */
  get dirty(): boolean {
    return this.#tail !== undefined || this.#inFlight.size > 0;
  }

  /** Takes a copy of `data` for offset `offset`; resolves once it is buffered (a pending failure rejects). */
  async write(data: Uint8Array, offset: number): Promise<void> {
    this.#throwPending();
    await this.#budget.acquire(data.length);
    const copy = Buffer.from(data);
    const tail = this.#tail;
    if (tail !== undefined && tail.offset + tail.length === offset) {
      tail.parts.push(copy);
      tail.length += copy.length;
    } else {
      if (tail !== undefined) await this.#send(tail);
      this.#tail = { offset, parts: [copy], length: copy.length };
    }
    const current = this.#tail!;
    if (current.length >= EXTENT_BYTES || (current.offset + current.length) % EXTENT_BYTES === 0) {
      this.#tail = undefined;
      await this.#send(current);
    }
  }

  /** Sends what is buffered and waits for every write; rejects with the first failure (once). */
  async flush(): Promise<void> {
    const tail = this.#tail;
    this.#tail = undefined;
    if (tail !== undefined) await this.#send(tail);
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    this.#throwPending();
  }

  /** Puts back a failure that a flush on someone else's behalf took, for this file's owner to hear. */
  keep(error: unknown): void {
    this.#error ??= error;
  }

  #throwPending(): void {
    if (this.#error === undefined) return;
    const error = this.#error;
    this.#error = undefined;
    throw error;
  }

  /** Starts writing an extent, first waiting for a free slot. */
  async #send(extent: Extent): Promise<void> {
    while (this.#inFlight.size >= EXTENTS_IN_FLIGHT_MAX) await Promise.race(this.#inFlight);
    const data = extent.parts.length === 1 ? extent.parts[0]! : Buffer.concat(extent.parts, extent.length);
    const sending: Promise<void> = this.#dfs.write(this.#handle, data, extent.offset).then(
      () => undefined,
      (error: unknown) => { this.#error ??= error; },
    ).finally(() => {
      this.#inFlight.delete(sending);
      this.#budget.release(extent.length);
    });
    this.#inFlight.add(sending);
  }
}
