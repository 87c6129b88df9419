/**
 * One side of an fsx run: a root directory (or several views of one tree, e.g. the same directory through
 * two mounts, used in turn: one operation through each) and its descriptor slots. apply() performs an
 * operation with node:fs under the root and describes what happened as text (the two sides must produce
 * the same text), with the bytes of reads so a difference can be located. Errors are their errno code;
 * an operation on an empty slot is "no-fd" on both sides alike.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, constants, copyFileSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lstatSync, mkdirSync,
  openSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, rmdirSync, statSync, symlinkSync, truncateSync, unlinkSync,
  utimesSync, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { type Op, SLOTS } from './ops.js';

export interface Outcome {
  readonly text: string;
  /** What a read returned, to find the first byte that differs. */
  readonly bytes?: Buffer;
}

/** Names a FUSE daemon gives open files that lost their name (libfuse's hide-on-unlink); not the user's. */
export const HIDDEN_PREFIX = '.fuse_hidden';

/** `length` bytes from `seed` (xorshift32): every write of a run distinct, replayable. */
export function bytesOf(seed: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = seed | 1;
  for (let index = 0; index < length; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

export function digest(bytes: Buffer): string {
  return `${bytes.length}:${createHash('md5').update(bytes).digest('hex').slice(0, 12)}`;
}

/** What fsx compares of an inode: kind, permission bits, and size for files and symlinks (directory sizes are the filesystem's own). */
export function describeStat(stat: Stats): string {
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
  return `${kind} ${(stat.mode & 0o7777).toString(8)}${kind === 'dir' ? '' : ` ${stat.size}`}`;
}

export function visibleNames(dir: string): string[] {
  return readdirSync(dir).filter((name) => !name.startsWith(HIDDEN_PREFIX)).sort();
}

export class Side {
  /** The first view: where trees are read. */
  readonly root: string;
  readonly #views: readonly string[];
  #turn = 0;
  readonly #fds: Array<number | undefined> = new Array<number | undefined>(SLOTS).fill(undefined);

  constructor(views: string | readonly string[]) {
    this.#views = typeof views === 'string' ? [views] : views;
    if (this.#views.length === 0) throw new Error('fsx: a side needs a directory');
    this.root = this.#views[0]!;
  }

  apply(op: Op): Outcome {
    try {
      return this.#apply(op);
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw error;
      return { text: `error ${code}` };
    }
  }

  openSlots(): number[] {
    return this.#fds.flatMap((fd, slot) => (fd === undefined ? [] : [slot]));
  }

  /** The inode numbers of what the slots hold open: everything, or directories only. */
  openInodes(which: 'all' | 'dirs'): Set<number> {
    return new Set(this.#fds.flatMap((fd) => {
      const stat = fd === undefined ? undefined : fstatSync(fd);
      return stat === undefined || (which === 'dirs' && !stat.isDirectory()) ? [] : [stat.ino];
    }));
  }

  /** How many directories this side goes through (several: views of one tree through several mounts). */
  get views(): number {
    return this.#views.length;
  }

  /** Closes every slot (errors ignored: the descriptors are gone either way). */
  closeAll(): void {
    for (let slot = 0; slot < SLOTS; slot += 1) this.#close(slot);
  }

  #apply(op: Op): Outcome {
    const view = this.#views[this.#turn++ % this.#views.length]!;
    const at = (relative: string): string => join(view, relative);
    switch (op.kind) {
      case 'mkdir': mkdirSync(at(op.path), op.mode); return done();
      case 'rmdir': rmdirSync(at(op.path)); return done();
      case 'create': closeSync(openSync(at(op.path), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, op.mode)); return done();
      case 'unlink': unlinkSync(at(op.path)); return done();
      case 'rename': renameSync(at(op.from), at(op.to)); return done();
      case 'symlink': symlinkSync(op.target, at(op.path)); return done();
      case 'readlink': return { text: `ok ${readlinkSync(at(op.path))}` };
      case 'stat': return { text: `ok ${describeStat(op.follow ? statSync(at(op.path)) : lstatSync(at(op.path)))}` };
      case 'readdir': return { text: `ok ${visibleNames(at(op.path)).join(',')}` };
      case 'chmod': chmodSync(at(op.path), op.mode); return done();
      case 'truncate': truncateSync(at(op.path), op.size); return done();
      case 'utimes': {
        utimesSync(at(op.path), op.mtimeMs / 1000, op.mtimeMs / 1000);
        return { text: `ok mtime ${statSync(at(op.path)).mtimeMs}` };
      }
      case 'copy': copyFileSync(at(op.from), at(op.to)); return done();
      case 'readfile': {
        const bytes = readFileSync(at(op.path));
        return { text: `ok ${digest(bytes)}`, bytes };
      }
      case 'open': {
        this.#close(op.slot);
        this.#fds[op.slot] = openSync(at(op.path), op.flags, op.mode);
        return done();
      }
      default: return this.#applyToSlot(op);
    }
  }

  #applyToSlot(op: Exclude<Extract<Op, { slot: number }>, { kind: 'open' }>): Outcome {
    const fd = this.#fds[op.slot];
    if (fd === undefined) return { text: 'error no-fd' };
    switch (op.kind) {
      case 'close': this.#fds[op.slot] = undefined; closeSync(fd); return done();
      case 'write': {
        const data = bytesOf(op.seed, op.length);
        return { text: `ok ${op.offset === null ? writeSync(fd, data) : writeSync(fd, data, 0, data.length, op.offset)}` };
      }
      case 'read': {
        const buffer = Buffer.alloc(op.length);
        const bytes = buffer.subarray(0, readSync(fd, buffer, 0, op.length, op.offset));
        return { text: `ok ${digest(bytes)}`, bytes };
      }
      case 'ftruncate': ftruncateSync(fd, op.size); return done();
      case 'fsync': fsyncSync(fd); return done();
      case 'fstat': return { text: `ok ${describeStat(fstatSync(fd))}` };
      case 'fchmod': fchmodSync(fd, op.mode); return { text: `ok ${describeStat(fstatSync(fd))}` };
      case 'futimes': {
        futimesSync(fd, op.mtimeMs / 1000, op.mtimeMs / 1000);
        return { text: `ok mtime ${fstatSync(fd).mtimeMs}` };
      }
    }
  }

  #close(slot: number): void {
    const fd = this.#fds[slot];
    this.#fds[slot] = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Closed either way.
      }
    }
  }
}

function done(): Outcome {
  return { text: 'ok' };
}
