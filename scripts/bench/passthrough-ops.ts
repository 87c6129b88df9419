/**
 * The handler table of the benchmark's passthrough daemon: every FUSE op is mirrored onto a source
 * directory with node:fs (callback API, real fds as FUSE file handles, positional reads and writes), so the
 * mount measures what a Node FUSE daemon costs by itself, with no filesystem logic of its own.
 * Errors are handed back as Node's (already negative) errno. Holds no state beyond the source path: no
 * caches, no buffering, so flush has nothing to do.
 */
import {
  type Stats, type StatsFs, chmod, close, fdatasync, fsync, ftruncate, lchown, link, lstat, lutimes, mkdir, open,
  read, readdir, readlink, rename, rmdir, statfs, symlink, truncate, unlink, write, constants as fsConstants,
} from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import Fuse, { type FuseOps, type FuseStat, type FuseStatfs } from 'fuse-native';

const EIO = -constants.errno.EIO;
/** Permission bits and set-id/sticky bits: the kernel passes the file type in `mode` too. */
const MODE_PERMISSION_MASK = 0o7777;
/** create() gets no open flags from fuse-native; the kernel already checked O_EXCL against its lookup. */
const CREATE_FLAGS = fsConstants.O_RDWR | fsConstants.O_CREAT;
const NAME_BYTES_MAX = 255;

/** Node's errno for a failed call (negative already), EIO if the error carries none. */
function errnoOf(error: NodeJS.ErrnoException | null): number {
  if (error === null) return 0;
  return typeof error.errno === 'number' && error.errno < 0 ? error.errno : EIO;
}

function toFuseStat(stats: Stats): FuseStat {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    dev: stats.dev,
    nlink: stats.nlink,
    ino: stats.ino,
    rdev: stats.rdev,
    blksize: stats.blksize,
    blocks: stats.blocks,
    atime: Math.trunc(stats.atimeMs),
    mtime: Math.trunc(stats.mtimeMs),
    ctime: Math.trunc(stats.ctimeMs),
  };
}

/** fuse-native hands utimens times in ms, with UTIME_NOW / UTIME_OMIT as sentinels; lutimes takes seconds. */
function utimeSeconds(requestedMs: number, currentMs: number): number {
  if (requestedMs === Fuse.UTIME_OMIT) return currentMs / 1000;
  if (requestedMs === Fuse.UTIME_NOW) return Date.now() / 1000;
  return requestedMs / 1000;
}

/**
 * pread/pwrite until `length` bytes or end of file: without direct_io the kernel takes a short read as end
 * of file, so a partial transfer must not be returned early.
 */
function transferFully(
  direction: 'read' | 'write',
  request: { fd: number; buffer: Buffer; length: number; position: number },
  done: (result: number) => void,
): void {
  let moved = 0;
  const step = (): void => {
    const next = (error: NodeJS.ErrnoException | null, bytes: number): void => {
      if (error !== null) return done(moved > 0 ? moved : errnoOf(error));
      moved += bytes;
      if (bytes === 0 || moved === request.length) return done(moved);
      step();
    };
    const [offset, length, position] = [moved, request.length - moved, request.position + moved];
    if (direction === 'read') read(request.fd, request.buffer, offset, length, position, next);
    else write(request.fd, request.buffer, offset, length, position, next);
  };
  step();
}

/** The passthrough handler table over `source` (an absolute directory). */
export function passthroughOps(source: string): FuseOps {
  const real = (path: string): string => join(source, path);
  const reply = (cb: (errno: number) => void) => (error: NodeJS.ErrnoException | null): void => cb(errnoOf(error));
  return {
    init: (cb) => cb(0),
    getattr: (path, cb) => lstat(real(path), (error, stats) => (error === null ? cb(0, toFuseStat(stats)) : cb(errnoOf(error)))),
    // node's readdir leaves out '.' and '..'; readdir(3) on the mount must list them as on the source.
    readdir: (path, cb) => readdir(real(path), (error, names) => (error === null ? cb(0, ['.', '..', ...names]) : cb(errnoOf(error)))),
    open: (path, flags, cb) => open(real(path), flags, (error, fd) => (error === null ? cb(0, fd) : cb(errnoOf(error)))),
    create: (path, mode, cb) =>
      open(real(path), CREATE_FLAGS, mode & MODE_PERMISSION_MASK, (error, fd) => (error === null ? cb(0, fd) : cb(errnoOf(error)))),
    read: (_path, fd, buffer, length, position, cb) => transferFully('read', { fd, buffer, length, position }, cb),
    write: (_path, fd, buffer, length, position, cb) => transferFully('write', { fd, buffer, length, position }, cb),
    release: (_path, fd, cb) => close(fd, reply(cb)),
    // Nothing is buffered here: every write already reached the source file.
    flush: (_path, _fd, cb) => cb(0),
    fsync: (_path, datasync, fd, cb) => (datasync ? fdatasync(fd, reply(cb)) : fsync(fd, reply(cb))),
    truncate: (path, size, cb) => truncate(real(path), size, reply(cb)),
    ftruncate: (_path, fd, size, cb) => ftruncate(fd, size, reply(cb)),
    unlink: (path, cb) => unlink(real(path), reply(cb)),
    mkdir: (path, mode, cb) => mkdir(real(path), { mode: mode & MODE_PERMISSION_MASK }, reply(cb)),
    rmdir: (path, cb) => rmdir(real(path), reply(cb)),
    rename: (src, dest, cb) => rename(real(src), real(dest), reply(cb)),
    link: (src, dest, cb) => link(real(src), real(dest), reply(cb)),
    symlink: (target, path, cb) => symlink(target, real(path), reply(cb)),
    readlink: (path, cb) => readlink(real(path), (error, target) => (error === null ? cb(0, target) : cb(errnoOf(error)))),
    chmod: (path, mode, cb) => chmod(real(path), mode & MODE_PERMISSION_MASK, reply(cb)),
    chown: (path, uid, gid, cb) => lchown(real(path), uid, gid, reply(cb)),
    utimens: (path, atime, mtime, cb) => utimensPassthrough(real(path), { atime, mtime }, cb),
    statfs: (_path, cb) => statfs(source, (error, stats) => (error === null ? cb(0, toFuseStatfs(stats)) : cb(errnoOf(error)))),
  };
}

/** utimensat with UTIME_OMIT needs the current time of the omitted side: lstat first only then. */
function utimensPassthrough(path: string, times: { atime: number; mtime: number }, cb: (errno: number) => void): void {
  const apply = (current: { atimeMs: number; mtimeMs: number }): void =>
    lutimes(path, utimeSeconds(times.atime, current.atimeMs), utimeSeconds(times.mtime, current.mtimeMs), (error) => cb(errnoOf(error)));
  if (times.atime !== Fuse.UTIME_OMIT && times.mtime !== Fuse.UTIME_OMIT) return apply({ atimeMs: 0, mtimeMs: 0 });
  lstat(path, (error, stats) => (error === null ? apply(stats) : cb(errnoOf(error))));
}

function toFuseStatfs(stats: StatsFs): FuseStatfs {
  return {
    bsize: stats.bsize,
    frsize: stats.bsize,
    blocks: stats.blocks,
    bfree: stats.bfree,
    bavail: stats.bavail,
    files: stats.files,
    ffree: stats.ffree,
    favail: stats.ffree,
    fsid: 0,
    flag: 0,
    namemax: NAME_BYTES_MAX,
  };
}
