/**
 * The DFS public API (the equivalent of DAOS daos_fs.h) and nothing else: a POSIX namespace on the
 * objects of one container. Everything here is promise-based; every function resolves, or rejects with
 * an FsError { errno, code, syscall, path } and nothing else (engine errors go through derToErrno).
 * Handles (DfsObject) come from lookup, lookupRel, open, mkdir and symlink; the caller releases each with
 * release(). Handles of one mount are refused by another (EBADF; rename across mounts: EXDEV).
 * Errnos every call may add to its own list: EBADF (released handle, unmounted), EIO/EHOSTUNREACH/
 * ETIMEDOUT (engines unreachable), ENOSPC (pool full), EACCES (permissions of the mount's credentials).
 */
import { type ContHandle, type PlacedBytes, oidEquals } from '../engine/client/index.js';
import { createLogger } from '../engine/log.js';
import { F_OK, W_OK, requireAccess } from './access.js';
import { type DfsStat, type SetAttrs, type SetattrOptions, objectStateOf, refreshHandle, setattr, statCreated, statHandle, statNode, statOf } from './attr.js';
import type { CreateOptions } from './create.js';
import { type RemoveOptions, mkdir, mknod, readlink, remove, symlink } from './dir.js';
import { fsFail, toFsError } from './errors.js';
import { isUnwritten } from './first-write.js';
import type { DfsObject } from './handle.js';
import { O_NOFOLLOW, type Timespec } from './inode.js';
import { type ReadOptions, type ReadSegment, type WriteSegment, getSize, punchRange, readAt, readInto, readPlaced, readSegments, writeAt, writeSegments } from './io.js';
import { isSymlinkNode, resolveChild, resolvePath } from './lookup.js';
import { type DfsMount, type MountOptions, mountDfs as mountState } from './mount.js';
import { dupHandle, lookupChild, lookupPath, openEntry } from './open.js';
import {
  type DirAnchor, type DirEntryHandle, type DirEntryPlus, type DirEntryRef, type DirPage, anchorSplit, dirAnchorStart, listingPassed,
  readdir, readdirHandles, readdirplus, readdirplusHandles,
} from './readdir.js';
import { type RenameOptions, rename } from './rename.js';
import { type DfsSnapshot, createSnapshot, destroySnapshot, listSnapshots } from './snapshot.js';
import { type DfsStatfs, statfs } from './statfs.js';
import { type MkfsOptions, mkfs as format } from './superblock.js';
import { getxattr, listxattr, removexattr, setxattr } from './xattr.js';

export { FsError, type ErrnoCode, derToErrno, errnoOf } from './errors.js';
export { F_OK, R_OK, W_OK, X_OK } from './access.js';
export {
  O_ACCMODE, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
  MODE_PERMISSION_MASK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type EntryKind, type Timespec,
  timespecNow,
} from './inode.js';
export { oidEquals, oidToString } from '../engine/placement/oid.js';
export { XATTR_CREATE, XATTR_REPLACE } from './xattr.js';
export { READDIR_ENTRIES_MAX, NAME_BYTES_MAX, SYMLINK_FOLLOW_MAX } from './constants.js';
export type { Ino } from './inode-table.js';
export type { DfsObject } from './handle.js';
export { PlacedBytes, type BytesPart, type FilePart } from '../engine/client/index.js';
export type { Credentials, MountOptions } from './mount.js';
export type { MkfsOptions, DfsMode } from './superblock.js';
export type { CreateOptions } from './create.js';
export type { RemoveOptions } from './dir.js';
export type { DfsStat, SetAttrs, SetattrOptions } from './attr.js';
export type { DirAnchor, DirPage, DirEntryHandle, DirEntryPlus, DirEntryRef } from './readdir.js';
export type { RenameOptions } from './rename.js';
export type { ReadOptions, ReadSegment, WriteSegment } from './io.js';
export type { DfsStatfs } from './statfs.js';
export type { DfsSnapshot } from './snapshot.js';
/** What mount options take (a logger, a system file), so front ends need nothing below dfs. */
export { createLogger, type Logger } from '../engine/log.js';
export type { SystemFile } from '../engine/system/system-file.js';

/** Default entries per readdir call. */
export const READDIR_ENTRIES_DEFAULT = 1024;

/**
 * Formats an open container as a POSIX namespace (superblock + root). EEXIST if it holds a superblock,
 * EINVAL if its layout is not POSIX, EROFS on a snapshot handle.
 */
export async function mkfs(cont: ContHandle, options: MkfsOptions = {}): Promise<void> {
  try {
    await format(cont, options);
  } catch (error) {
    throw toFsError(error, 'mkfs', cont.label ?? cont.uuid, cont.pool.log);
  }
}

/**
 * Mounts a container (see MountOptions). ENOENT: no such pool, container or snapshot; EINVAL: the
 * container holds no valid superblock (unless `create` formats an empty one). Release with unmount().
 */
export async function mountDfs(options: MountOptions): Promise<Dfs> {
  const log = options.log ?? createLogger('dfs');
  try {
    return new Dfs(await mountState({ ...options, log }));
  } catch (error) {
    throw toFsError(error, 'mount', typeof options.cont === 'string' ? options.cont : options.cont.label ?? options.cont.uuid, log);
  }
}

export class Dfs {
  readonly #mount: DfsMount;
  /** A handle on the root directory, owned by the mount (release() ignores it). */
  readonly root: DfsObject;

  constructor(mount: DfsMount) {
    this.#mount = mount;
    this.root = mount.openRoot();
  }

  /** True when mounted read-only (option or snapshot): every change is EROFS. */
  get readOnly(): boolean {
    return this.#mount.readOnly;
  }

  /** The snapshot this mount shows, if any. */
  get snapshot(): DfsSnapshot | undefined {
    return this.#mount.snapshot;
  }

  /** Handles currently open on this mount (for leak checks). */
  get openHandles(): number {
    return this.#mount.inodes.handleCount;
  }

  async #run<T>(syscall: string, path: string | undefined, fn: () => Promise<T> | T): Promise<T> {
    try {
      if (!this.#mount.mounted) fsFail('EBADF', 'filesystem is unmounted');
      return await fn();
    } catch (error) {
      throw toFsError(error, syscall, path, this.#mount.log);
    }
  }

  /** The handle if it belongs to this mount and is open; EBADF otherwise. */
  #own(handle: DfsObject): DfsObject {
    if (handle.mount !== this.#mount || handle.released) fsFail('EBADF', `handle ${handle.name} is ${handle.released ? 'released' : 'from another mount'}`);
    return handle;
  }

  /** Unmounts; later calls fail with EBADF. Closes the pool and container only if the mount opened them. */
  async unmount(): Promise<void> {
    await this.#mount.unmount();
  }

  /**
   * The entry at absolute `path` (symlinks followed, the last one too unless flags has O_NOFOLLOW, then
   * the symlink itself is returned). flags with O_WRONLY/O_RDWR check write access as open does.
   * ENOENT, ENOTDIR, ELOOP (more than 40 symlinks), ENAMETOOLONG, EINVAL (relative path), EACCES.
   */
  lookup(path: string, flags = 0): Promise<DfsObject> {
    return this.#run('lookup', path, () => lookupPath(this.#mount, path, flags));
  }

  /** Entry `name` of directory `dir`, as lookup. Also ENOTDIR (dir is not a directory), EINVAL ('.', '..', '/'). */
  lookupRel(dir: DfsObject, name: string, flags = 0): Promise<DfsObject> {
    return this.#run('lookup', name, () => lookupChild(this.#mount, this.#own(dir), name, flags));
  }

  /**
   * lookupRel and the attributes of what it finds (caller releases the handle). With `like`, a handle on
   * the same name from before (released or not), the object is asked together with the entry read and its
   * answer is used when the entry still names that object: one round instead of two, as the usual case is
   * a name that still names what it did. Otherwise the object is asked once the entry is read.
   */
  lookupStat(dir: DfsObject, name: string, flags = 0, like?: DfsObject): Promise<{ handle: DfsObject; stat: DfsStat }> {
    return this.#run('lookup', name, async () => {
      const mount = this.#mount;
      const prior = like?.mount === mount ? like : undefined;
      // A prior handle's unwritten mark may be stale: no guess then, the entry read decides.
      const guess = prior === undefined || isUnwritten(mount, prior.inode) ? undefined : objectStateOf(mount, prior.inode).catch(() => undefined);
      const handle = await lookupChild(mount, this.#own(dir), name, flags);
      try {
        const guessed = prior !== undefined && oidEquals(handle.oid, prior.oid) ? await guess : undefined;
        return { handle, stat: statOf(mount, handle.inode, guessed ?? (await objectStateOf(mount, handle.inode))) };
      } catch (error) {
        this.release(handle);
        throw error;
      }
    });
  }

  /**
   * Opens entry `name` of `dir` (open(2) flags). O_CREAT creates a file (a directory if `mode` has
   * S_IFDIR) with permission bits from `mode` (apply your umask first) unless the name exists; O_EXCL
   * then fails with EEXIST. O_TRUNC empties a file; O_APPEND writes at the end. EISDIR (write access to
   * a directory), ENOTDIR (O_DIRECTORY on a non-directory), ELOOP (O_NOFOLLOW on a symlink), EACCES,
   * EROFS, ENOENT, ENAMETOOLONG, EINVAL (bad name or options). Caller releases the handle.
   */
  open(dir: DfsObject, name: string, flags: number, mode = 0o644, options: CreateOptions = {}): Promise<DfsObject> {
    return this.#run('open', name, () => openEntry(this.#mount, this.#own(dir), name, flags, mode, options));
  }

  /**
   * Another handle on the same entry with `flags` (DAOS dfs_dup): no RPC, checked against the inode the
   * handle last saw as open() checks (ELOOP, EISDIR, ENOTDIR, EROFS, EACCES); O_TRUNC truncates. The
   * caller releases both handles.
   */
  dup(handle: DfsObject, flags: number): Promise<DfsObject> {
    return this.#run('open', handle.name, () => dupHandle(this.#mount, this.#own(handle), flags));
  }

  /** Releases a handle (idempotent for the root). EBADF when already released or from another mount. */
  release(handle: DfsObject): void {
    if (handle === this.root) return;
    try {
      this.#mount.disown(this.#own(handle));
    } catch (error) {
      throw toFsError(error, 'release', handle.name, this.#mount.log);
    }
  }

  /**
   * Reads at `offset`: into `buffer` (resolves with the bytes read) or `length` bytes (resolves with a
   * Buffer). Short at end of file, empty past it; holes read as zeros. EBADF (write-only handle), EISDIR.
   * `options.sizeHint` (ReadOptions): a read past the size the caller believes asks the size with the data
   * (or, with `sizeHintHolds`, ends at that size).
   */
  read(file: DfsObject, buffer: Uint8Array, offset: number): Promise<number>;
  read(file: DfsObject, length: number, offset: number, options?: ReadOptions): Promise<Buffer>;
  read(file: DfsObject, target: Uint8Array | number, offset: number, options?: ReadOptions): Promise<number | Buffer> {
    return this.#run<number | Buffer>('read', file.name, () =>
      typeof target === 'number' ? readAt(this.#own(file), offset, target, options) : readInto(this.#own(file), target, offset));
  }

  /**
   * As read(file, length, offset), but the bytes may stay where the engines on this host keep them
   * (PlacedBytes: read them by their readBy, or read again), so a caller that can send file parts on as
   * they are copies nothing (dfuse splices them into its answer).
   */
  readPlaced(file: DfsObject, length: number, offset: number, options?: ReadOptions): Promise<PlacedBytes> {
    return this.#run('read', file.name, () => readPlaced(this.#own(file), offset, length, options));
  }

  /** Reads several ranges (each result may be short at end of file). */
  readv(file: DfsObject, segments: readonly ReadSegment[]): Promise<Buffer[]> {
    return this.#run('readv', file.name, () => readSegments(this.#own(file), segments));
  }

  /**
   * Writes `data` at `offset` (at the end for O_APPEND handles); resolves with data.length. Concurrent
   * writes on one handle are fine; overlapping ones land in call order. EBADF (read-only handle), EROFS,
   * EISDIR, EFBIG, ENOSPC.
   */
  write(file: DfsObject, data: Uint8Array, offset: number): Promise<number> {
    return this.#run('write', file.name, () => writeAt(this.#own(file), data, offset));
  }

  /** Writes several ranges; where they overlap the later segment wins. Resolves with the total bytes. */
  writev(file: DfsObject, segments: readonly WriteSegment[]): Promise<number> {
    return this.#run('writev', file.name, () => writeSegments(this.#own(file), segments));
  }

  /** The file's size (one query). EISDIR, EINVAL (symlink). */
  getSize(file: DfsObject): Promise<number> {
    return this.#run('getSize', file.name, () => getSize(this.#own(file)));
  }

  /**
   * Punches a hole of `length` bytes at `offset` (reads as zeros, size kept); `length` Infinity
   * truncates (or extends) the file to `offset`. EBADF, EROFS, EISDIR, EINVAL.
   */
  punch(file: DfsObject, offset: number, length: number): Promise<void> {
    return this.#run('punch', file.name, () => punchRange(this.#own(file), offset, length));
  }

  /** Writes are durable when they resolve, so this only checks the handle (EBADF). */
  sync(file: DfsObject): Promise<void> {
    return this.#run('fsync', file.name, () => void this.#own(file));
  }

  /**
   * Creates directory `name` in `dir` with permission bits `mode`; resolves with a handle on it (caller
   * releases). EEXIST, ENOTDIR, EACCES, EROFS, EINVAL, ENAMETOOLONG.
   */
  mkdir(dir: DfsObject, name: string, mode = 0o755, options: CreateOptions = {}): Promise<DfsObject> {
    return this.#run('mkdir', name, () => mkdir(this.#mount, this.#own(dir), name, mode, options));
  }

  /**
   * Up to `count` entry names of `dir` from `anchor` (default: the start); pass the returned anchor back
   * until `anchor.eof`. Order: by redundancy group, then lexical. ENOTDIR, EACCES, EINVAL (count, anchor).
   */
  readdir(dir: DfsObject, anchor?: DirAnchor, count = READDIR_ENTRIES_DEFAULT): Promise<DirPage<string>> {
    return this.#run('readdir', dir.name, () => readdir(this.#mount, this.#own(dir), anchor, count));
  }

  /** readdir with each entry's attributes; entries removed meanwhile are left out. */
  readdirplus(dir: DfsObject, anchor?: DirAnchor, count = READDIR_ENTRIES_DEFAULT): Promise<DirPage<DirEntryPlus>> {
    return this.#run('readdirplus', dir.name, () => readdirplus(this.#mount, this.#own(dir), anchor, count));
  }

  /**
   * readdirplus with a handle on each entry, as lookupRel(dir, name, O_NOFOLLOW) would return it, from the
   * listing's read instead of one RPC per name; the caller releases every handle. Also EACCES without
   * search permission on `dir`. For front ends that cache lookups (dfuse refreshes a large directory so).
   */
  readdirplusHandles(dir: DfsObject, anchor?: DirAnchor, count = READDIR_ENTRIES_DEFAULT): Promise<DirPage<DirEntryHandle>> {
    return this.#run('readdirplus', dir.name, () => readdirplusHandles(this.#mount, this.#own(dir), anchor, count));
  }

  /** readdirplusHandles without the attributes: the names and handles only, none of the queries a stat needs. */
  readdirHandles(dir: DfsObject, anchor?: DirAnchor, count = READDIR_ENTRIES_DEFAULT): Promise<DirPage<DirEntryRef>> {
    return this.#run('readdir', dir.name, () => readdirHandles(this.#mount, this.#own(dir), anchor, count));
  }

  /**
   * One anchor per redundancy group of directory `dir`: readdir from each (in parallel, in any process)
   * until its eof lists every entry exactly once. ENOTDIR, EACCES.
   */
  anchorSplit(dir: DfsObject): Promise<DirAnchor[]> {
    return this.#run('anchorSplit', dir.name, () => anchorSplit(this.#mount, this.#own(dir)));
  }

  /**
   * True when a listing of directory `dir` now at `anchor` has gone past the place of entry `name`: were
   * the entry there all along, the listing would have returned it already (names are listed group by
   * group, each in byte order). EINVAL for a name no entry can have.
   */
  listingPassed(dir: DfsObject, anchor: DirAnchor, name: string): boolean {
    return listingPassed(this.#mount, this.#own(dir), anchor, name);
  }

  /** The anchor that starts a listing (the same as passing none). */
  anchorStart(): DirAnchor {
    return dirAnchorStart();
  }

  /**
   * Attributes of `target`: a path (symlinks followed unless flags has O_NOFOLLOW) or a handle (its entry
   * is read again: ENOENT once removed or renamed away). ENOENT, ENOTDIR, ELOOP, EACCES.
   */
  stat(target: string | DfsObject, flags = 0): Promise<DfsStat> {
    if (typeof target !== 'string') return this.ostat(target);
    return this.#run('stat', target, async () => statNode(this.#mount, (await resolvePath(this.#mount, target, (flags & O_NOFOLLOW) === 0)).node));
  }

  /**
   * Attributes of entry `name` of directory `dir` (DAOS dfs_stat with a parent): one entry fetch plus the
   * object query, where stat(path) fetches every component from the root. Symlinks are followed unless
   * flags has O_NOFOLLOW. ENOENT, ENOTDIR, ELOOP, EACCES, EINVAL ('.', '..', '/'), ENAMETOOLONG.
   */
  statRel(dir: DfsObject, name: string, flags = 0): Promise<DfsStat> {
    return this.#run('stat', name, async () => {
      const parent = this.#own(dir);
      const resolved = await resolveChild(this.#mount, [...parent.ancestors, parent.node], name, (flags & O_NOFOLLOW) === 0);
      return statNode(this.#mount, resolved.node);
    });
  }

  /**
   * Attributes of a handle's entry, read again; with `{ refresh: false }` the entry as the handle last saw
   * it (one object query instead of two RPCs: for a handle that was just looked up or opened).
   */
  ostat(handle: DfsObject, options: { refresh?: boolean } = {}): Promise<DfsStat> {
    return this.#run('fstat', handle.name, () =>
      options.refresh === false ? statNode(this.#mount, this.#own(handle).node) : statHandle(this.#mount, this.#own(handle)));
  }

  /**
   * Attributes of an entry this process has just created through `handle` (open with O_CREAT, mkdir,
   * mknod, symlink) and not written since: from the handle's inode, no RPC. Undefined when the handle
   * did not create its entry (O_CREAT found the name taken: the file may hold data).
   */
  createdStat(handle: DfsObject): DfsStat | undefined {
    return this.#own(handle).created ? statCreated(this.#mount, handle.node) : undefined;
  }

  /** The container's user attributes with these names (those that are set), asked of the service now. */
  containerAttributes(names: readonly string[]): Promise<Record<string, string>> {
    return this.#run('getattr', this.#mount.cont.label ?? this.#mount.cont.uuid, () => this.#mount.cont.getAttrs(names));
  }

  /**
   * Changes attributes; resolves with the new ones. mode/uid/gid/explicit times need ownership (EPERM;
   * chown: root, or the owner giving a group of theirs); size and 'now' times need write permission
   * (EACCES); size on a directory EISDIR. EROFS, ENOENT (entry removed). `options.known`: the handle's
   * attributes as the caller holds them (SetattrOptions): spares the object query of a change without size.
   */
  setattr(handle: DfsObject, attrs: SetAttrs, options?: SetattrOptions): Promise<DfsStat> {
    return this.#run('setattr', handle.name, () => setattr(this.#mount, this.#own(handle), attrs, options));
  }

  /** access(2): F_OK or any of R_OK | W_OK | X_OK on `path` (symlinks followed). EACCES, EROFS (W_OK), ENOENT. */
  access(path: string, mode: number): Promise<void> {
    return this.#run('access', path, async () => {
      const { node } = await resolvePath(this.#mount, path, true);
      if (mode === F_OK) return;
      if ((mode & W_OK) !== 0) this.#mount.assertWritable();
      requireAccess(this.#mount.credentials, node.inode, mode, `access ${path}`);
    });
  }

  /** chmod(2) on a path: setattr({ mode }). */
  chmod(path: string, mode: number): Promise<DfsStat> {
    return this.#onPath('chmod', path, { mode });
  }

  /** chown(2) on a path; undefined keeps that id. */
  chown(path: string, uid: number | undefined, gid: number | undefined): Promise<DfsStat> {
    return this.#onPath('chown', path, { ...(uid === undefined ? {} : { uid }), ...(gid === undefined ? {} : { gid }) });
  }

  /** utimensat(2) on a path: each time explicit, 'now', or undefined (kept). */
  utimens(path: string, atime: Timespec | 'now' | undefined, mtime: Timespec | 'now' | undefined): Promise<DfsStat> {
    return this.#onPath('utimens', path, { ...(atime === undefined ? {} : { atime }), ...(mtime === undefined ? {} : { mtime }) });
  }

  #onPath(syscall: string, path: string, attrs: SetAttrs): Promise<DfsStat> {
    return this.#run(syscall, path, async () => {
      const handle = await lookupPath(this.#mount, path, 0);
      try {
        return await setattr(this.#mount, handle, attrs);
      } finally {
        this.#mount.disown(handle);
      }
    });
  }

  /**
   * Removes entry `name` of `dir` and its object. A non-empty directory is ENOTEMPTY unless `recursive`.
   * Of racing removers exactly one succeeds (the others: ENOENT). EACCES, EPERM (sticky), EROFS, ENOTDIR.
   */
  remove(dir: DfsObject, name: string, options: RemoveOptions = {}): Promise<void> {
    return this.#run('remove', name, () => remove(this.#mount, this.#own(dir), name, options));
  }

  /**
   * Renames `srcName` of `srcDir` to `dstName` of `dstDir`, replacing a target of the same kind (an empty
   * directory for a directory) unless noReplace (EEXIST); exchange swaps two existing entries. Renaming
   * onto itself changes nothing. ENOENT, ENOTDIR/EISDIR (kind mismatch), ENOTEMPTY, EINVAL (a directory
   * into its own subtree), EXDEV (handles of different mounts), EPERM (sticky), EACCES, EROFS.
   */
  rename(srcDir: DfsObject, srcName: string, dstDir: DfsObject, dstName: string, options: RenameOptions = {}): Promise<void> {
    return this.#run('rename', srcName, () => {
      this.#own(srcDir);
      if (dstDir.mount !== this.#mount) fsFail('EXDEV', 'target directory is on another mount');
      return rename(this.#mount, { srcDir, srcName, dstDir: this.#own(dstDir), dstName, options });
    });
  }

  /**
   * Tells `handle` its entry is now `name` in `dir` (this process renamed it; DAOS's dfs_update_parent), so
   * calls through it that touch the entry (setattr, xattrs) find it there. ENOTDIR, EBADF.
   */
  updateParent(handle: DfsObject, dir: DfsObject, name: string): void {
    this.#own(handle);
    if (this.#own(dir).kind !== 'dir') fsFail('ENOTDIR', `${dir.name} is not a directory`);
    handle.moveTo(dir, name);
  }

  /**
   * Creates FIFO, socket or device node `name` in `dir`: `mode` = type (S_IFIFO, S_IFSOCK, S_IFCHR,
   * S_IFBLK) | permission bits; `rdev` the device number. An inode record with no object (no I/O
   * through DFS: EINVAL). EEXIST, EINVAL, ENOTDIR, EACCES, EROFS. Caller releases the handle.
   */
  mknod(dir: DfsObject, name: string, mode: number, rdev = 0, options: CreateOptions = {}): Promise<DfsObject> {
    return this.#run('mknod', name, () => mknod(this.#mount, this.#own(dir), name, mode, rdev, options));
  }

  /** Creates symlink `name` in `dir` pointing at `target` (stored as is); caller releases the handle. */
  symlink(dir: DfsObject, name: string, target: string, options: CreateOptions = {}): Promise<DfsObject> {
    return this.#run('symlink', name, () => symlink(this.#mount, this.#own(dir), name, target, options));
  }

  /** The target of a symlink (a handle, or a path whose last component is the symlink). EINVAL otherwise. */
  readlink(target: string | DfsObject): Promise<string> {
    return this.#run('readlink', typeof target === 'string' ? target : target.name, async () => {
      if (typeof target !== 'string') return readlink(this.#own(target));
      const { node } = await resolvePath(this.#mount, target, false);
      if (!isSymlinkNode(node) || node.symlinkTarget === undefined) fsFail('EINVAL', `${target} is not a symlink`);
      return node.symlinkTarget;
    });
  }

  /** Sets xattr `name`; flags XATTR_CREATE (EEXIST if set) / XATTR_REPLACE (ENODATA if not). ERANGE, E2BIG, EROFS. */
  setxattr(handle: DfsObject, name: string, value: Uint8Array, flags = 0): Promise<void> {
    return this.#run('setxattr', handle.name, () => setxattr(this.#mount, this.#own(handle), name, value, flags));
  }

  /** The value of xattr `name`; ENODATA when not set. */
  getxattr(handle: DfsObject, name: string): Promise<Buffer> {
    return this.#run('getxattr', handle.name, () => getxattr(this.#mount, this.#own(handle), name));
  }

  /** Names of the entry's xattrs. */
  listxattr(handle: DfsObject): Promise<string[]> {
    return this.#run('listxattr', handle.name, () => listxattr(this.#mount, this.#own(handle)));
  }

  /** Removes xattr `name`; ENODATA when not set. */
  removexattr(handle: DfsObject, name: string): Promise<void> {
    return this.#run('removexattr', handle.name, () => removexattr(this.#mount, this.#own(handle), name));
  }

  /** Space of the pool holding the container (one pool query). */
  statfs(): Promise<DfsStatfs> {
    return this.#run('statfs', '/', () => statfs(this.#mount));
  }

  /** Takes a snapshot of the container (mount it with { snapshot } for a read-only view). EROFS. */
  createSnapshot(name?: string): Promise<DfsSnapshot> {
    return this.#run('snapshot', name, () => createSnapshot(this.#mount, name));
  }

  /** The container's snapshots, oldest first. */
  listSnapshots(): Promise<DfsSnapshot[]> {
    return this.#run('snapshot', undefined, () => listSnapshots(this.#mount));
  }

  /** Destroys a snapshot by name or epoch. ENOENT, EROFS. */
  destroySnapshot(nameOrEpoch: string | number): Promise<void> {
    return this.#run('snapshot', String(nameOrEpoch), () => destroySnapshot(this.#mount, nameOrEpoch));
  }

  /** Re-reads a handle's entry into the handle (mode, owner, times as stored). ENOENT once it is gone. */
  refresh(handle: DfsObject): Promise<void> {
    return this.#run('refresh', handle.name, async () => void (await refreshHandle(this.#mount, this.#own(handle))));
  }
}
