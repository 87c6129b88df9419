/**
 * The data blob of one target: `<dir>/data.blob`, holding every value of BLOB_THRESHOLD_BYTES or more.
 * All blob file I/O lives in this class (a later hardware tier substitutes media models behind it).
 * Durability: write() reaches the OS with fs.writeSync before the sqlite commit that references it, so a
 * committed row never points at bytes the process had not yet handed to the kernel. Space freed in a
 * transaction is reused only after that transaction commits (see ExtentAllocator).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ExtentAllocator, alignBlobLength, type BlobRange, type FreeListStore } from './extent-allocator.js';

export interface DataBlobStats {
  /** The blob's extent: the larger of the file size and the allocation end. */
  fileBytes: number;
  /** Bytes below the allocation end that are allocated to values. */
  usedBytes: number;
  /** Free bytes: free ranges below the end plus any file tail past it. */
  freeBytes: number;
}

export class DataBlob {
  private readonly allocator: ExtentAllocator;
  private fd: number | null;

  private constructor(fd: number, store: FreeListStore) {
    this.fd = fd;
    this.allocator = new ExtentAllocator(store);
  }

  /** Opens or creates the blob file; the free list and end are loaded from `store`. */
  static open(path: string, store: FreeListStore): DataBlob {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      return new DataBlob(fd, store);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Reserves space for `lengthBytes` bytes; the returned range length is aligned. */
  allocate(lengthBytes: number): BlobRange {
    return this.allocator.allocate(lengthBytes);
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
    this.allocator.commit();
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
