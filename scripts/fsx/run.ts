/**
 * An fsx run: the same seeded sequence of operations applied to a reference directory (a local
 * filesystem the kernel implements, e.g. tmpfs) and to a target directory (on the filesystem under test;
 * or several views of one, through several mounts, used in turn), one operation on each side in turn;
 * every outcome must match (return values, errno codes, bytes read), and every `checkEvery` operations
 * and at the end the whole trees must too. Stops at the first difference
 * and reports it with the operations that led to it, so the seed replays it.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { type Op, type World, drawOp } from './ops.js';
import { SeededRandom } from './seeded-random.js';
import { Side, visibleNames } from './side.js';
import { describeTree, treeDifference } from './tree-compare.js';

export interface FsxOptions {
  /** An empty directory on the reference filesystem. */
  readonly ref: string;
  /**
   * An empty directory on the filesystem under test; or several views of one (the same directory through
   * different mounts), which the operations go through in turn, as one filesystem's clients.
   */
  readonly target: string | readonly string[];
  readonly ops: number;
  readonly seed: number;
  /** Compare the whole trees every this many operations (and always at the end). */
  readonly checkEvery?: number;
  readonly onProgress?: (done: number) => void;
  /** Each operation as applied, with the reference's outcome (and the target's, when it differs). */
  readonly onOp?: (index: number, op: Op, ref: string, target: string) => void;
}

export interface FsxMismatch {
  /** The operation's number in the run (0-based); equal to `ops` for the final tree comparison. */
  readonly index: number;
  /** What differed, in one line. */
  readonly detail: string;
  /** The operations before the difference, up to and including the one that differed (the last RECENT_OPS). */
  readonly recent: readonly Op[];
  /** The number of recent[0] in the run. */
  readonly recentFrom: number;
}

/** The operations before a mismatch, one numbered line each. */
export function recentOpLines(mismatch: FsxMismatch): string {
  return mismatch.recent.map((op, position) => `  #${mismatch.recentFrom + position} ${JSON.stringify(op)}`).join('\n');
}

/** A run's mismatch as a test reports it (the difference, then the operations before it); '' when none. */
export function mismatchReport(result: FsxResult): string {
  const { mismatch } = result;
  return mismatch === undefined ? '' : `#${mismatch.index}: ${mismatch.detail}\n${recentOpLines(mismatch)}`;
}

export interface FsxResult {
  readonly ops: number;
  /** How many operations failed alike on both sides (errno codes equal): collisions the run exercised. */
  readonly errors: number;
  readonly mismatch: FsxMismatch | undefined;
}

const RECENT_OPS = 12;
export const DEFAULT_CHECK_EVERY = 250;
const PROGRESS_EVERY = 500;

export function runFsx(options: FsxOptions): FsxResult {
  const random = new SeededRandom(options.seed);
  const ref = new Side(options.ref);
  const target = new Side(options.target);
  const checkEvery = options.checkEvery ?? DEFAULT_CHECK_EVERY;
  const recent: Op[] = [];
  let errors = 0;
  let recentFrom = 0;
  const mismatch = (index: number, detail: string): FsxResult => ({ ops: index, errors, mismatch: { index, detail, recent: [...recent], recentFrom } });
  try {
    for (let index = 0; index < options.ops; index += 1) {
      const op = drawOp(random, referenceWorld(ref, target.views > 1));
      recent.push(op);
      if (recent.length > RECENT_OPS) {
        recent.shift();
        recentFrom += 1;
      }
      const expected = ref.apply(op);
      const got = target.apply(op);
      options.onOp?.(index, op, expected.text, got.text);
      if (got.text !== expected.text) return mismatch(index, `reference: ${expected.text}; target: ${got.text}${firstDifference(expected.bytes, got.bytes)}`);
      if (expected.text.startsWith('error')) errors += 1;
      if ((index + 1) % checkEvery === 0) {
        const difference = treeDifference(describeTree(ref.root), describeTree(target.root));
        if (difference !== undefined) return mismatch(index, `trees differ after it: ${difference}`);
      }
      if ((index + 1) % PROGRESS_EVERY === 0) options.onProgress?.(index + 1);
    }
  } finally {
    ref.closeAll();
    target.closeAll();
  }
  const difference = treeDifference(describeTree(ref.root), describeTree(target.root));
  if (difference !== undefined) return mismatch(options.ops, `trees differ at the end: ${difference}`);
  return { ops: options.ops, errors, mismatch: undefined };
}

/**
 * The generator's view: the reference side's tree and slots as they are now (symlinks not followed).
 * Open directories keep their names (World.keep); with several views (clients), open files too.
 */
function referenceWorld(ref: Side, keepOpen: boolean): World {
  const files: string[] = [];
  const dirs: string[] = [];
  const all: string[] = [];
  const inodes = new Map<string, number>();
  const walk = (relative: string): void => {
    for (const name of visibleNames(join(ref.root, relative))) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stat = lstatSync(join(ref.root, path));
      all.push(path);
      inodes.set(path, stat.ino);
      if (stat.isFile()) files.push(path);
      if (stat.isDirectory()) {
        dirs.push(path);
        walk(path);
      }
    }
  };
  walk('');
  return { files, dirs, all, openSlots: ref.openSlots(), keep: ref.openInodes(keepOpen ? 'all' : 'dirs'), inodes };
}

function firstDifference(expected: Buffer | undefined, got: Buffer | undefined): string {
  if (expected === undefined || got === undefined) return '';
  const length = Math.min(expected.length, got.length);
  for (let offset = 0; offset < length; offset += 1) {
    if (expected[offset] !== got[offset]) return ` (first differing byte at ${offset})`;
  }
  return expected.length === got.length ? '' : ` (lengths ${expected.length} and ${got.length})`;
}
