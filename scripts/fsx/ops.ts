/**
 * The operations fsx applies, and how it draws them. Paths are mostly ones that exist (World: the
 * reference tree as it is) and otherwise new names a-e in an existing directory, so operations collide
 * all the time: creating what exists, removing what is missing, renaming a directory into itself or
 * over a full one, following dangling and looping symlinks, copying a directory. Files are written, read,
 * truncated, chmod'ed and timed through a few numbered descriptor slots, at offsets that cross the 1 MiB
 * chunk size and leave holes, with every open flag combination that matters (O_APPEND, O_TRUNC, O_EXCL,
 * read-only and write-only descriptors), and a file may lose its name while a slot holds it open.
 */
import { constants } from 'node:fs';
import type { SeededRandom } from './seeded-random.js';

export type Op =
  | { readonly kind: 'mkdir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'rmdir'; readonly path: string }
  | { readonly kind: 'create'; readonly path: string; readonly mode: number }
  | { readonly kind: 'unlink'; readonly path: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'symlink'; readonly target: string; readonly path: string }
  | { readonly kind: 'readlink'; readonly path: string }
  | { readonly kind: 'stat'; readonly path: string; readonly follow: boolean }
  | { readonly kind: 'readdir'; readonly path: string }
  | { readonly kind: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly kind: 'truncate'; readonly path: string; readonly size: number }
  | { readonly kind: 'utimes'; readonly path: string; readonly mtimeMs: number }
  | { readonly kind: 'readfile'; readonly path: string }
  | { readonly kind: 'copy'; readonly from: string; readonly to: string }
  | { readonly kind: 'open'; readonly slot: number; readonly path: string; readonly flags: number; readonly mode: number }
  | { readonly kind: 'close'; readonly slot: number }
  | { readonly kind: 'write'; readonly slot: number; readonly offset: number | null; readonly length: number; readonly seed: number }
  | { readonly kind: 'read'; readonly slot: number; readonly offset: number; readonly length: number }
  | { readonly kind: 'ftruncate'; readonly slot: number; readonly size: number }
  | { readonly kind: 'fsync'; readonly slot: number }
  | { readonly kind: 'fstat'; readonly slot: number }
  | { readonly kind: 'fchmod'; readonly slot: number; readonly mode: number }
  | { readonly kind: 'futimes'; readonly slot: number; readonly mtimeMs: number };

export type OpKind = Op['kind'];

/** Descriptor slots: files open at once on each side. */
export const SLOTS = 4;
const NAMES = ['a', 'b', 'c', 'd', 'e'];
const MiB = 1 << 20;

/** How often each operation is drawn: data operations dominate, as they have the most state to get wrong. */
const WEIGHTS: Readonly<Record<OpKind, number>> = {
  mkdir: 6, rmdir: 3, create: 5, unlink: 4, rename: 6, symlink: 2, readlink: 1, stat: 6, readdir: 4, chmod: 2,
  truncate: 2, utimes: 1, readfile: 4, copy: 2, open: 10, close: 4, write: 20, read: 14, ftruncate: 3, fsync: 2, fstat: 4,
  fchmod: 1, futimes: 1,
};

const SLOT_KINDS: ReadonlySet<OpKind> = new Set(['close', 'write', 'read', 'ftruncate', 'fsync', 'fstat', 'fchmod', 'futimes']);
/** Operations that mostly mean a file (on a directory they fail, which a smaller share still tries). */
const FILE_KINDS: ReadonlySet<OpKind> = new Set(['open', 'truncate', 'readfile', 'unlink', 'copy']);

const OPEN_FLAGS = [
  constants.O_RDWR, constants.O_RDWR | constants.O_CREAT, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
  constants.O_RDONLY, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, constants.O_RDWR | constants.O_APPEND,
  constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, constants.O_RDWR | constants.O_TRUNC,
];

/**
 * What the generator may look at: the reference side as it is now (both sides are alike until the run
 * stops), so most paths name something that exists and most descriptor operations find their slot open.
 */
export interface World {
  /** The existing paths by kind ('/'-separated, relative to the root; symlinks are under `all` only). */
  readonly files: readonly string[];
  readonly dirs: readonly string[];
  readonly all: readonly string[];
  /** The slots holding an open descriptor. */
  readonly openSlots: readonly number[];
  /**
   * Inode numbers whose names no operation may remove or move (unlink, rmdir, rename from or over), where
   * tmpfs keeps serving an open descriptor and DAOS does not: a directory removed while open (its object
   * is punched: DAOS keeps no open count), and with several clients any file open through one and removed
   * through another, or renamed through another (its handle finds its entry by parent and name, as DAOS
   * dfs_ostat). A file removed while open through the same mount keeps working (dfuse hides it).
   */
  readonly keep: ReadonlySet<number>;
  /** path -> inode number, for `keep`. */
  readonly inodes: ReadonlyMap<string, number>;
}

/** A name in an existing directory: new, or colliding with what is there. */
function newPath(random: SeededRandom, world: World): string {
  const dir = world.dirs.length === 0 || random.chance(0.2) ? '' : random.pick(world.dirs);
  const name = random.pick(NAMES);
  return dir === '' ? name : `${dir}/${name}`;
}

/** Usually an existing path (a file, when the operation wants one), else a name that may or may not exist. */
function somePath(random: SeededRandom, world: World, existing: number, want: 'file' | 'any'): string {
  const pool = want === 'file' && world.files.length > 0 && random.chance(0.8) ? world.files : world.all;
  return pool.length > 0 && random.chance(existing) ? random.pick(pool) : newPath(random, world);
}

/** Mostly small offsets and lengths; sometimes around the 1 MiB chunk boundary or well past the end. */
function offset(random: SeededRandom): number {
  switch (random.weighted({ small: 6, chunk: 2, far: 1 })) {
    case 'small': return random.int(0, 64 * 1024);
    case 'chunk': return MiB - random.int(0, 8192) + random.int(0, 8192);
    case 'far': return random.int(0, 3 * MiB);
  }
}

function length(random: SeededRandom): number {
  switch (random.weighted({ tiny: 5, page: 3, large: 1 })) {
    case 'tiny': return random.int(1, 300);
    case 'page': return random.int(1, 3) * 4096 + random.int(-1, 1);
    case 'large': return random.int(64 * 1024, 300 * 1024);
  }
}

/** Whole seconds: every filesystem compared keeps them exactly. */
function mtimeMs(random: SeededRandom): number {
  return Date.UTC(2020, 0, 1) + random.int(0, 10 ** 9) * 1000;
}

function mode(random: SeededRandom, kind: 'file' | 'dir'): number {
  return kind === 'dir' ? random.pick([0o755, 0o700, 0o750]) : random.pick([0o644, 0o600, 0o640, 0o755]);
}

/** A slot with no descriptor, if any (opens go there, so several files stay open at once). */
function freeSlot(random: SeededRandom, open: readonly number[]): number | undefined {
  const free = Array.from({ length: SLOTS }, (_, slot) => slot).filter((slot) => !open.includes(slot));
  return free.length === 0 ? undefined : random.pick(free);
}

/**
 * True when `op` would remove or move the name of a file the world must keep (World.keep). A copy onto a
 * kept file rewrites it in place, unless the copy fails (its source is not a regular file, or is missing):
 * libuv then unlinks the destination it opened.
 */
function removesKept(op: Op, world: World): boolean {
  const kept = (path: string): boolean => world.keep.has(world.inodes.get(path) ?? -1);
  if (op.kind === 'unlink' || op.kind === 'rmdir') return kept(op.path);
  if (op.kind === 'rename') return op.from !== op.to && (kept(op.to) || kept(op.from));
  if (op.kind === 'copy') return kept(op.to) && !world.files.includes(op.from);
  return false;
}

/** Draws the next operation. */
export function drawOp(random: SeededRandom, world: World): Op {
  for (;;) {
    const op = drawAny(random, world);
    if (!removesKept(op, world)) return op;
  }
}

function drawAny(random: SeededRandom, world: World): Op {
  const open = world.openSlots;
  let kind = random.weighted(WEIGHTS);
  // Descriptor operations on no descriptor at all: mostly an open instead.
  if (open.length === 0 && SLOT_KINDS.has(kind) && random.chance(0.8)) kind = 'open';
  const slot = open.length > 0 && random.chance(0.9) ? random.pick(open) : random.int(0, SLOTS - 1);
  const path = (existing = 0.75): string => somePath(random, world, existing, FILE_KINDS.has(kind) ? 'file' : 'any');
  switch (kind) {
    case 'mkdir': return { kind, path: newPath(random, world), mode: mode(random, 'dir') };
    case 'create': return { kind, path: newPath(random, world), mode: mode(random, 'file') };
    case 'rmdir':
    case 'unlink':
    case 'readlink':
    case 'readdir':
    case 'readfile':
      return { kind, path: path() };
    case 'stat': return { kind, path: path(), follow: random.chance(0.5) };
    case 'rename': return { kind, from: path(0.9), to: random.chance(0.7) ? newPath(random, world) : path(1) };
    case 'symlink': {
      // Relative to the link's directory; '..' only where it stays under the root.
      const link = newPath(random, world);
      return { kind, target: link.includes('/') && random.chance(0.2) ? `../${path()}` : path(), path: link };
    }
    case 'chmod': return { kind, path: path(), mode: mode(random, random.chance(0.5) ? 'dir' : 'file') };
    case 'truncate': return { kind, path: path(), size: random.chance(0.3) ? 0 : offset(random) };
    case 'utimes': return { kind, path: path(), mtimeMs: mtimeMs(random) };
    case 'copy': return { kind, from: path(0.9), to: random.chance(0.7) ? newPath(random, world) : path(1) };
    case 'open': return { kind, slot: freeSlot(random, open) ?? slot, path: path(0.6), flags: random.pick(OPEN_FLAGS), mode: mode(random, 'file') };
    case 'close':
    case 'fsync':
    case 'fstat':
      return { kind, slot };
    case 'write': return { kind, slot, offset: random.chance(0.2) ? null : offset(random), length: length(random), seed: random.int(1, 2 ** 31) };
    case 'read': return { kind, slot, offset: random.chance(0.3) ? 0 : offset(random), length: length(random) };
    case 'ftruncate': return { kind, slot, size: random.chance(0.3) ? 0 : offset(random) };
    case 'fchmod': return { kind, slot, mode: mode(random, 'file') };
    case 'futimes': return { kind, slot, mtimeMs: mtimeMs(random) };
  }
}
