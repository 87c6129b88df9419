import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_READ_LEASE_MS } from '../constants.js';
import type { FetchValueBody } from '../wire/rpc/obj.js';
import { LOCAL_READS_ENV, LocalBlobFiles } from './local-blobs.js';

describe('local blob files (placed answers read in place)', () => {
  let dir: string;
  let file: string;
  let ino: number;
  const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-local-blobs-'));
    file = path.join(dir, 'data.blob');
    fs.writeFileSync(file, content);
    ino = fs.statSync(file).ino;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const placed = (places: number[], data = Buffer.from('<>'), blobIno = ino, blobPath = file): FetchValueBody =>
    ({ type: 'array', data, filled: 9, blob: { path: blobPath, ino: blobIno, places } });

  it('puts the placed bytes between the answer data, in order; other values pass as they are', async () => {
    const blobs = new LocalBlobFiles(() => [dir]);
    const single: FetchValueBody = { type: 'single', value: Buffer.from('v') };
    const values = await blobs.resolve([placed([0, 10, 3, 4, 20, 2]), single], performance.now());
    expect(values).toBeDefined();
    const [array, kept] = values!;
    // 'abc' at 0, '<' at 3, 'kl' at 4, '>' at 6.
    expect(array).toEqual({ type: 'array', data: Buffer.from('abc<kl>'), filled: 9 });
    expect(kept).toBe(single);
    blobs.close();
  });

  it('gives up (the caller asks for the bytes) on another inode, a short file, a late read or malformed places', async () => {
    const blobs = new LocalBlobFiles(() => [dir]);
    const now = performance.now();
    expect(await blobs.resolve([placed([0, 0, 3], Buffer.alloc(0), ino + 1)], now)).toBeUndefined();
    expect(await blobs.resolve([placed([0, content.length - 2, 4], Buffer.alloc(0))], now)).toBeUndefined();
    expect(await blobs.resolve([placed([0, 0, 3], Buffer.alloc(0))], now - LOCAL_READ_LEASE_MS)).toBeUndefined();
    // A place before the previous one ends, and data that does not fill the gaps.
    expect(await blobs.resolve([placed([0, 0, 3, 2, 5, 1], Buffer.alloc(0))], now)).toBeUndefined();
    expect(await blobs.resolve([placed([1, 0, 3], Buffer.alloc(0))], now)).toBeUndefined();
    expect(blobs.wanted).toBe(true);
    expect(await blobs.resolve([placed([0, 0, 3], Buffer.alloc(0))], now)).toEqual([{ type: 'array', data: Buffer.from('012'), filled: 9 }]);
    blobs.close();
    expect(blobs.wanted).toBe(false);
    expect(await blobs.resolve([placed([0, 0, 3], Buffer.alloc(0))], performance.now())).toBeUndefined();
  });

  it('a file replaced at the same path is reopened; one that cannot be opened stops placed asks', async () => {
    const blobs = new LocalBlobFiles(() => [dir]);
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0))], performance.now())).toBeDefined();
    fs.rmSync(file);
    fs.writeFileSync(file, Buffer.from('ZYXW'));
    const newIno = fs.statSync(file).ino;
    expect((await blobs.resolve([placed([0, 1, 2], Buffer.alloc(0), newIno)], performance.now()))?.[0]).toEqual({ type: 'array', data: Buffer.from('YX'), filled: 9 });
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0), 1, path.join(dir, 'gone', 'data.blob'))], performance.now())).toBeUndefined();
    expect(blobs.wanted).toBe(false);
    blobs.close();
  });

  it('reads only a data blob under an engine\'s directory: no other file an answer names', async () => {
    const blobs = new LocalBlobFiles(() => [path.join(dir, 'engine')]);
    fs.mkdirSync(path.join(dir, 'engine', 'tgt-0'), { recursive: true });
    const inside = path.join(dir, 'engine', 'tgt-0', 'data.blob');
    fs.writeFileSync(inside, content);
    const insideIno = fs.statSync(inside).ino;
    const other = path.join(dir, 'engine', 'tgt-0', 'secret');
    fs.writeFileSync(other, content);
    const now = performance.now();
    // Outside the engine's directory, another name, or not normalized: refused without being opened.
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0))], now)).toBeUndefined();
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0), fs.statSync(other).ino, other)], now)).toBeUndefined();
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0), insideIno, `${dir}/engine/tgt-0/../tgt-0/data.blob`)], now)).toBeUndefined();
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0), insideIno, 'engine/tgt-0/data.blob')], now)).toBeUndefined();
    expect(blobs.wanted).toBe(true);
    expect(await blobs.resolve([placed([0, 0, 2], Buffer.alloc(0), insideIno, inside)], now)).toEqual([{ type: 'array', data: Buffer.from('01'), filled: 9 }]);
    blobs.close();
  });

  it(`${LOCAL_READS_ENV}=0 turns local reads off`, () => {
    expect(LocalBlobFiles.enabled({})).toBe(true);
    expect(LocalBlobFiles.enabled({ [LOCAL_READS_ENV]: '0' })).toBe(false);
  });
});
