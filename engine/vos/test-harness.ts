/**
 * Helpers for VOS tests: temporary targets that clean up after themselves, and one-line single-value and
 * array writes/reads on a default object. Test-only; product code never imports this file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Der, isEngineError } from '../wire/errors.js';
import { asEpoch, type Epoch } from '../wire/epoch.js';
import type { BlobRange, FreeListStore } from './extent-allocator.js';
import type { ListOp, ListResult, ObjectRef, VosOpenOptions } from './operation.js';
import { VosTarget } from './vos-target.js';

export const TEST_CONT = '7b0c5c1e-4a44-4c59-9d0b-5f1c2d3e4f50';

export function oidOf(n: number): Buffer {
  const oid = Buffer.alloc(16);
  oid.writeUInt32BE(n, 12);
  return oid;
}

export const OBJ: ObjectRef = { cont: TEST_CONT, oid: oidOf(1), shard: 0 };

/** A key from a string (UTF-8). */
export function key(text: string): Buffer {
  return Buffer.from(text);
}

export function ep(n: number): Epoch {
  return asEpoch(n);
}

export interface TempTarget {
  dir: string;
  vos: VosTarget;
  /** Closes and reopens the same directory (persistence tests). */
  reopen(options?: Omit<VosOpenOptions, 'dir'>): VosTarget;
  cleanup(): void;
}

export function openTempTarget(options: Omit<VosOpenOptions, 'dir'> = {}): TempTarget {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-vos-'));
  const temp: TempTarget = {
    dir,
    vos: VosTarget.open({ ...options, dir }),
    reopen(reopenOptions = options) {
      temp.vos.close();
      temp.vos = VosTarget.open({ ...reopenOptions, dir });
      return temp.vos;
    },
    cleanup() {
      temp.vos.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return temp;
}

export interface SingleArgs {
  dkey: string;
  akey: string;
  epoch: number;
  ref?: ObjectRef;
}

export function putSingle(vos: VosTarget, args: SingleArgs & { value: Buffer | string }): void {
  const value = typeof args.value === 'string' ? Buffer.from(args.value) : args.value;
  vos.update({
    ...(args.ref ?? OBJ),
    dkey: key(args.dkey),
    epoch: ep(args.epoch),
    iods: [{ akey: key(args.akey), type: 'single', value }],
  });
}

export function getSingle(vos: VosTarget, args: SingleArgs): Buffer | null {
  const [value] = vos.fetch({
    ...(args.ref ?? OBJ),
    dkey: key(args.dkey),
    epoch: ep(args.epoch),
    iods: [{ akey: key(args.akey), type: 'single' }],
  });
  if (value?.type !== 'single') throw new Error('expected a single value');
  return value.value;
}

/** getSingle as a string, or null. */
export function getText(vos: VosTarget, args: SingleArgs): string | null {
  return getSingle(vos, args)?.toString() ?? null;
}

export interface ArrayArgs {
  dkey: string;
  akey: string;
  epoch: number;
  index: number;
  count: number;
  recordSize?: number;
  ref?: ObjectRef;
}

/** Writes records [index, index + count); data null punches them. */
export function putArray(vos: VosTarget, args: ArrayArgs & { data: Buffer | string | null }): void {
  const data = typeof args.data === 'string' ? Buffer.from(args.data) : args.data;
  vos.update({
    ...(args.ref ?? OBJ),
    dkey: key(args.dkey),
    epoch: ep(args.epoch),
    iods: [{ akey: key(args.akey), type: 'array', recordSize: args.recordSize ?? 1, extents: [{ index: args.index, count: args.count }], data }],
  });
}

export function getArray(vos: VosTarget, args: ArrayArgs): Buffer {
  const [value] = vos.fetch({
    ...(args.ref ?? OBJ),
    dkey: key(args.dkey),
    epoch: ep(args.epoch),
    iods: [{ akey: key(args.akey), type: 'array', recordSize: args.recordSize ?? 1, extents: [{ index: args.index, count: args.count }] }],
  });
  if (value?.type !== 'array') throw new Error('expected an array value');
  return value.data;
}

/** Lists every dkey (or akey of `dkey`) at `epoch`, following anchors. */
export function listAll(vos: VosTarget, args: { epoch: number; dkey?: string; ref?: ObjectRef; limit?: number }): string[] {
  const out: string[] = [];
  let anchor: Buffer | null = null;
  do {
    const op: ListOp = { ...(args.ref ?? OBJ), epoch: ep(args.epoch), anchor, limit: args.limit ?? 1000 };
    const page: ListResult = args.dkey === undefined ? vos.listDkeys(op) : vos.listAkeys({ ...op, dkey: key(args.dkey) });
    out.push(...page.keys.map((k) => k.toString()));
    anchor = page.anchor;
  } while (anchor !== null);
  return out;
}

/** The DER code `fn` throws, or undefined when it returns normally. */
export function derOf(fn: () => unknown): Der | undefined {
  try {
    fn();
  } catch (error) {
    if (isEngineError(error)) return error.der;
    throw error;
  }
  return undefined;
}

/** An in-memory FreeListStore that records the durable state the allocator writes. */
export class MemoryFreeListStore implements FreeListStore {
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
    assert.ok(index >= 0, 'removeFree of a range that is not free');
    const row = this.free[index]!;
    const pieces = [
      { offset: row.offset, length: range.offset - row.offset },
      { offset: range.offset + range.length, length: row.offset + row.length - range.offset - range.length },
    ].filter((piece) => piece.length > 0);
    this.free.splice(index, 1, ...pieces);
  }
}
