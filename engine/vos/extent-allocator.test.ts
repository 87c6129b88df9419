import { describe, expect, it } from 'vitest';
import { ExtentAllocator } from './extent-allocator.js';
import { MemoryFreeListStore as MemoryStore } from './test-harness.js';

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

  it('commit with a rest time: the frees are free but not allocatable until wake at that time', () => {
    const allocator = new ExtentAllocator(new MemoryStore());
    const a = allocator.allocate(8192);
    allocator.allocate(4096);
    allocator.commit();
    allocator.free(a);
    allocator.commit(1000);
    expect(allocator.freeBytes).toBe(8192);
    expect(allocator.allocate(8192).offset).toBe(12288);
    allocator.wake(999);
    expect(allocator.allocate(4096).offset).toBe(20480);
    allocator.wake(1000);
    expect(allocator.allocate(8192).offset).toBe(0);
    expect(allocator.freeBytes).toBe(0);
  });

  it('restAll: every committed free range rests until the given time', () => {
    const store = new MemoryStore();
    const first = new ExtentAllocator(store);
    const a = first.allocate(4096);
    first.allocate(4096);
    first.free(a);
    first.commit();
    const reloaded = new ExtentAllocator(store);
    reloaded.restAll(50);
    expect(reloaded.freeBytes).toBe(4096);
    expect(reloaded.allocate(4096).offset).toBe(8192);
    reloaded.wake(50);
    expect(reloaded.allocate(4096).offset).toBe(0);
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
