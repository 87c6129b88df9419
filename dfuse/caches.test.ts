/**
 * dfuse's caches against real DFS mounts of a 3-engine in-process cluster: the path cache (lookups
 * shared, entries trusted for their time, subtree invalidation, handles released exactly once even when
 * dropped while in use, bounded; its refresh of walked directories: refresh.test.ts), write-back (coalesced,
 * byte-exact, failures reported once at the next flush, bounded memory) and read windows (byte-exact across
 * windows and at end of file).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../test/harness/fs-error.js';
import { type Dfs, O_CREAT, O_RDWR } from '../dfs/index.js';
import { InodeMap } from './inode-map.js';
import { DENSE_MISSES, ReadAhead, WINDOW_BYTES, WindowBudget } from './read-ahead.js';
import { EXTENT_BYTES, WriteBack, WriteBudget } from './write-back.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';
import type { InProcessCluster } from '../test/harness/in-process-cluster.js';

const LONG = { dentryMs: 60_000, dentryDirMs: 60_000, attrMs: 60_000, negativeMs: 60_000 };

/** A read through `reader`, its bytes in memory. */
async function readBytes(reader: ReadAhead, length: number, offset: number): Promise<Buffer> {
  const bytes = await (await reader.read(length, offset)).toBuffer();
  if (bytes === undefined) throw new Error('placed bytes ran out of time');
  return bytes;
}

function pattern(length: number, seed: number): Buffer {
  const data = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) data[index] = (index * 7 + seed) & 0xff;
  return data;
}

describe('dfuse caches', () => {
  let fs: Dfs;
  let cluster: InProcessCluster;

  useDfsBed('dfuse-caches', (bed) => ({ fs, cluster } = bed));

  beforeAll(async () => {
    const a = await fs.mkdir(fs.root, 'a');
    const b = await fs.mkdir(a, 'b');
    fs.release(await fs.open(b, 'f', O_CREAT | O_RDWR, 0o644));
    fs.release(b);
    fs.release(a);
  });

  it('inode map: resolves paths, shares concurrent lookups, keeps entries for their time', async () => {
    const map = new InodeMap(fs, LONG);
    const before = fs.openHandles;
    const entries = await Promise.all(Array.from({ length: 8 }, () => map.acquire('/a/b/f')));
    expect(new Set(entries).size).toBe(1);
    expect(entries[0]!.handle.kind).toBe('file');
    expect(map.size).toBe(3);
    expect(fs.openHandles - before).toBe(3);
    for (const entry of entries) map.unpin(entry);
    expect(await codeOf(map.acquire('/a/missing'))).toBe('ENOENT');
    expect(await codeOf(map.acquire('/a/b/f/below'))).toBe('ENOTDIR');
    map.clear();
    expect(fs.openHandles).toBe(before);
  });

  it('inode map: invalidateTree drops a directory and everything below; pinned handles go at unpin', async () => {
    const map = new InodeMap(fs, LONG);
    const before = fs.openHandles;
    const pinned = await map.acquire('/a/b/f');
    await map.with('/a', async () => undefined);
    map.invalidateTree('/a');
    expect(map.size).toBe(0);
    expect(pinned.handle.released).toBe(false);
    map.unpin(pinned);
    expect(pinned.handle.released).toBe(true);
    expect(fs.openHandles).toBe(before);
    // A dropped path is looked up again.
    const again = await map.acquire('/a/b/f');
    expect(again).not.toBe(pinned);
    map.unpin(again);
    map.clear();
  });

  it('inode map: invalidateTree reaches entries below a directory that was dropped on its own', async () => {
    const map = new InodeMap(fs, LONG);
    const before = fs.openHandles;
    await map.with('/a/b/f', async () => undefined);
    expect(map.size).toBe(3);
    map.invalidate('/a/b');
    expect(map.size).toBe(2);
    map.invalidateTree('/a');
    expect(map.size).toBe(0);
    expect(fs.openHandles).toBe(before);
  });

  it('inode map: expired entries are looked up again; the map stays within its bound', async () => {
    const map = new InodeMap(fs, { dentryMs: 0, dentryDirMs: 0, attrMs: 0, negativeMs: 0 }, { entriesMax: 2 });
    const first = await map.acquire('/a/b/f');
    map.unpin(first);
    const second = await map.acquire('/a/b/f');
    expect(second).not.toBe(first);
    map.unpin(second);
    expect(map.size).toBeLessThanOrEqual(2);
    map.clear();
  });

  it('inode map: peek gives the cached entry only while its name is trusted, and never looks up', async () => {
    const trusted = new InodeMap(fs, LONG);
    expect(trusted.peek('/a/b/f')).toBeUndefined();
    const entry = await trusted.acquire('/a/b/f');
    trusted.unpin(entry);
    expect(trusted.peek('/a/b/f')).toBe(entry);
    expect(trusted.peek('/')?.path).toBe('/');
    trusted.clear();
    const expiring = new InodeMap(fs, { dentryMs: 0, dentryDirMs: 0, attrMs: 0, negativeMs: 0 });
    expiring.unpin(await expiring.acquire('/a/b/f'));
    expect(expiring.peek('/a/b/f')).toBeUndefined();
    expiring.clear();
  });

  it('inode map: a name looked up again with statAhead comes with its stat, also after the name was replaced', async () => {
    const map = new InodeMap(fs, { dentryMs: 0, dentryDirMs: 0, attrMs: 60_000, negativeMs: 0 });
    const a = await fs.lookup('/a');
    const writeFile = async (length: number): Promise<void> => {
      const file = await fs.open(a, 'g', O_CREAT | O_RDWR, 0o644);
      await fs.write(file, pattern(length, 1), 0);
      fs.release(file);
    };
    await writeFile(100);
    const first = await map.acquire('/a/g');
    expect(first.stat).toBeUndefined();
    map.unpin(first);
    // Written elsewhere meanwhile: the object asked with the entry read has the new size.
    await writeFile(300);
    const again = await map.acquire('/a/g', () => true);
    expect(again.stat?.size).toBe(300);
    expect(again.freshUntil).toBeGreaterThan(Date.now());
    const oldOid = again.handle.oid;
    map.unpin(again);
    // Replaced by another file: the query made for the old object is not used.
    await fs.remove(a, 'g');
    await writeFile(7);
    const replaced = await map.acquire('/a/g', () => true);
    expect(replaced.handle.oid).not.toEqual(oldOid);
    expect(replaced.stat?.size).toBe(7);
    map.unpin(replaced);
    // An object the predicate refuses (writes in flight) is looked up without its stat.
    const refused = await map.acquire('/a/g', () => false);
    expect(refused.stat).toBeUndefined();
    map.unpin(refused);
    map.clear();
    await fs.remove(a, 'g');
    fs.release(a);
  });

  it('write-back: sequential 128 KiB writes land byte-exact after flush, coalesced into whole extents', async () => {
    const file = await fs.open(fs.root, 'wb', O_CREAT | O_RDWR, 0o644);
    const writes: number[] = [];
    const counting = new Proxy(fs, {
      get(target, property, receiver) {
        if (property === 'write') return (handle: Parameters<Dfs['write']>[0], data: Uint8Array, offset: number) => { writes.push(data.length); return target.write(handle, data, offset); };
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writer = new WriteBack(counting, file, new WriteBudget(8 << 20));
    const data = pattern(3 * EXTENT_BYTES + 5000, 3);
    for (let offset = 0; offset < data.length; offset += 128 * 1024) await writer.write(data.subarray(offset, offset + 128 * 1024), offset);
    expect(writer.dirty).toBe(true);
    await writer.flush();
    expect(writer.dirty).toBe(false);
    expect(writes.slice(0, 3)).toEqual([EXTENT_BYTES, EXTENT_BYTES, EXTENT_BYTES]);
    expect(writes.length).toBe(4);
    expect((await fs.read(file, data.length + 10, 0)).equals(data)).toBe(true);
    fs.release(file);
  });

  it('write-back: unaligned writes across chunk ends, from a buffer the caller reuses, land byte-exact', async () => {
    const file = await fs.open(fs.root, 'wb3', O_CREAT | O_RDWR, 0o644);
    const writer = new WriteBack(fs, file, new WriteBudget(8 << 20));
    const data = pattern(2 * EXTENT_BYTES + 77_777, 5);
    const reused = Buffer.alloc(100_000);
    for (let offset = 7; offset < data.length; offset += reused.length) {
      const piece = data.subarray(offset, offset + reused.length);
      piece.copy(reused);
      await writer.write(reused.subarray(0, piece.length), offset);
      reused.fill(0xee);
    }
    await writer.flush();
    const back = await fs.read(file, data.length, 0);
    expect(back.subarray(0, 7).equals(Buffer.alloc(7))).toBe(true);
    expect(back.subarray(7).equals(data.subarray(7))).toBe(true);
    fs.release(file);
  });

  it('write-back: overlapping and scattered writes keep their order; a failure is reported once', async () => {
    const file = await fs.open(fs.root, 'wb2', O_CREAT | O_RDWR, 0o644);
    const writer = new WriteBack(fs, file, new WriteBudget(1 << 20));
    await writer.write(Buffer.from('aaaaaaaa'), 0);
    await writer.write(Buffer.from('bb'), 2);
    await writer.write(Buffer.from('cc'), 100);
    await writer.write(Buffer.from('d'), 3);
    await writer.flush();
    const back = await fs.read(file, 102, 0);
    expect(back.subarray(0, 8).toString()).toBe('aabdaaaa');
    expect(back.subarray(100).toString()).toBe('cc');
    fs.release(file);
    // Writing through a released handle fails in the background: the next flush says so, then it is clear.
    await writer.write(Buffer.from('late'), 0);
    expect(await codeOf(writer.flush())).toBe('EBADF');
    await writer.flush();
  });

  it('write-back: scattered small writes go out in batches (writev), overlapping ones in order, byte-exact', async () => {
    const file = await fs.open(fs.root, 'wb4', O_CREAT | O_RDWR, 0o644);
    const calls = { write: 0, writev: 0 };
    const counting = new Proxy(fs, {
      get(target, property, receiver) {
        if (property === 'write' || property === 'writev') calls[property] += 1;
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const writer = new WriteBack(counting, file, new WriteBudget(8 << 20));
    const model = Buffer.alloc(3 * EXTENT_BYTES);
    let state = 7;
    for (let index = 0; index < 400; index += 1) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      // Offsets on a 64-byte grid, 100 bytes each: neighbours often overlap, and the later write must win.
      const offset = (state % (model.length / 64 - 2)) * 64;
      const data = Buffer.alloc(100, index & 0xff);
      data.copy(model, offset);
      await writer.write(data, offset);
    }
    await writer.flush();
    expect(calls.writev).toBeGreaterThan(0);
    expect(calls.write + calls.writev).toBeLessThan(200);
    expect((await fs.read(file, model.length, 0)).equals(model.subarray(0, (await fs.getSize(file))))).toBe(true);
    fs.release(file);
  });

  it('read windows: reads across window boundaries and at end of file are byte-exact', async () => {
    const file = await fs.open(fs.root, 'ra', O_CREAT | O_RDWR, 0o644);
    const data = pattern(2 * WINDOW_BYTES + 300_000, 9);
    await fs.write(file, data, 0);
    const reader = new ReadAhead(fs, file, new WindowBudget(16));
    for (const length of [128 * 1024, WINDOW_BYTES]) {
      for (const offset of [0, WINDOW_BYTES - 1000, WINDOW_BYTES, 2 * WINDOW_BYTES + 250_000, data.length - 10, data.length + 5]) {
        const got = await readBytes(reader, length, offset);
        expect(got.equals(data.subarray(offset, offset + length))).toBe(true);
      }
    }
    // drop() forgets windows so new data is seen.
    await fs.write(file, Buffer.from('ZZ'), 10);
    reader.drop();
    const again = await readBytes(reader, 128 * 1024, 0);
    expect(again.length).toBe(128 * 1024);
    expect(again.subarray(10, 12).toString()).toBe('ZZ');
    expect((await readBytes(reader, 4, 10)).equals(Buffer.concat([Buffer.from('ZZ'), data.subarray(12, 14)]))).toBe(true);
    fs.release(file);
  });

  it('read windows: small reads go alone until a window has had DENSE_MISSES of them, then come from the whole window', async () => {
    const file = await fs.open(fs.root, 'ra-dense', O_CREAT | O_RDWR, 0o644);
    const data = pattern(3 * WINDOW_BYTES, 5);
    await fs.write(file, data, 0);
    const fetched: number[] = [];
    const counting = {
      read: (handle: typeof file, length: number, offset: number) => (fetched.push(length), fs.read(handle, length, offset)),
      readPlaced: (handle: typeof file, length: number, offset: number) => (fetched.push(length), fs.readPlaced(handle, length, offset)),
    } as unknown as Dfs;
    const budget = new WindowBudget(2);
    const reader = new ReadAhead(counting, file, budget);
    const small = async (offset: number): Promise<void> => {
      expect((await readBytes(reader, 4096, offset)).equals(data.subarray(offset, offset + 4096))).toBe(true);
    };
    for (let read = 0; read < DENSE_MISSES; read += 1) await small(WINDOW_BYTES + read * 8192);
    expect(fetched).toEqual(Array(DENSE_MISSES).fill(4096));
    await small(WINDOW_BYTES + 500_000);
    expect(fetched.slice(DENSE_MISSES)).toEqual([WINDOW_BYTES]);
    // The engines run in this process, so on this host: the window's bytes stay in their files.
    expect((await reader.read(4096, WINDOW_BYTES)).inMemory).toBe(false);
    // Later small reads of that window, even one running into the next, are answered from memory as far as it goes.
    for (const offset of [WINDOW_BYTES, WINDOW_BYTES + 12_345, 2 * WINDOW_BYTES - 4096]) await small(offset);
    expect(fetched.length).toBe(DENSE_MISSES + 1);
    await small(2 * WINDOW_BYTES - 100);
    expect(fetched.length).toBe(DENSE_MISSES + 2);
    expect(budget.size).toBe(2);
    // The budget holds two windows: a third evicts the least recently used (window 1; window 2 was just used).
    for (let read = 0; read <= DENSE_MISSES; read += 1) await small(read * 4096);
    expect(budget.size).toBe(2);
    fetched.length = 0;
    await small(2 * WINDOW_BYTES);
    await small(WINDOW_BYTES);
    expect(fetched).toEqual([4096]);
    // A write through this mount drops the windows (DataCache calls drop): the next reads see it, and the budget is freed.
    await fs.write(file, Buffer.from('QQ'), 8);
    reader.drop();
    expect(budget.size).toBe(0);
    expect((await readBytes(reader, 4, 8)).toString('latin1')).toBe('QQ' + data.subarray(10, 12).toString('latin1'));
    fs.release(file);
  });

  it('read windows: a reader going through a file in order keeps the windows ahead of it, not those behind', async () => {
    const file = await fs.open(fs.root, 'ra-seq', O_CREAT | O_RDWR, 0o644);
    const data = pattern(8 * WINDOW_BYTES, 2);
    await fs.write(file, data, 0);
    const budget = new WindowBudget(64);
    const reader = new ReadAhead(fs, file, budget, data.length);
    for (let offset = 0; offset < data.length; offset += 256 * 1024) {
      expect((await readBytes(reader, 256 * 1024, offset)).equals(data.subarray(offset, offset + 256 * 1024))).toBe(true);
      expect(budget.size).toBeLessThanOrEqual(5);
    }
    // The engines run in this process, so on this host: large reads leave the bytes in their files.
    expect((await reader.read(256 * 1024, 0)).inMemory).toBe(false);
    reader.drop();
    expect(budget.size).toBe(0);
    fs.release(file);
  });

  it('read windows: nothing is fetched ahead past the end of the file, which may grow past the size given', async () => {
    const file = await fs.open(fs.root, 'ra-end', O_CREAT | O_RDWR, 0o644);
    const data = pattern(2 * WINDOW_BYTES + 1000, 3);
    await fs.write(file, data, 0);
    const readAll = async (sizeHint: number | undefined): Promise<number[]> => {
      const fetched: number[] = [];
      const counting = {
        read: (handle: typeof file, length: number, offset: number) => (fetched.push(offset / WINDOW_BYTES), fs.read(handle, length, offset)),
        readPlaced: (handle: typeof file, length: number, offset: number) => (fetched.push(offset / WINDOW_BYTES), fs.readPlaced(handle, length, offset)),
      } as unknown as Dfs;
      const reader = new ReadAhead(counting, file, new WindowBudget(16), sizeHint);
      const parts: Buffer[] = [];
      for (let offset = 0; offset < data.length; offset += WINDOW_BYTES) parts.push(await readBytes(reader, WINDOW_BYTES, offset));
      expect(Buffer.concat(parts).equals(data)).toBe(true);
      return [...new Set(fetched)].sort((a, b) => a - b);
    };
    expect(await readAll(data.length)).toEqual([0, 1, 2]);
    // Size unknown: what the reader learns from the short last window still bounds it, and reads are exact.
    expect((await readAll(undefined)).length).toBeLessThanOrEqual(2 + 1 + 3);
    // The file grew since the size was known: read-ahead follows the windows that come back full.
    expect(await readAll(100)).toContain(2);
    fs.release(file);
  });

  it('read windows: the size of a valid stat holds: reads end at it unasked; a hole before it, a stat run out, a write here: asked', async () => {
    const queries = (): number => cluster.requestsTotal('obj_query_max', 'obj_coll_query_max', 'obj_multi_query_max');
    // S1: one size query is one RPC.
    const file = await fs.open(fs.root, 'ra-holds', O_CREAT | O_RDWR, 0o644, { oclass: 'S1' });
    const data = pattern(20_000, 5);
    await fs.write(file, data, 0);
    const reader = new ReadAhead(fs, file, new WindowBudget(16), data.length, () => data.length);
    let before = queries();
    // The kernel's last page reaches past the end; a large read takes the window path.
    expect((await readBytes(reader, 4096, 16_384)).equals(data.subarray(16_384))).toBe(true);
    expect((await readBytes(reader, 128 * 1024, 0)).equals(data)).toBe(true);
    expect(queries() - before, 'no size query').toBe(0);
    // The stat ran out (the kernel may learn another size now): asked again.
    let valid = true;
    const expiring = new ReadAhead(fs, file, new WindowBudget(16), data.length, () => (valid ? data.length : undefined));
    valid = false;
    before = queries();
    expect((await readBytes(expiring, 4096, 16_384)).equals(data.subarray(16_384))).toBe(true);
    expect(queries() - before).toBe(1);
    // Past the known end (no window fetched there): asked as without.
    before = queries();
    expect((await readBytes(new ReadAhead(fs, file, new WindowBudget(16), data.length, () => data.length), 4096, 20_480)).length).toBe(0);
    expect(queries() - before).toBe(1);
    // Another client cut the file to 10,000 bytes: a read meeting the hole before the known end asks.
    const other = await fs.lookup('/ra-holds', O_RDWR);
    await fs.setattr(other, { size: 10_000 });
    fs.release(other);
    const cut = new ReadAhead(fs, file, new WindowBudget(16), data.length, () => data.length);
    before = queries();
    expect((await readBytes(cut, 12_288, 8192)).equals(data.subarray(8192, 10_000))).toBe(true);
    expect(queries() - before).toBe(1);
    // A write through this mount (the DataCache drops the reader's windows): the size no longer holds.
    await fs.write(file, data.subarray(0, 5000), 10_000);
    reader.drop();
    before = queries();
    expect((await readBytes(reader, 4096, 12_288)).equals(data.subarray(2288, 5000))).toBe(true);
    expect(queries() - before).toBe(1);
    fs.release(file);
  });
});
