/**
 * One FUSE mount on the libfuse3 low-level API through our addon (native/fuse-lowlevel.c), served from
 * Node's event loop: the addon reads each request from /dev/fuse when it is readable and calls one
 * dispatcher synchronously; the answer goes back through the reply methods here, from any later turn.
 * No FUSE threads and no hand-off between threads (fuse-native's high-level loop cost ~100 us of daemon
 * CPU per request for that alone). Requests carry node ids (ours, see node-table.ts), not paths, and
 * reads and writes travel up to 1 MiB per request (FUSE_MAX_PAGES) instead of libfuse2's 128 KiB.
 *
 * Contract: every request passed to the dispatcher is answered exactly once, with one reply method
 * (FORGET needs none: the addon answers it). READDIRPLUS is negotiated: directory pages may carry each
 * entry's attributes, which spares the kernel a LOOKUP per name (`ls -l`, `find`, `du`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlacedBytes } from '../dfs/index.js';
import type { FuseStat, FuseStatfs } from './fuse-stat.js';

const EMPTY = Buffer.alloc(0);

const { ENOENT } = constants.errno;

/** Requests as the addon numbers them. */
export const LlOp = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, MKNOD: 6, MKDIR: 7, UNLINK: 8, RMDIR: 9,
  SYMLINK: 10, RENAME: 11, LINK: 12, OPEN: 13, READ: 14, WRITE: 15, FLUSH: 16, RELEASE: 17, FSYNC: 18,
  OPENDIR: 19, READDIR: 20, RELEASEDIR: 21, FSYNCDIR: 22, STATFS: 23, SETXATTR: 24, GETXATTR: 25,
  LISTXATTR: 26, REMOVEXATTR: 27, CREATE: 28, READDIRPLUS: 29, FALLOCATE: 30,
} as const;

/** An outstanding request (libfuse's fuse_req_t, as a number). */
export type Req = number & { readonly __req: unique symbol };

/** The dispatcher: (op, request, ...the op's arguments as the addon passes them). */
export type Dispatch = (op: number, req: Req, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => void;

/** setattr's to_set bits (fuse_lowlevel.h). */
export const SetAttr = {
  MODE: 1 << 0, UID: 1 << 1, GID: 1 << 2, SIZE: 1 << 3, ATIME: 1 << 4, MTIME: 1 << 5, ATIME_NOW: 1 << 7, MTIME_NOW: 1 << 8,
} as const;

/**
 * Open reply flags. NO_FLUSH (FOPEN_NOFLUSH, kernel 5.18+; older kernels ignore it): the kernel sends no
 * FLUSH at each close of that open file.
 */
export const OpenFlag = { DIRECT_IO: 1, KEEP_CACHE: 2, NO_FLUSH: 16 } as const;

/** Largest write per request (the kernel's FUSE_MAX_PAGES limit, 256 pages). */
export const FUSE_IO_BYTES_MAX = 1024 * 1024;
/**
 * Largest read per request (the mount's max_read), and the kernel's readahead window. A read answered from
 * the engines' files is spliced to the kernel through a pipe that must hold the whole answer: 1 MiB is the
 * most a pipe may hold without CAP_SYS_RESOURCE, and libfuse wants three pages spare beside the data, so
 * a 1 MiB answer would be copied instead. Half a window also keeps each answer within one window (one
 * part). fio 1 MiB sequential reads, fresh clusters: 1 MiB 601-1204 MB/s, 1000 KiB 645-1204, 512 KiB
 * 826-1627 (readahead 512 KiB) and 705-1266 (readahead 1 MiB).
 */
export const FUSE_READ_BYTES_MAX = 512 * 1024;

export interface LowLevelMountOptions {
  readonly fsname: string;
  readonly subtype: string;
  /** Other users may use the mount (needs root or user_allow_other). */
  readonly allowOther: boolean;
  readonly readOnly: boolean;
}

interface Addon {
  open(mountPoint: string, options: string, dispatch: Dispatch, onExit: () => void, caller: Int32Array, maxWrite: number, maxReadahead: number, readdirplus: boolean, maxRead: number): object;
  close(session: object): void;
  replyErr(req: Req, errno: number): number;
  replyEntry(req: Req, node: number, generation: number, ino: bigint, attrs: Float64Array, attrTimeout: number, entryTimeout: number): number;
  replyCreate(req: Req, node: number, generation: number, ino: bigint, attrs: Float64Array, attrTimeout: number, entryTimeout: number, fh: number, flags: number): number;
  replyAttr(req: Req, ino: bigint, attrs: Float64Array, timeout: number): number;
  replyOpen(req: Req, fh: number, flags: number): number;
  replyBuf(req: Req, data: Uint8Array, length: number): number;
  /** Each part bytes in memory, or [fd, position, length] of an open file (spliced where libfuse can). */
  replyParts(req: Req, parts: Array<Uint8Array | Float64Array>): number;
  adviseWillNeed(fd: number, position: number, length: number): number;
  replyWrite(req: Req, count: number): number;
  replyReadlink(req: Req, target: string): number;
  replyStatfs(req: Req, values: Float64Array): number;
  replyXattr(req: Req, size: number): number;
}

const ADDON_PATH = join('dfuse', 'native', 'build', 'Release', 'fuse_lowlevel.node');

/** The addon, found from this module upwards (sources run from dfuse/, the build from dist/dfuse/). */
function loadAddon(): Addon {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) return createRequire(import.meta.url)(candidate) as Addon;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${ADDON_PATH} not found: run scripts/setup.sh (it builds the FUSE addon)`);
    dir = up;
  }
}

let addon: Addon | undefined;

/** libfuse's "-o" list: every option explicit (timeouts travel with each answer on the low-level API). */
export function lowLevelOptionList(options: LowLevelMountOptions): string[] {
  const list = [`fsname=${options.fsname}`, `subtype=${options.subtype}`, 'default_permissions', `max_read=${FUSE_READ_BYTES_MAX}`];
  if (options.allowOther) list.push('allow_other');
  if (options.readOnly) list.push('ro');
  return list;
}

const attrScratch = new Float64Array(14);

function encodeStat(stat: FuseStat): Float64Array {
  const a = attrScratch;
  a[0] = stat.mode; a[1] = stat.nlink; a[2] = stat.uid; a[3] = stat.gid; a[4] = stat.rdev; a[5] = stat.size;
  a[6] = stat.blksize; a[7] = stat.blocks;
  let at = 8;
  for (const ms of [stat.atime, stat.mtime, stat.ctime]) {
    const seconds = Math.floor(ms / 1000);
    a[at++] = seconds;
    a[at++] = Math.round((ms - seconds * 1000) * 1e6);
  }
  return a;
}

/**
 * Asks the kernel to start reading the file parts of `bytes` into its page cache (POSIX_FADV_WILLNEED): an
 * answer spliced from them later then finds them there instead of waiting for the engines' disk on the
 * daemon's one thread. Costs a system call per part; nothing for parts in memory. Returns the parts
 * advised (a part of a descriptor that is not open is not).
 */
export function adviseWillNeed(bytes: PlacedBytes): number {
  let advised = 0;
  for (const part of bytes.parts) {
    if (Buffer.isBuffer(part)) continue;
    addon ??= loadAddon();
    if (addon.adviseWillNeed(part.fd, part.position, part.length) === 0) advised += 1;
  }
  return advised;
}

export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly umask: number;
}

export class LowLevelSession {
  readonly #addon: Addon;
  // Off-heap from the start (the addon keeps a pointer to it; small typed arrays may live on the V8 heap).
  readonly #caller = new Int32Array(new ArrayBuffer(16));
  #session: object | undefined;

  private constructor(addonModule: Addon) {
    this.#addon = addonModule;
  }

  /**
   * Mounts `mountPoint` and starts serving; `onExit` runs if the kernel ends the session (the mount
   * was removed from outside). Throws if libfuse cannot mount.
   */
  static mount(mountPoint: string, options: LowLevelMountOptions, dispatch: Dispatch, onExit: () => void): LowLevelSession {
    addon ??= loadAddon();
    const session = new LowLevelSession(addon);
    session.#session = addon.open(mountPoint, lowLevelOptionList(options).join(','), dispatch, onExit, session.#caller, FUSE_IO_BYTES_MAX, FUSE_READ_BYTES_MAX, true, FUSE_READ_BYTES_MAX);
    return session;
  }

  /** The process behind the request being dispatched: read it first thing, before any await. */
  caller(): Caller {
    const c = this.#caller;
    return { uid: c[0]! >>> 0, gid: c[1]! >>> 0, pid: c[2]!, umask: c[3]! };
  }

  /** Stops serving and unmounts (if still mounted). Idempotent. */
  close(): void {
    if (this.#session === undefined) return;
    this.#addon.close(this.#session);
    this.#session = undefined;
  }

  /** Called with each request as it is answered, and the errno it gets (0: success); for metrics and tracing. */
  onAnswer: ((req: Req, errno: number) => void) | undefined;

  /** The addon to answer `req` with, while the session is open: answers to a closed session are dropped (libfuse freed them). */
  #to(req: Req, errno = 0): Addon | undefined {
    if (this.#session === undefined) return undefined;
    this.onAnswer?.(req, errno);
    return this.#addon;
  }

  error(req: Req, errno: number): void {
    this.#to(req, errno)?.replyErr(req, errno);
  }

  ok(req: Req): void {
    this.#to(req)?.replyErr(req, 0);
  }

  entry(req: Req, node: number, stat: FuseStat, attrTimeout: number, entryTimeout: number): void {
    this.#to(req)?.replyEntry(req, node, 0, BigInt(stat.ino), encodeStat(stat), attrTimeout, entryTimeout);
  }

  /** A negative entry the kernel may keep for `timeout` seconds. */
  negative(req: Req, timeout: number): void {
    this.#to(req, ENOENT)?.replyEntry(req, 0, 0, 0n, attrScratch, 0, timeout);
  }

  created(req: Req, node: number, stat: FuseStat, attrTimeout: number, entryTimeout: number, fh: number, flags: number): void {
    this.#to(req)?.replyCreate(req, node, 0, BigInt(stat.ino), encodeStat(stat), attrTimeout, entryTimeout, fh, flags);
  }

  attr(req: Req, stat: FuseStat, timeout: number): void {
    this.#to(req)?.replyAttr(req, BigInt(stat.ino), encodeStat(stat), timeout);
  }

  open(req: Req, fh: number, flags: number): void {
    this.#to(req)?.replyOpen(req, fh, flags);
  }

  data(req: Req, data: Uint8Array, length: number): void {
    this.#to(req)?.replyBuf(req, data, length);
  }

  /** Answers with `bytes` as they are: file parts go to the kernel from the file (no copy here); read them by their time. */
  bytes(req: Req, bytes: PlacedBytes): void {
    const [only] = bytes.parts;
    if (bytes.parts.length <= 1 && (only === undefined || Buffer.isBuffer(only))) return this.data(req, only ?? EMPTY, only?.length ?? 0);
    this.#to(req)?.replyParts(req, bytes.parts.map((part) => (Buffer.isBuffer(part) ? part : Float64Array.of(part.fd, part.position, part.length))));
  }

  written(req: Req, count: number): void {
    this.#to(req)?.replyWrite(req, count);
  }

  readlink(req: Req, target: string): void {
    this.#to(req)?.replyReadlink(req, target);
  }

  statfs(req: Req, space: FuseStatfs): void {
    this.#to(req)?.replyStatfs(req, Float64Array.of(space.bsize, space.frsize, space.blocks, space.bfree, space.bavail, space.files, space.ffree, space.favail, space.fsid, space.flag, space.namemax));
  }

  xattrSize(req: Req, size: number): void {
    this.#to(req)?.replyXattr(req, size);
  }
}

/** DT_* type of a mode (the dirent type the kernel expects). */
function direntType(mode: number): number {
  return (mode & 0o170000) >>> 12;
}

const DIRENT_HEADER_BYTES = 24;

/** One directory entry: its name, inode number, mode; with attributes (for readdirplus) when `stat` is given. */
export interface DirentPlus {
  readonly name: string;
  readonly ino: bigint;
  readonly mode: number;
  readonly stat: FuseStat | undefined;
}

/** Bytes of entry `name`'s struct fuse_dirent after `headBytes` (the name padded to 8 bytes). */
function recordBytes(headBytes: number, nameBytes: number): number {
  return (headBytes + DIRENT_HEADER_BYTES + nameBytes + 7) & ~7;
}

/** Writes entry `index`'s struct fuse_dirent at `at`: ino, next offset (index + 1), name length, type, name, zero padding. */
function writeDirent(buffer: Buffer, at: number, entry: DirentPlus, index: number, nameBytes: number, end: number): void {
  buffer.writeBigUInt64LE(entry.ino, at);
  buffer.writeBigUInt64LE(BigInt(index + 1), at + 8);
  buffer.writeUInt32LE(nameBytes, at + 16);
  buffer.writeUInt32LE(direntType(entry.mode), at + 20);
  buffer.write(entry.name, at + DIRENT_HEADER_BYTES, 'utf8');
  buffer.fill(0, at + DIRENT_HEADER_BYTES + nameBytes, end);
}

/** Encodes entries `from` onwards as struct fuse_dirent records into at most `size` bytes; entry i's offset is i + 1. */
export function encodeDirents(entries: readonly DirentPlus[], from: number, size: number): { buffer: Buffer; length: number } {
  const buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (let index = from; index < entries.length; index++) {
    const entry = entries[index]!;
    const nameBytes = Buffer.byteLength(entry.name);
    const bytes = recordBytes(0, nameBytes);
    if (at + bytes > size) break;
    writeDirent(buffer, at, entry, index, nameBytes, at + bytes);
    at += bytes;
  }
  return { buffer, length: at };
}

const ENTRY_OUT_BYTES = 128;

export interface EntryTimes {
  readonly attr: number;
  readonly entry: number;
}

function writeValid(buffer: Buffer, at: number, seconds: number): number {
  const whole = Math.floor(seconds);
  buffer.writeBigUInt64LE(BigInt(whole), at);
  return Math.round((seconds - whole) * 1e9);
}

/**
 * Encodes entries `from` onwards as struct fuse_direntplus records (fuse_entry_out with the entry's node,
 * timeouts and attributes, then the fuse_dirent) into at most `size` bytes. `nodeOf(index)` is called
 * only for entries with attributes that fit, and must count one kernel lookup for each (the kernel holds
 * the node as if it had looked the name up); entries without attributes go out with node 0 (a plain
 * dirent: the kernel looks the name up itself when it needs to).
 */
export function encodeDirentsPlus(entries: readonly DirentPlus[], from: number, size: number, times: (entry: DirentPlus) => EntryTimes, nodeOf: (index: number) => number): { buffer: Buffer; length: number } {
  const buffer = Buffer.alloc(size);
  let at = 0;
  for (let index = from; index < entries.length; index++) {
    const entry = entries[index]!;
    const nameBytes = Buffer.byteLength(entry.name);
    const bytes = recordBytes(ENTRY_OUT_BYTES, nameBytes);
    if (at + bytes > size) break;
    const stat = entry.stat;
    if (stat !== undefined) {
      const { attr, entry: entryValid } = times(entry);
      buffer.writeBigUInt64LE(BigInt(nodeOf(index)), at);
      const entryNsec = writeValid(buffer, at + 16, entryValid);
      const attrNsec = writeValid(buffer, at + 24, attr);
      buffer.writeUInt32LE(entryNsec, at + 32);
      buffer.writeUInt32LE(attrNsec, at + 36);
      const a = encodeStat(stat);
      const attrAt = at + 40;
      buffer.writeBigUInt64LE(BigInt(stat.ino), attrAt);
      buffer.writeBigUInt64LE(BigInt(a[5]!), attrAt + 8);
      buffer.writeBigUInt64LE(BigInt(a[7]!), attrAt + 16);
      buffer.writeBigInt64LE(BigInt(a[8]!), attrAt + 24);
      buffer.writeBigInt64LE(BigInt(a[10]!), attrAt + 32);
      buffer.writeBigInt64LE(BigInt(a[12]!), attrAt + 40);
      buffer.writeUInt32LE(a[9]!, attrAt + 48);
      buffer.writeUInt32LE(a[11]!, attrAt + 52);
      buffer.writeUInt32LE(a[13]!, attrAt + 56);
      buffer.writeUInt32LE(a[0]!, attrAt + 60);
      buffer.writeUInt32LE(a[1]!, attrAt + 64);
      buffer.writeUInt32LE(a[2]!, attrAt + 68);
      buffer.writeUInt32LE(a[3]!, attrAt + 72);
      buffer.writeUInt32LE(a[4]!, attrAt + 76);
      buffer.writeUInt32LE(a[6]!, attrAt + 80);
    }
    writeDirent(buffer, at + ENTRY_OUT_BYTES, entry, index, nameBytes, at + bytes);
    at += bytes;
  }
  return { buffer, length: at };
}
