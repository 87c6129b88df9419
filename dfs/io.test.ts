/**
 * File I/O on a 3-engine in-process cluster: byte-exact read-back of writes from 1 byte to 64 MiB at
 * arbitrary offsets (crossing chunk boundaries), random writes against an in-memory model, sparse files,
 * short reads at end of file, truncate/extend, hole punch, O_APPEND, vectored I/O, concurrent writers
 * (one handle, and two mounts on disjoint ranges), and the handle's access mode (EBADF).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { silentLog } from '../test/harness/in-process-cluster.js';
import { type Dfs, type DfsObject, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY, mountDfs } from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';
import { seededRandom } from '../test/harness/tx-keys.js';

describe('dfs file io', () => {
  let pool: PoolHandle;
  let fs: Dfs;
  let serial = 0;

  useDfsBed('dfs-io', (bed) => ({ pool, fs } = bed), { create: { chunkSizeBytes: 1024 * 1024 } });

  async function newFile(options: { chunkSizeBytes?: number; flags?: number } = {}): Promise<DfsObject> {
    return fs.open(fs.root, `f${++serial}`, O_CREAT | O_EXCL | (options.flags ?? O_RDWR), 0o644,
      options.chunkSizeBytes === undefined ? {} : { chunkSizeBytes: options.chunkSizeBytes });
  }

  it.each([
    [0, 1], [1_048_575, 2], [3, 1_048_576], [1_048_576 - 100, 3 * 1_048_576 + 200], [5_000_000, 64 * 1024 * 1024],
  ])('write at %i of %i bytes -> reads back byte-exact, size = end', async (offset, length) => {
    const file = await newFile();
    const data = randomBytes(length);
    expect(await fs.write(file, data, offset)).toBe(length);
    expect(await fs.getSize(file)).toBe(offset + length);
    const back = await fs.read(file, length, offset);
    expect(back.equals(data)).toBe(true);
    if (offset > 0) expect((await fs.read(file, Math.min(offset, 4096), 0)).equals(Buffer.alloc(Math.min(offset, 4096)))).toBe(true);
    fs.release(file);
  }, 60_000);

  it('random writes (small chunks) -> file equals the in-memory model', async () => {
    const chunkSizeBytes = 4096;
    const file = await newFile({ chunkSizeBytes });
    // Seeded, so a failure replays.
    const random = seededRandom(7);
    const model = Buffer.alloc(200_000);
    let size = 0;
    for (let step = 0; step < 60; step++) {
      const offset = Math.floor(random() * 150_000);
      const length = 1 + Math.floor(random() * (random() < 0.2 ? 40_000 : 3000));
      const data = randomBytes(length);
      await fs.write(file, data, offset);
      data.copy(model, offset);
      size = Math.max(size, offset + length);
    }
    expect(await fs.getSize(file)).toBe(size);
    expect((await fs.read(file, size + 100, 0)).equals(model.subarray(0, size))).toBe(true);
    fs.release(file);
  });

  it('sparse file: write far out -> holes read as zeros, size is the end of the data', async () => {
    const file = await newFile();
    await fs.write(file, Buffer.from('tail'), 10 * 1024 * 1024);
    expect(await fs.getSize(file)).toBe(10 * 1024 * 1024 + 4);
    expect((await fs.read(file, 8192, 5 * 1024 * 1024 - 4096)).equals(Buffer.alloc(8192))).toBe(true);
    expect((await fs.read(file, 4, 10 * 1024 * 1024)).toString()).toBe('tail');
    fs.release(file);
  });

  it('read: across end of file -> short; past it -> empty; into a buffer -> bytes read', async () => {
    const file = await newFile();
    await fs.write(file, Buffer.from('0123456789'), 0);
    expect((await fs.read(file, 100, 5)).toString()).toBe('56789');
    expect((await fs.read(file, 10, 50)).length).toBe(0);
    const target = Buffer.alloc(8);
    expect(await fs.read(file, target, 6)).toBe(4);
    expect(target.subarray(0, 4).toString()).toBe('6789');
    fs.release(file);
  });

  it('read with a size hint: past it, the size is asked with the data; the answer never rests on the hint', async () => {
    const file = await newFile({ chunkSizeBytes: 64 });
    await fs.write(file, Buffer.from('0123456789'), 0);
    await fs.write(file, Buffer.from('tail'), 200);
    const array = file.array();
    const order: string[] = [];
    const real = { getSize: array.getSize.bind(array), readCovered: array.readCovered.bind(array), readPlaced: array.readPlaced.bind(array) };
    vi.spyOn(array, 'getSize').mockImplementation(() => {
      order.push('size asked');
      return real.getSize();
    });
    vi.spyOn(array, 'readCovered').mockImplementation((offset, length) => {
      order.push('data asked');
      return real.readCovered(offset, length);
    });
    vi.spyOn(array, 'readPlaced').mockImplementation((offset, length) => {
      order.push('data asked');
      return real.readPlaced(offset, length);
    });
    // The hint says the file ends at 10 (it ends at 204): a read to 300 asks both at once and is cut at 204.
    expect((await fs.read(file, 300, 0, { sizeHint: 10 })).length).toBe(204);
    expect(order).toEqual(['size asked', 'data asked']);
    order.length = 0;
    expect((await fs.readPlaced(file, 300, 150, { sizeHint: 10 })).length).toBe(54);
    expect(order).toEqual(['size asked', 'data asked']);
    // Holes inside the file read as zeros whatever the hint: the read of 10..200 meets no end of file.
    order.length = 0;
    expect((await fs.read(file, 190, 10, { sizeHint: 1000 })).equals(Buffer.alloc(190))).toBe(true);
    expect(order).toEqual(['data asked', 'size asked']);
    // Within the hint: the size only if the data met a hole, after it.
    order.length = 0;
    expect((await fs.read(file, 5, 0, { sizeHint: 204 })).toString()).toBe('01234');
    expect(order).toEqual(['data asked']);
    vi.restoreAllMocks();
    fs.release(file);
  });

  it('truncate: shrink -> size and data cut; extend -> zeros up to the new size', async () => {
    const file = await newFile({ chunkSizeBytes: 1000 });
    const data = randomBytes(5500);
    await fs.write(file, data, 0);
    await fs.setattr(file, { size: 2500 });
    expect(await fs.getSize(file)).toBe(2500);
    expect((await fs.read(file, 6000, 0)).equals(data.subarray(0, 2500))).toBe(true);
    const stat = await fs.setattr(file, { size: 4000 });
    expect(stat.size).toBe(4000);
    expect((await fs.read(file, 4000, 0)).equals(Buffer.concat([data.subarray(0, 2500), Buffer.alloc(1500)]))).toBe(true);
    await fs.punch(file, 100, Number.POSITIVE_INFINITY);
    expect(await fs.getSize(file)).toBe(100);
    fs.release(file);
  });

  it('punch: a hole in the middle and one reaching the end -> zeros, size kept', async () => {
    const file = await newFile({ chunkSizeBytes: 1000 });
    const data = randomBytes(4000);
    await fs.write(file, data, 0);
    await fs.punch(file, 500, 2000);
    await fs.punch(file, 3900, 500);
    const expected = Buffer.from(data);
    expected.fill(0, 500, 2500);
    expected.fill(0, 3900, 4000);
    expect(await fs.getSize(file)).toBe(4000);
    expect((await fs.read(file, 4000, 0)).equals(expected)).toBe(true);
    fs.release(file);
  });

  it('O_APPEND: writes land at the end whatever the offset', async () => {
    const file = await newFile({ flags: O_WRONLY | O_APPEND });
    await fs.write(file, Buffer.from('abc'), 0);
    await fs.write(file, Buffer.from('def'), 0);
    const reader = await fs.lookupRel(fs.root, file.name);
    const read = await fs.open(fs.root, file.name, O_RDONLY);
    expect((await fs.read(read, 10, 0)).toString()).toBe('abcdef');
    for (const handle of [file, reader, read]) fs.release(handle);
  });

  it('vectored: writev then readv -> each segment back; overlapping segments -> later wins', async () => {
    const file = await newFile({ chunkSizeBytes: 64 });
    const written = await fs.writev(file, [
      { offset: 0, data: Buffer.from('aaaaaaaaaa') }, { offset: 100, data: Buffer.from('bbbb') }, { offset: 5, data: Buffer.from('cc') },
    ]);
    expect(written).toBe(16);
    const [first, second, past] = await fs.readv(file, [{ offset: 0, length: 10 }, { offset: 98, length: 10 }, { offset: 500, length: 4 }]);
    expect(first!.toString()).toBe('aaaaaccaaa');
    expect(second!.equals(Buffer.from('\0\0bbbb'))).toBe(true);
    expect(past!.length).toBe(0);
    fs.release(file);
  });

  it('concurrent writes on one handle -> all persist', async () => {
    const file = await newFile({ chunkSizeBytes: 4096 });
    const pieces = Array.from({ length: 32 }, () => randomBytes(3000));
    await Promise.all(pieces.map((piece, index) => fs.write(file, piece, index * 3000)));
    expect((await fs.read(file, 96_000, 0)).equals(Buffer.concat(pieces))).toBe(true);
    fs.release(file);
  });

  it('two mounts writing disjoint ranges of one file concurrently -> both persist', async () => {
    const other = await mountDfs({ pool, cont: fs.root.mount.cont.uuid, log: silentLog });
    const file = await newFile({ chunkSizeBytes: 1000 });
    const otherFile = await other.open(other.root, file.name, O_RDWR);
    const left = randomBytes(50_000);
    const right = randomBytes(50_000);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, index) => fs.write(file, left.subarray(index * 5000, (index + 1) * 5000), index * 5000)),
      ...Array.from({ length: 10 }, (_, index) => other.write(otherFile, right.subarray(index * 5000, (index + 1) * 5000), 50_000 + index * 5000)),
    ]);
    expect((await fs.read(file, 100_000, 0)).equals(Buffer.concat([left, right]))).toBe(true);
    other.release(otherFile);
    await other.unmount();
    fs.release(file);
  });

  it('access mode: write through O_RDONLY -> EBADF; read through O_WRONLY -> EBADF; directory -> EISDIR', async () => {
    const file = await newFile({ flags: O_WRONLY });
    expect(await codeOf(fs.read(file, 10, 0))).toBe('EBADF');
    const reader = await fs.open(fs.root, file.name, O_RDONLY);
    expect(await codeOf(fs.write(reader, Buffer.from('x'), 0))).toBe('EBADF');
    expect(await codeOf(fs.read(fs.root, 10, 0))).toBe('EISDIR');
    expect(await codeOf(fs.write(file, Buffer.from('x'), -1))).toBe('EINVAL');
    await fs.sync(file);
    fs.release(reader);
    fs.release(file);
    expect(await codeOf(fs.sync(file))).toBe('EBADF');
  });
});
