/**
 * The data blob of one target: `<dir>/data.blob`, holding every value of BLOB_THRESHOLD_BYTES or more.
 * All blob file I/O lives in this class (a later hardware tier substitutes media models behind it).
 * Durability: write() reaches the OS with fs.writeSync before the sqlite commit that references it, so a
 * committed row never points at bytes the process had not yet handed to the kernel. Space freed in a
 * transaction is reused only after that transaction commits (see ExtentAllocator).
 *
 * Local reads: with a lease (`localReadLeaseMs` > 0), a fetch may answer with where a value's bytes lie in
 * this file (placeFor) instead of the bytes, for a reader on this host that preads them itself (as HDFS's
 * short-circuit reads). Such a reader must be done within half the lease of sending its request, and space
 * freed within a lease of a placed answer rests for a lease before it is reused, so the bytes it reads are
 * the ones it was pointed at. A restarted engine does not know what its predecessor placed: every free
 * range rests for a lease after open.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import nodePath from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExtentAllocator, alignBlobLength, type BlobRange, type FreeListStore } from './extent-allocator.js';

export interface DataBlobStats {
  /** The blob's extent: the larger of the file size and the allocation end. */
  fileBytes: number;
  /** Bytes below the allocation end that are allocated to values. */
  usedBytes: number;
  /** Free bytes: free ranges below the end plus any file tail past it. */
  freeBytes: number;
}

/** The blob file as a reader on the engine's host opens it: absolute path, and the inode it must have. */
export interface BlobFile {
  path: string;
  ino: number;
}

export class DataBlob {
  private readonly allocator: ExtentAllocator;
  private fd: number | null;
  /** When the last placed answer was given (by `now`); frees rest while it is under a lease old. */
  private placedAtMs = Number.NEGATIVE_INFINITY;

  private constructor(
    fd: number, store: FreeListStore, private readonly file: BlobFile, private readonly leaseMs: number, private readonly now: () => number,
  ) {
    this.fd = fd;
    this.allocator = new ExtentAllocator(store);
    if (leaseMs > 0) this.allocator.restAll(now() + leaseMs);
  }

  /**
   * Opens or creates the blob file; the free list and end are loaded from `store`. `localReadLeaseMs` > 0
   * allows placed answers (see the file comment); `now` is the clock of the lease (default performance.now).
   */
  static open(path: string, store: FreeListStore, options: { localReadLeaseMs?: number | undefined; now?: () => number } = {}): DataBlob {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      const file = { path: nodePath.resolve(path), ino: fs.fstatSync(fd).ino };
      return new DataBlob(fd, store, file, options.localReadLeaseMs ?? 0, options.now ?? (() => performance.now()));
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Reserves space for `lengthBytes` bytes; the returned range length is aligned. */
  allocate(lengthBytes: number): BlobRange {
    if (this.leaseMs > 0) this.allocator.wake(this.now());
    return this.allocator.allocate(lengthBytes);
  }

  /** True when answers may name places in this file (a lease is set). */
  get placesAllowed(): boolean {
    return this.leaseMs > 0;
  }

  /** For an answer that names places in this file instead of their bytes: the file, with the lease started now. */
  placeFor(): BlobFile {
    assert.ok(this.leaseMs > 0, 'placed answers need a local read lease');
    this.placedAtMs = this.now();
    return this.file;
  }

  /** Writes `data` at `offset` (inside a range from allocate()). Returns once the kernel has the bytes. */
  write(offset: number, data: Buffer): void {
    const fd = this.openFd();
    let done = 0;
    while (done < data.length) {
      done += fs.writeSync(fd, data, done, data.length - done, offset + done);
    }
  }

  /** Reads `lengthBytes` at `offset`; bytes past the file end (never expected) read as zeros. */
  read(offset: number, lengthBytes: number): Buffer {
    const target = Buffer.alloc(lengthBytes);
    this.readInto(offset, target, 0, lengthBytes);
    return target;
  }

  /** Reads `lengthBytes` at `offset` into `target` starting at `targetOffset`; bytes past the file end as zeros. */
  readInto(offset: number, target: Buffer, targetOffset: number, lengthBytes: number): void {
    const fd = this.openFd();
    let done = 0;
    while (done < lengthBytes) {
      const count = fs.readSync(fd, target, targetOffset + done, lengthBytes - done, offset + done);
      if (count === 0) {
        target.fill(0, targetOffset + done, targetOffset + lengthBytes);
        break;
      }
      done += count;
    }
  }

  /** Releases the range holding a value of `lengthBytes` at `offset`; reusable after commit(). */
  free(offset: number, lengthBytes: number): number {
    const range = { offset, length: alignBlobLength(lengthBytes) };
    this.allocator.free(range);
    return range.length;
  }

  /** Allocation length for a value of `lengthBytes`. */
  allocationBytes(lengthBytes: number): number {
    return alignBlobLength(lengthBytes);
  }

  mark(): number {
    return this.allocator.mark();
  }

  undoTo(mark: number): void {
    this.allocator.undoTo(mark);
  }

  commit(): void {
    if (this.leaseMs === 0) return this.allocator.commit();
    const now = this.now();
    this.allocator.commit(now - this.placedAtMs < this.leaseMs ? now + this.leaseMs : undefined);
  }

  /** Bytes allocated to values (no system call; for the hot capacity check). */
  usedBytes(): number {
    return this.allocator.end - this.allocator.freeBytes;
  }

  /**
   * Sizes in bytes. fileBytes covers every allocation even where the file itself is shorter (the tail of
   * the last allocation is never written), so usedBytes + freeBytes = fileBytes.
   */
  stats(): DataBlobStats {
    const fileBytes = Math.max(fs.fstatSync(this.openFd()).size, this.allocator.end);
    const usedBytes = this.allocator.end - this.allocator.freeBytes;
    return { fileBytes, usedBytes, freeBytes: fileBytes - usedBytes };
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private openFd(): number {
    assert.ok(this.fd !== null, 'data blob is closed');
    return this.fd;
  }
}
