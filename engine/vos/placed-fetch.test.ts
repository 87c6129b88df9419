import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataBlob } from './data-blob.js';
import type { FetchValue } from './operation.js';
import { MemoryFreeListStore, OBJ, ep, key, openTempTarget, putArray, type TempTarget } from './test-harness.js';

const LEASE_MS = 1000;

/** `count` bytes that differ from place to place (a misplaced offset reads other bytes). */
function pattern(count: number, seed: number): Buffer {
  const bytes = Buffer.alloc(count);
  for (let index = 0; index < count; index++) bytes[index] = (index * 31 + seed * 7 + (index >> 8)) & 0xff;
  return bytes;
}

/** The answer's bytes: `data` in the gaps, the places read from the blob file they name. */
function assemble(value: FetchValue): Buffer {
  if (value.type !== 'array') throw new Error('expected an array value');
  const blob = value.blob;
  if (blob === undefined) return value.data;
  expect(fs.statSync(blob.path).ino).toBe(blob.ino);
  const fd = fs.openSync(blob.path, 'r');
  try {
    const parts: Buffer[] = [];
    let dataAt = 0;
    let at = 0;
    for (let index = 0; index < blob.places.length; index += 3) {
      const [placeAt, fileAt, length] = [blob.places[index]!, blob.places[index + 1]!, blob.places[index + 2]!];
      expect(placeAt).toBeGreaterThanOrEqual(at);
      parts.push(value.data.subarray(dataAt, dataAt + placeAt - at));
      dataAt += placeAt - at;
      const bytes = Buffer.alloc(length);
      expect(fs.readSync(fd, bytes, 0, length, fileAt)).toBe(length);
      parts.push(bytes);
      at = placeAt + length;
    }
    parts.push(value.data.subarray(dataAt));
    return Buffer.concat(parts);
  } finally {
    fs.closeSync(fd);
  }
}

function fetchRange(temp: TempTarget, epoch: number, index: number, count: number, placed: boolean): FetchValue {
  const [value] = temp.vos.fetch({
    ...OBJ, dkey: key('d'), epoch: ep(epoch), placed,
    iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index, count }] }],
  });
  return value!;
}

describe('placed fetch answers (local reads)', () => {
  let temp: TempTarget | undefined;
  afterEach(() => {
    temp?.cleanup();
    temp = undefined;
  });

  it('names blob bytes by place, inline bytes and holes in data, and reads back as the plain answer', () => {
    temp = openTempTarget({ localReadLeaseMs: LEASE_MS });
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 65536, data: pattern(65536, 1) });
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 100, count: 10, data: pattern(10, 2) });
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 3, index: 200, count: 50, data: null });
    const placed = fetchRange(temp, 10, 0, 70000, true);
    const plain = fetchRange(temp, 10, 0, 70000, false);
    if (placed.type !== 'array' || plain.type !== 'array') throw new Error('expected arrays');
    expect(plain.blob).toBeUndefined();
    expect(placed.blob?.path).toBe(path.join(temp.dir, 'data.blob'));
    // Three places (before the inline run, between it and the punch, after the punch); the rest is data.
    expect(placed.blob?.places.length).toBe(9);
    expect(placed.data.length).toBe(10 + 50 + (70000 - 65536));
    expect(placed.filled).toBe(plain.filled);
    expect(assemble(placed).equals(plain.data)).toBe(true);
  });

  it('answers plainly without a lease, or when nothing read lies in the blob', () => {
    temp = openTempTarget();
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 8192, data: Buffer.alloc(8192, 7) });
    const value = fetchRange(temp, 5, 0, 8192, true);
    expect(value.type === 'array' && value.blob === undefined && value.data.equals(Buffer.alloc(8192, 7))).toBe(true);
    const leased = temp.reopen({ localReadLeaseMs: LEASE_MS });
    putArray(leased, { dkey: 'd', akey: 'a', epoch: 2, index: 0, count: 100, data: Buffer.alloc(100, 3) });
    const inline = fetchRange(temp, 5, 0, 100, true);
    expect(inline.type === 'array' && inline.blob === undefined && inline.data.equals(Buffer.alloc(100, 3))).toBe(true);
  });

  it('property: a placed answer reads back as the plain one, for any writes, punches and read ranges', () => {
    temp = openTempTarget({ localReadLeaseMs: LEASE_MS });
    const target = temp;
    const SPAN = 3 * 4096;
    const write = fc.record({
      index: fc.nat(SPAN - 1), count: fc.integer({ min: 1, max: 2 * 4096 }), punch: fc.boolean(), fill: fc.integer({ min: 1, max: 255 }),
    });
    let round = 0;
    fc.assert(fc.property(fc.array(write, { minLength: 1, maxLength: 8 }), fc.nat(SPAN), fc.integer({ min: 1, max: SPAN }), (writes, index, count) => {
      round += 1;
      const ref = { ...OBJ, oid: Buffer.from(OBJ.oid) };
      ref.oid.writeUInt32BE(round, 8);
      writes.forEach((w, at) => {
        putArray(target.vos, { ref, dkey: 'd', akey: 'a', epoch: at + 1, index: w.index, count: w.count, data: w.punch ? null : pattern(w.count, w.fill) });
      });
      for (const epoch of [1, writes.length]) {
        const fetch = (placed: boolean): FetchValue => target.vos.fetch({
          ...ref, dkey: key('d'), epoch: ep(epoch), placed, iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index, count }] }],
        })[0]!;
        const plain = fetch(false);
        if (plain.type !== 'array') throw new Error('expected an array');
        expect(assemble(fetch(true)).equals(plain.data)).toBe(true);
      }
    }), { numRuns: 150 });
  });
});

describe('placed answers and freed space (VOS, real clock)', () => {
  it('space freed after a placed answer is not written again within the lease; it is after the lease', async () => {
    const lease = 300;
    const temp = openTempTarget({ localReadLeaseMs: lease });
    try {
      const other = '0b1c5c1e-4a44-4c59-9d0b-5f1c2d3e4f51';
      // Free space from before this open rests a lease too: let the (empty) free list's lease pass first.
      await new Promise((resolve) => setTimeout(resolve, lease + 20));
      const placedOf = (cont: string): number => {
        const [value] = temp.vos.fetch({
          ...OBJ, cont, dkey: key('d'), epoch: ep(10), placed: true, iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index: 0, count: 8192 }] }],
        });
        if (value?.type !== 'array' || value.blob === undefined) throw new Error('expected a placed answer');
        return value.blob.places[1]!;
      };
      putArray(temp.vos, { ref: { ...OBJ, cont: other }, dkey: 'd', akey: 'a', epoch: 1, index: 0, count: 8192, data: pattern(8192, 1) });
      const placedAt = placedOf(other);
      // The container goes (its blob space is freed); a new value of the same size must not land where the answer pointed.
      temp.vos.destroyContainer(other);
      putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, index: 0, count: 8192, data: pattern(8192, 2) });
      expect(placedOf(OBJ.cont)).not.toBe(placedAt);
      await new Promise((resolve) => setTimeout(resolve, lease + 20));
      putArray(temp.vos, { ref: { ...OBJ, cont: other }, dkey: 'd', akey: 'a', epoch: 3, index: 0, count: 8192, data: pattern(8192, 3) });
      expect(placedOf(other)).toBe(placedAt);
    } finally {
      temp.cleanup();
    }
  });
});

describe('data blob lease', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function openBlob(store: MemoryFreeListStore, clock: { now: number }, leaseMs = LEASE_MS): DataBlob {
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-blob-'));
    return DataBlob.open(path.join(dir, 'data.blob'), store, { localReadLeaseMs: leaseMs, now: () => clock.now });
  }

  it('space freed within a lease of a placed answer is reused only a lease later; other frees at once', () => {
    const clock = { now: 0 };
    const blob = openBlob(new MemoryFreeListStore(), clock);
    const a = blob.allocate(4096);
    const b = blob.allocate(4096);
    blob.commit();
    // No placed answer yet: freed space is reused after the commit, as without local reads.
    blob.free(a.offset, 4096);
    blob.commit();
    expect(blob.allocate(4096).offset).toBe(a.offset);
    blob.commit();
    clock.now = 10;
    expect(blob.placeFor().ino).toBe(fs.statSync(path.join(dir!, 'data.blob')).ino);
    clock.now = 500;
    blob.free(b.offset, 4096);
    blob.commit();
    expect(blob.allocate(4096).offset).toBe(8192);
    clock.now = 500 + LEASE_MS - 1;
    expect(blob.allocate(4096).offset).toBe(12288);
    clock.now = 500 + LEASE_MS;
    expect(blob.allocate(4096).offset).toBe(b.offset);
    blob.commit();
    // A lease after the last placed answer, frees no longer rest.
    clock.now = 10 + LEASE_MS;
    blob.free(b.offset, 4096);
    blob.commit();
    expect(blob.allocate(4096).offset).toBe(b.offset);
    blob.close();
  });

  it('a reopened blob keeps its free space resting for a lease (its predecessor may have placed it)', () => {
    const clock = { now: 0 };
    const store = new MemoryFreeListStore();
    const first = openBlob(store, clock, 0);
    const a = first.allocate(4096);
    first.allocate(4096);
    first.free(a.offset, 4096);
    first.commit();
    first.close();
    clock.now = 100;
    const reopened = openBlob(store, clock);
    expect(reopened.stats().freeBytes).toBe(4096);
    expect(reopened.allocate(4096).offset).toBe(8192);
    clock.now = 100 + LEASE_MS;
    expect(reopened.allocate(4096).offset).toBe(a.offset);
    reopened.close();
    const unleased = openBlob(store, clock, 0);
    expect(unleased.placesAllowed).toBe(false);
    expect(() => unleased.placeFor()).toThrow(/lease/);
    unleased.close();
  });
});
