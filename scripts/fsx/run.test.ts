import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { drawOp, type World } from './ops.js';
import { mismatchReport, runFsx } from './run.js';
import { SeededRandom } from './seeded-random.js';
import { Side } from './side.js';

const roots: string[] = [];
function pair(): { ref: string; target: string } {
  const root = mkdtempSync(join(tmpdir(), 'fsx-test-'));
  roots.push(root);
  mkdirSync(join(root, 'ref'));
  mkdirSync(join(root, 'target'));
  return { ref: join(root, 'ref'), target: join(root, 'target') };
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const WORLD: World = { files: ['a', 'b/c'], dirs: ['b'], all: ['a', 'b', 'b/c'], openSlots: [1], keep: new Set(), inodes: new Map() };

describe('fsx', () => {
  it('draws the same operations from the same seed and world, and others from another seed', () => {
    const draw = (seed: number): string => {
      const random = new SeededRandom(seed);
      return JSON.stringify(Array.from({ length: 200 }, () => drawOp(random, WORLD)));
    };
    expect(draw(7)).toBe(draw(7));
    expect(draw(8)).not.toBe(draw(7));
  });

  it('never removes or moves the name of a file the world keeps (open through another client)', () => {
    const random = new SeededRandom(5);
    const world: World = { ...WORLD, keep: new Set([11]), inodes: new Map([['a', 11], ['b', 12], ['b/c', 13]]) };
    const ops = Array.from({ length: 2000 }, () => drawOp(random, world));
    expect(ops.filter((op) => (op.kind === 'unlink' && op.path === 'a') || (op.kind === 'rename' && op.from !== op.to && (op.to === 'a' || op.from === 'a')))).toEqual([]);
    expect(ops.filter((op) => op.kind === 'unlink' && op.path === 'b/c').length).toBeGreaterThan(0);
    // A failing copy unlinks its destination (libuv): onto the kept file only from a regular file.
    const copiesOntoKept = ops.filter((op) => op.kind === 'copy' && op.to === 'a');
    expect(copiesOntoKept.length).toBeGreaterThan(0);
    expect(copiesOntoKept.filter((op) => op.kind === 'copy' && !world.files.includes(op.from))).toEqual([]);
  });

  it('two directories of one filesystem match throughout, with collisions failing alike', () => {
    const result = runFsx({ ...pair(), ops: 1500, seed: 3 });
    expect(result.mismatch).toBeUndefined();
    expect(result.ops).toBe(1500);
    expect(result.errors).toBeGreaterThan(150);
  });

  it('reports a tree that differs at the first comparison, with the operations before it', () => {
    const { ref, target } = pair();
    writeFileSync(join(target, 'zz'), 'only here');
    const result = runFsx({ ref, target, ops: 100, seed: 3, checkEvery: 40 });
    expect(result.mismatch?.index).toBe(39);
    expect(result.mismatch?.detail).toMatch(/^trees differ after it: zz: only on the target \(file [0-7]+ 9 9:[0-9a-f]{12}\)$/);
    expect(result.mismatch?.recent).toHaveLength(12);
    expect(result.mismatch?.recentFrom).toBe(28);
    const report = mismatchReport(result).split('\n');
    expect(report[0]).toBe(`#39: ${result.mismatch?.detail}`);
    expect(report.slice(1).map((line) => /^ {2}#(\d+) \{/.exec(line)?.[1])).toEqual(Array.from({ length: 12 }, (_, n) => String(28 + n)));
    expect(mismatchReport({ ops: 1, errors: 0, mismatch: undefined })).toBe('');
  });

  it('an outcome is the errno code of a failure, and no-fd for an empty slot', () => {
    const side = new Side(pair().ref);
    expect(side.apply({ kind: 'rmdir', path: 'missing' }).text).toBe('error ENOENT');
    expect(side.apply({ kind: 'read', slot: 0, offset: 0, length: 1 }).text).toBe('error no-fd');
    expect(side.apply({ kind: 'mkdir', path: 'd', mode: 0o755 }).text).toBe('ok');
    expect(side.apply({ kind: 'mkdir', path: 'd', mode: 0o755 }).text).toBe('error EEXIST');
  });
});
