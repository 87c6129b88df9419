import { describe, expect, it } from 'vitest';
import { ExtentAllocator, type BlobRange, type FreeListStore } from './extent-allocator.js';

/** An in-memory FreeListStore that records the durable state the allocator writes. */
class MemoryStore implements FreeListStore {
  free: BlobRange[] = [];
  end = 0;
  loadFree(): BlobRange[] {
    return this.free.map((range) => ({ ...range }));
  }
  loadEnd(): number {
    return this.end;
  }
  saveEnd(end: number): void {
    this.end = end;
  }
  insertFree(range: BlobRange): void {
    this.free.push({ ...range });
    this.free.sort((a, b) => a.offset - b.offset);
    const merged: BlobRange[] = [];
    for (const next of this.free) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.offset + last.length === next.offset) last.length += next.length;
      else merged.push({ ...next });
    }
    this.free = merged;
  }
  removeFree(range: BlobRange): void {
    const index = this.free.findIndex((r) => r.offset <= range.offset && range.offset + range.length <= r.offset + r.length);
    expect(index).toBeGreaterThanOrEqual(0);
    const row = this.free[index]!;
    const pieces = [
      { offset: row.offset, length: range.offset - row.offset },
      { offset: range.offset + range.length, length: row.offset + row.length - range.offset - range.length },
    ].filter((piece) => piece.length > 0);
    this.free.splice(index, 1, ...pieces);
  }
}

describe('extent-allocator', () => {
  it('allocate: rounds up to 4 KiB and grows the end', () => {
    const allocator = new ExtentAllocator(new MemoryStore());
    expect(allocator.allocate(5000)).toEqual({ offset: 0, length: 8192 });
    expect(allocator.allocate(4096)).toEqual({ offset: 8192, length: 4096 });
    expect(allocator.end).toBe(12288);
  });

  it('free: not reusable before commit, reusable after', () => {
    const store = new MemoryStore();
    const allocator = new ExtentAllocator(store);
    const a = allocator.allocate(8192);
    allocator.allocate(4096);
    allocator.commit();
    allocator.free(a);
    expect(allocator.allocate(8192).offset).toBe(12288);
    allocator.commit();
    expect(allocator.allocate(8192).offset).toBe(0);
    expect(allocator.freeBytes).toBe(0);
  });

  it('undoTo: reverts allocations and frees after the mark', () => {
    const store = new MemoryStore();
    const allocator = new ExtentAllocator(store);
    const a = allocator.allocate(4096);
    allocator.commit();
    const mark = allocator.mark();
    allocator.free(a);
    allocator.allocate(16384);
    allocator.undoTo(mark);
    expect(allocator.end).toBe(4096);
    expect(allocator.freeBytes).toBe(0);
    allocator.commit();
    expect(allocator.allocate(4096).offset).toBe(4096);
  });

  it('free: adjacent ranges coalesce; the free tail is reused when the file must grow', () => {
    const store = new MemoryStore();
    const allocator = new ExtentAllocator(store);
    const ranges = [0, 1, 2, 3].map(() => allocator.allocate(4096));
    for (const range of ranges.slice(1)) allocator.free(range);
    allocator.commit();
    expect(allocator.freeRangeCount).toBe(1);
    expect(store.free).toEqual([{ offset: 4096, length: 12288 }]);
    expect(allocator.allocate(20480)).toEqual({ offset: 4096, length: 20480 });
    expect(allocator.end).toBe(24576);
    expect(store.free).toEqual([]);
  });

  it('reload: a new allocator over the stored state continues where the old one committed', () => {
    const store = new MemoryStore();
    const allocator = new ExtentAllocator(store);
    const a = allocator.allocate(8192);
    allocator.allocate(4096);
    allocator.free(a);
    allocator.commit();
    const reloaded = new ExtentAllocator(store);
    expect(reloaded.end).toBe(12288);
    expect(reloaded.freeBytes).toBe(8192);
    expect(reloaded.allocate(8192).offset).toBe(0);
  });
});
