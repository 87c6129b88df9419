/**
 * Write-back for one open file (DAOS dfuse's default write-back cache): a write is kept and answered at
 * once; contiguous writes are coalesced into extents that end on chunk boundaries (the kernel sends up
 * to 1 MiB per request, DFS does best with whole 1 MiB chunks) and sent in the background, a
 * bounded number at a time, in the order they were made (each DFS write takes its epoch when it is
 * sent, so where extents overlap the later one wins); small extents waiting for a slot go out together
 * as one DFS writev. A write waits only when the budget shared by the
 * buffered bytes of all files is spent, so memory stays bounded. flush() sends what is left and waits
 * for everything; the first failure is kept and reported by the next write, flush, fsync or close, as
 * DAOS does.
 */
import type { Dfs, DfsObject } from '../dfs/index.js';

/** Bytes of one coalesced extent at most (the default DFS chunk). */
export const EXTENT_BYTES = 1 << 20;
/** Writes (single extents or batches) of one file in flight at once. */
export const EXTENTS_IN_FLIGHT_MAX = 16;
/**
 * Of those, batches of partial extents: one at a time, so scattered small writes pile up into a batch
 * while the one before is written. fio 4 KiB random writes over 64 MiB (16,384 writes, fresh clusters,
 * 3 alternated pairs): with 4 batches in flight 5,000-9,300 writes went out alone, 5,400-7,600 IOPS, 3.3-4.3 s
 * of engine and dfuse CPU; with 1, 60-430 alone and batches of ~30, 9,600-14,000 IOPS, 2.0-2.8 s (with 16,
 * most went out alone).
 */
export const BATCHES_IN_FLIGHT_MAX = 1;
/** Extents in one batch at most (their bytes are bounded by EXTENT_BYTES as well). */
export const BATCH_EXTENTS_MAX = 256;

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

/**
 * Buffered bytes [offset, offset + length) in buffer[0, length). A lone write keeps a copy of its own size;
 * the first contiguous write after it gives the extent room up to its chunk's end, so a sequential stream
 * is copied once into the buffer that is sent (no joining of parts).
 */
interface Extent {
  readonly offset: number;
  buffer: Buffer;
  length: number;
}

/** Appends `data` to `extent`, growing its buffer to the end of its chunk (or further, for a write crossing it). */
function append(extent: Extent, data: Uint8Array): void {
  const needed = extent.length + data.length;
  if (needed > extent.buffer.length) {
    const chunkEnd = (Math.floor(extent.offset / EXTENT_BYTES) + 1) * EXTENT_BYTES;
    const grown = Buffer.allocUnsafe(Math.max(needed, chunkEnd - extent.offset));
    extent.buffer.copy(grown, 0, 0, extent.length);
    extent.buffer = grown;
  }
  extent.buffer.set(data, extent.length);
  extent.length = needed;
}

export class WriteBack {
  readonly #dfs: Dfs;
  readonly #handle: DfsObject;
  readonly #budget: WriteBudget;
  #tail: Extent | undefined;
  /** Complete extents waiting for a free slot, oldest first. */
  readonly #ready: Extent[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** Sends in #inFlight that began with a partial extent (BATCHES_IN_FLIGHT_MAX). */
  #batchesInFlight = 0;
  /** Woken when the last extent is written (flush waits for it). */
  #drained: Array<() => void> = [];
  #error: unknown;

  constructor(dfs: Dfs, handle: DfsObject, budget: WriteBudget) {
    this.#dfs = dfs;
    this.#handle = handle;
    this.#budget = budget;
  }

  /** True while bytes are buffered or being written. */
  get dirty(): boolean {
    return this.#tail !== undefined || this.#ready.length > 0 || this.#inFlight.size > 0;
  }

  /**
   * Takes `data` for offset `offset` (a copy, unless `owned`: the caller hands the buffer over and never
   * touches it again); resolves once it is buffered (a pending failure rejects).
   */
  async write(data: Uint8Array, offset: number, owned = false): Promise<void> {
    this.#throwPending();
    await this.#budget.acquire(data.length);
    const tail = this.#tail;
    if (tail !== undefined && tail.offset + tail.length === offset) {
      append(tail, data);
    } else {
      if (tail !== undefined) this.#queue(tail);
      this.#tail = { offset, buffer: owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data), length: data.length };
    }
    const current = this.#tail!;
    if (current.length >= EXTENT_BYTES || (current.offset + current.length) % EXTENT_BYTES === 0) {
      this.#tail = undefined;
      this.#queue(current);
    }
  }

  /** Sends what is buffered and waits for every write; rejects with the first failure (once). */
  async flush(): Promise<void> {
    const tail = this.#tail;
    this.#tail = undefined;
    if (tail !== undefined) this.#queue(tail);
    if (this.#ready.length > 0 || this.#inFlight.size > 0) await new Promise<void>((resolve) => this.#drained.push(resolve));
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

  #queue(extent: Extent): void {
    this.#ready.push(extent);
    this.#pump();
  }

  /** Starts ready extents while slots are free; wakes flush() once nothing is left. */
  #pump(): void {
    while (this.#inFlight.size < EXTENTS_IN_FLIGHT_MAX && this.#ready.length > 0) {
      if (this.#ready[0]!.length < EXTENT_BYTES && this.#batchesInFlight >= BATCHES_IN_FLIGHT_MAX) break;
      this.#send(this.#takeBatch());
    }
    if (this.#ready.length > 0 || this.#inFlight.size > 0) return;
    for (const wake of this.#drained.splice(0)) wake();
  }

  /**
   * The oldest ready extent, with the small ones queued after it while they fit in one extent's bytes:
   * scattered small writes that piled up while every slot was busy go out as one batch (one DFS writev,
   * a few collective RPCs) instead of an RPC each. A full extent goes alone.
   */
  #takeBatch(): Extent[] {
    const batch = [this.#ready.shift()!];
    let bytes = batch[0]!.length;
    while (this.#ready.length > 0 && batch.length < BATCH_EXTENTS_MAX && bytes + this.#ready[0]!.length <= EXTENT_BYTES) {
      const next = this.#ready.shift()!;
      batch.push(next);
      bytes += next.length;
    }
    return batch;
  }

  #send(batch: Extent[]): void {
    const bytes = batch.reduce((sum, extent) => sum + extent.length, 0);
    const partial = batch[0]!.length < EXTENT_BYTES;
    if (partial) this.#batchesInFlight++;
    const segments = batch.map((extent) => ({ offset: extent.offset, data: extent.buffer.subarray(0, extent.length) }));
    // writev keeps the order of overlapping segments (the later one wins), as separate writes in order would.
    const written = segments.length === 1 ? this.#dfs.write(this.#handle, segments[0]!.data, segments[0]!.offset) : this.#dfs.writev(this.#handle, segments);
    const sending: Promise<void> = written.then(
      () => undefined,
      (error: unknown) => { this.#error ??= error; },
    ).finally(() => {
      this.#inFlight.delete(sending);
      if (partial) this.#batchesInFlight--;
      this.#budget.release(bytes);
      this.#pump();
    });
    this.#inFlight.add(sending);
  }
}
