/**
 * In-memory allocator of data-blob space: a sorted, coalesced list of free ranges plus the file end.
 * Invariants: a range freed in the current transaction is *pending* and is never handed out before the
 * transaction commits (a crash before commit would leave committed rows pointing at overwritten bytes);
 * every change is journaled so a rolled-back savepoint or transaction can be undone exactly; every change
 * is mirrored into a FreeListStore in the same sqlite transaction, so the durable free list is consistent.
 * A committed free may also *rest* until a given time before it is handed out (local reads: a reader on the
 * engine's host may still be reading the old bytes in place, see DataBlob); resting ranges are free in
 * the store and in freeBytes, only not allocatable yet.
 */
import assert from 'node:assert/strict';
import { BLOB_ALIGN_BYTES } from './constants.js';

/** A byte range of the data blob; lengths are allocation lengths (multiples of BLOB_ALIGN_BYTES). */
export interface BlobRange {
  offset: number;
  length: number;
}

/** Durable mirror of the allocator, written inside the caller's sqlite transaction. */
export interface FreeListStore {
  loadFree(): BlobRange[];
  loadEnd(): number;
  saveEnd(end: number): void;
  /** Adds a free range, coalescing with neighbours. */
  insertFree(range: BlobRange): void;
  /** Removes a range that lies inside one stored free range. */
  removeFree(range: BlobRange): void;
}

type JournalEntry =
  | { kind: 'take'; range: BlobRange }
  | { kind: 'extend'; previousEnd: number }
  | { kind: 'pendingFree'; range: BlobRange };

export function alignBlobLength(lengthBytes: number): number {
  return Math.ceil(lengthBytes / BLOB_ALIGN_BYTES) * BLOB_ALIGN_BYTES;
}

export class ExtentAllocator {
  /** Committed free ranges, sorted by offset, coalesced. */
  private readonly available: BlobRange[];
  private readonly pending: BlobRange[] = [];
  /** Committed frees not allocatable before `until` (in the caller's clock), oldest first. */
  private readonly resting: Array<{ ranges: BlobRange[]; until: number }> = [];
  private readonly journal: JournalEntry[] = [];
  private endBytes: number;
  private availableBytes: number;
  private pendingBytes = 0;
  private restingBytes = 0;

  constructor(private readonly store: FreeListStore) {
    this.available = store.loadFree().sort((a, b) => a.offset - b.offset);
    this.endBytes = store.loadEnd();
    this.availableBytes = this.available.reduce((sum, range) => sum + range.length, 0);
  }

  /** Allocates `lengthBytes` (rounded up to the alignment); first fit, else the file grows. */
  allocate(lengthBytes: number): BlobRange {
    const length = alignBlobLength(lengthBytes);
    assert.ok(length > 0, 'empty blob allocation');
    const index = this.available.findIndex((range) => range.length >= length);
    if (index >= 0) {
      const range = { offset: this.available[index]!.offset, length };
      this.take(index, range);
      return range;
    }
    const last = this.available[this.available.length - 1];
    if (last !== undefined && last.offset + last.length === this.endBytes) {
      // The free tail of the file is reused and the file grows only by the remainder.
      const tail = { offset: last.offset, length: last.length };
      this.take(this.available.length - 1, tail);
      this.extend(length - tail.length);
      return { offset: tail.offset, length };
    }
    const range = { offset: this.endBytes, length };
    this.extend(length);
    return range;
  }

  /** Frees a range; it becomes allocatable only after commit(). */
  free(range: BlobRange): void {
    assert.ok(range.length > 0 && range.length % BLOB_ALIGN_BYTES === 0, 'unaligned blob free');
    assert.ok(range.offset + range.length <= this.endBytes, 'blob free past the end');
    this.pending.push(range);
    this.pendingBytes += range.length;
    this.journal.push({ kind: 'pendingFree', range });
    this.store.insertFree(range);
  }

  /** A journal position for undoTo(). */
  mark(): number {
    return this.journal.length;
  }

  /** Reverts in-memory changes made after `mark` (the sqlite rollback reverts the store). */
  undoTo(mark: number): void {
    while (this.journal.length > mark) {
      const entry = this.journal.pop()!;
      if (entry.kind === 'take') {
        this.insertAvailable(entry.range);
      } else if (entry.kind === 'extend') {
        this.endBytes = entry.previousEnd;
      } else {
        const range = this.pending.pop();
        assert.ok(range === entry.range, 'blob journal out of order');
        this.pendingBytes -= range.length;
      }
    }
  }

  /**
   * The enclosing transaction committed: pending frees become allocatable, or, with `restUntil`, once
   * wake() is called at or after that time (times must not decrease from one call to the next).
   */
  commit(restUntil?: number): void {
    if (restUntil !== undefined && this.pending.length > 0) {
      this.resting.push({ ranges: [...this.pending], until: restUntil });
      this.restingBytes += this.pendingBytes;
    } else {
      for (const range of this.pending) this.insertAvailable(range);
    }
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.journal.length = 0;
  }

  /** Every committed free range rests until `until` (as if freed by commit(until)). Outside a transaction. */
  restAll(until: number): void {
    assert.ok(this.journal.length === 0, 'restAll inside a transaction');
    if (this.available.length === 0) return;
    this.resting.push({ ranges: this.available.splice(0), until });
    this.restingBytes += this.availableBytes;
    this.availableBytes = 0;
  }

  /** Resting ranges whose time has come (`now` at or past their `until`) become allocatable. */
  wake(now: number): void {
    while (this.resting.length > 0 && this.resting[0]!.until <= now) {
      const { ranges } = this.resting.shift()!;
      for (const range of ranges) {
        this.restingBytes -= range.length;
        this.insertAvailable(range);
      }
    }
  }

  /** File end in bytes (every allocation lies below it). */
  get end(): number {
    return this.endBytes;
  }

  /** Free bytes below the end, including frees not yet committed and resting ones. */
  get freeBytes(): number {
    return this.availableBytes + this.pendingBytes + this.restingBytes;
  }

  /** Number of committed free ranges (fragmentation gauge). */
  get freeRangeCount(): number {
    return this.available.length;
  }

  private take(index: number, range: BlobRange): void {
    const source = this.available[index]!;
    assert.ok(source.offset === range.offset && source.length >= range.length);
    if (source.length === range.length) {
      this.available.splice(index, 1);
    } else {
      this.available[index] = { offset: source.offset + range.length, length: source.length - range.length };
    }
    this.availableBytes -= range.length;
    this.journal.push({ kind: 'take', range });
    this.store.removeFree(range);
  }

  private extend(lengthBytes: number): void {
    if (lengthBytes === 0) return;
    this.journal.push({ kind: 'extend', previousEnd: this.endBytes });
    this.endBytes += lengthBytes;
    this.store.saveEnd(this.endBytes);
  }

  /** Inserts into the sorted available list, coalescing with both neighbours. */
  private insertAvailable(range: BlobRange): void {
    let low = 0;
    let high = this.available.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.available[middle]!.offset < range.offset) low = middle + 1;
      else high = middle;
    }
    let offset = range.offset;
    let length = range.length;
    let start = low;
    let removeCount = 0;
    const before = this.available[low - 1];
    if (before !== undefined && before.offset + before.length === offset) {
      offset = before.offset;
      length += before.length;
      start = low - 1;
      removeCount += 1;
    }
    const after = this.available[low];
    if (after !== undefined && range.offset + range.length === after.offset) {
      length += after.length;
      removeCount += 1;
    }
    assert.ok(before === undefined || before.offset + before.length <= range.offset, 'blob double free');
    assert.ok(after === undefined || range.offset + range.length <= after.offset, 'blob double free');
    this.available.splice(start, removeCount, { offset, length });
    this.availableBytes += range.length;
  }
}
