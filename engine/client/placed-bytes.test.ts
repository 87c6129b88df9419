import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlacedBytes } from './placed-bytes.js';

describe('PlacedBytes', () => {
  let dir: string;
  let fd: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-placed-'));
    const file = path.join(dir, 'blob');
    fs.writeFileSync(file, Buffer.from('0123456789abcdefghij'));
    fd = fs.openSync(file, 'r');
  });
  afterEach(() => {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('subarray cuts across memory and file parts without copying; toBuffer reads the file parts', async () => {
    const later = performance.now() + 60_000;
    const bytes = new PlacedBytes([Buffer.from('AB'), { fd, position: 10, length: 5 }, Buffer.alloc(0), Buffer.from('CD')], later);
    expect(bytes.length).toBe(9);
    expect(bytes.inMemory).toBe(false);
    expect(bytes.parts).toHaveLength(3);
    expect((await bytes.toBuffer())?.toString()).toBe('ABabcdeCD');
    const middle = bytes.subarray(1, 8);
    expect(middle.parts[1]).toEqual({ fd, position: 10, length: 5 });
    expect((await middle.toBuffer())?.toString()).toBe('BabcdeC');
    expect((await bytes.subarray(3, 5).toBuffer())?.toString()).toBe('bc');
    expect(bytes.subarray(7, 100).inMemory).toBe(true);
    expect(bytes.subarray(50).length).toBe(0);
  });

  it('file parts are valid until readBy only; concat takes the earliest; memory alone never runs out', async () => {
    const soon = performance.now() + 100;
    const bytes = new PlacedBytes([{ fd, position: 0, length: 3 }], soon);
    expect(bytes.valid()).toBe(true);
    expect(bytes.valid(1_000)).toBe(false);
    const joined = PlacedBytes.concat([PlacedBytes.of(Buffer.from('x')), bytes, new PlacedBytes([{ fd, position: 3, length: 1 }], soon + 5_000)]);
    expect(joined.readBy).toBe(soon);
    expect((await joined.toBuffer())?.toString()).toBe('x0123');
    const past = new PlacedBytes([{ fd, position: 0, length: 3 }], performance.now() - 1);
    expect(await past.toBuffer()).toBeUndefined();
    const memory = PlacedBytes.of(Buffer.from('m'));
    expect(memory.readBy).toBe(Number.POSITIVE_INFINITY);
    expect(memory.valid(1e12)).toBe(true);
    // A file shorter than the part: not read.
    expect(await new PlacedBytes([{ fd, position: 18, length: 5 }], soon + 60_000).toBuffer()).toBeUndefined();
  });
});
