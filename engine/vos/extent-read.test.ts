/**
 * Array reads over many extents of mixed lengths (hundreds of small writes, a long extent and a long punch
 * written after them, a reopen), checked against the reference model record by record.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReferenceModel } from './reference-model.js';
import { OBJ, ep, getArray, key, openTempTarget, type TempTarget } from './test-harness.js';
import type { UpdateOp } from './operation.js';
import type { VosTarget } from './vos-target.js';
import { SeededRandom } from '../../scripts/fsx/seeded-random.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

/** Integers in [0, below) from a seeded source, so a failure replays. */
function random(seed: number): (below: number) => number {
  const source = new SeededRandom(seed);
  return (below) => Math.floor(source.next() * below);
}

const RANGE = 6000;

function write(vos: VosTarget, model: ReferenceModel, epoch: number, index: number, count: number, fill: number | null): void {
  const op: UpdateOp = {
    ...OBJ, dkey: key('d'), epoch: ep(epoch),
    iods: [{ akey: key('a'), type: 'array', recordSize: 1, extents: [{ index, count }], data: fill === null ? null : Buffer.alloc(count, fill) }],
  };
  vos.update(op);
  model.update(op);
}

function expectReadsMatch(vos: VosTarget, model: ReferenceModel, next: (below: number) => number, epochMax: number, reads: number): void {
  for (let read = 0; read < reads; read++) {
    const index = next(RANGE);
    const count = 1 + next(120);
    const epoch = 1 + next(epochMax + 5);
    const got = getArray(vos, { dkey: 'd', akey: 'a', epoch, index, count });
    const want = model.fetchArray(OBJ, key('d'), key('a'), epoch, 1, index, count);
    expect(got.equals(want), `read [${index}, ${index + count}) at ${epoch}`).toBe(true);
  }
}

describe('vos array reads over many extents', () => {
  it('short extents, then a long one, punches, a reopen: every read matches the model', () => {
    const next = random(20261203);
    const model = new ReferenceModel();
    let epoch = 0;
    for (let i = 0; i < 300; i++) write(temp.vos, model, ++epoch, next(RANGE - 64), 1 + next(64), 1 + next(250));
    expectReadsMatch(temp.vos, model, next, epoch, 40);
    // A long extent and a long punch, both reaching far past where they start.
    write(temp.vos, model, ++epoch, 100, 5000, 251);
    for (let i = 0; i < 100; i++) write(temp.vos, model, ++epoch, next(RANGE - 64), 1 + next(64), next(3) === 0 ? null : 1 + next(250));
    write(temp.vos, model, ++epoch, 2500, 3000, null);
    expectReadsMatch(temp.vos, model, next, epoch, 80);
    const reopened = temp.reopen();
    expectReadsMatch(reopened, model, next, epoch, 80);
  });

  it('a store indexed by (akey, epoch) alone gets the extent index at open; reads are unchanged', () => {
    const next = random(20261206);
    const model = new ReferenceModel();
    let epoch = 0;
    for (let i = 0; i < 200; i++) write(temp.vos, model, ++epoch, next(RANGE - 64), 1 + next(64), 1 + next(250));
    temp.vos.close();
    const file = path.join(temp.dir, 'vos.sqlite');
    const indexes = (): string[] => {
      const db = new Database(file);
      const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'versions'").all();
      db.close();
      return names.map((row) => row.name);
    };
    const old = new Database(file);
    old.exec('DROP INDEX versions_by_akey_extent; CREATE INDEX versions_by_akey ON versions (akey, epoch)');
    old.close();
    expect(indexes()).toEqual(['versions_by_akey']);
    const reopened = temp.reopen();
    expectReadsMatch(reopened, model, next, epoch, 60);
    reopened.close();
    expect(indexes()).toEqual(['versions_by_akey_extent']);
  });
});
