/**
 * The in-memory inode of a directory entry (decoded from the dirent by layout.ts), times as Timespec,
 * file-type bits and POSIX mode helpers, and the open flags the API accepts. Pure code: no I/O. Mode
 * and flag values are the platform's (node:fs constants), so they match what Node's fs reports.
 */
import { constants } from 'node:fs';
import type { Oid } from '../engine/placement/oid.js';
import type { ObjClassName } from '../engine/placement/object-class.js';

export const S_IFMT = constants.S_IFMT;
export const S_IFREG = constants.S_IFREG;
export const S_IFDIR = constants.S_IFDIR;
export const S_IFLNK = constants.S_IFLNK;
/** Special files: inode records with no object (the chunk-size field holds rdev). */
export const S_IFIFO = constants.S_IFIFO;
export const S_IFSOCK = constants.S_IFSOCK;
export const S_IFCHR = constants.S_IFCHR;
export const S_IFBLK = constants.S_IFBLK;
/** Permission bits plus setuid, setgid and sticky. */
export const MODE_PERMISSION_MASK = 0o7777;
export const S_ISVTX = 0o1000;
export const S_ISGID = 0o2000;

export const O_RDONLY = constants.O_RDONLY;
export const O_WRONLY = constants.O_WRONLY;
export const O_RDWR = constants.O_RDWR;
export const O_ACCMODE = O_RDONLY | O_WRONLY | O_RDWR;
export const O_CREAT = constants.O_CREAT;
export const O_EXCL = constants.O_EXCL;
export const O_TRUNC = constants.O_TRUNC;
export const O_APPEND = constants.O_APPEND;
export const O_DIRECTORY = constants.O_DIRECTORY;
export const O_NOFOLLOW = constants.O_NOFOLLOW;

/** Seconds and nanoseconds since the Unix epoch. */
export interface Timespec {
  readonly seconds: number;
  readonly nanoseconds: number;
}

/** 'special': a FIFO, socket or device node (mode says which). */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'special';

/** A directory entry's inode as the library uses it. */
export interface Inode {
  /** File type and permission bits. */
  readonly mode: number;
  /** The entry's object (symlinks get an oid for a stable inode number but no object). */
  readonly oid: Oid;
  readonly atime: Timespec;
  /** Stored mtime: creation time or the last explicit setattr; reported only while no write is newer. */
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  /** Epoch of the object's newest write when `mtime` was stored (0 at creation). */
  readonly mtimeEpoch: number;
  /** File: its chunk size. Directory: default for new files under it (0 = the superblock's). */
  readonly chunkSizeBytes: number;
  /** File: its class. Directory: default class for new files under it (undefined = the superblock's). */
  readonly oclass: ObjClassName | undefined;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of the symlink target; 0 for other types. */
  readonly symlinkBytes: number;
  /**
   * The object has never been written: set when a file or directory is created, cleared before the first
   * write to its object (first-write.ts). Trust it only as read just now (isUnwritten).
   */
  readonly unwritten: boolean;
}

export function kindOfMode(mode: number): EntryKind | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG: return 'file';
    case S_IFDIR: return 'dir';
    case S_IFLNK: return 'symlink';
    case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK: return 'special';
    default: return undefined;
  }
}

/** The type bits of a kind; special files name theirs (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK). */
export function typeBitsOf(kind: EntryKind, specialType = S_IFIFO): number {
  return kind === 'file' ? S_IFREG : kind === 'dir' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : specialType;
}

export function timespecFromMs(ms: number): Timespec {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanoseconds: Math.round((ms - seconds * 1000) * 1e6) };
}

export function timespecNow(): Timespec {
  return timespecFromMs(Date.now());
}

export function timespecToMs(time: Timespec): number {
  return time.seconds * 1000 + time.nanoseconds / 1e6;
}

/** -1, 0 or 1 as `a` is before, equal to or after `b`. */
export function compareTimespec(a: Timespec, b: Timespec): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  if (a.nanoseconds !== b.nanoseconds) return a.nanoseconds < b.nanoseconds ? -1 : 1;
  return 0;
}

export function laterTimespec(a: Timespec, b: Timespec): Timespec {
  return compareTimespec(a, b) >= 0 ? a : b;
}
