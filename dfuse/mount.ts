/**
 * The daemon's wiring: mounts the container through DFS, reads its caching attributes, builds the
 * handler table from ops/ (each handler reads the caller first, while fuse-native's context is valid,
 * then runs the op and answers with its result or negative errno), and mounts it with FuseSession.
 */
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { FuseOps } from 'fuse-native';
import { type Dfs, type DfsSnapshot, type Logger, type SystemFile, createLogger, mountDfs } from '../dfs/index.js';
import { CACHE_ATTRIBUTES, type CacheOverrides, type CachePolicy, cachePolicy } from './cache-policy.js';
import { DataCache } from './data-cache.js';
import { negativeErrno } from './errno.js';
import { FileTable } from './file-table.js';
import { FuseSession } from './fuse-session.js';
import type { Validity } from './inode-map.js';
import { isMountPoint } from './mount-table.js';
import { create, open } from './ops/open.js';
import { getattr } from './ops/getattr.js';
import { link } from './ops/link.js';
import { mkdir } from './ops/mkdir.js';
import { mknod } from './ops/mknod.js';
import { read } from './ops/read.js';
import { readdir } from './ops/readdir.js';
import { release } from './ops/release.js';
import { rename } from './ops/rename.js';
import { rmdir, unlink } from './ops/remove.js';
import { chmod, chown, utimens } from './ops/setattr.js';
import { statfs } from './ops/statfs.js';
import { readlink, symlink } from './ops/symlink.js';
import { syncFile } from './ops/sync.js';
import { ftruncate, truncate } from './ops/truncate.js';
import { write } from './ops/write.js';
import { getxattr, listxattr, removexattr, setxattr } from './ops/xattr.js';
import { SnapshotDir } from './snapshot-dir.js';
import type { DfuseState, Owner } from './state.js';
import { View } from './view.js';

export interface DfuseOptions {
  readonly system: SystemFile | string;
  readonly pool: string;
  readonly cont: string;
  readonly mountPoint: string;
  /** Entries owned by their creator and other users allowed in (default: when running as root). */
  readonly multiUser?: boolean;
  readonly readOnly?: boolean;
  readonly cacheOverrides?: CacheOverrides;
  readonly disableCaching?: boolean;
  /** Milliseconds before an unanswered operation fails with ETIMEDOUT (default 60 s). */
  readonly opTimeoutMs?: number;
  readonly log?: Logger;
}

export interface DfuseDaemon {
  readonly mountPoint: string;
  readonly policy: CachePolicy;
  readonly multiUser: boolean;
  /** Unmounts and closes the container; idempotent. */
  unmount(): Promise<void>;
  /**
   * Resolves if the mount point is unmounted by someone else (fusermount -u, umount): fuse-native does not
   * say so, and a daemon serving nothing would otherwise run on. The owner should then unmount() (which
   * only closes the container) and exit.
   */
  readonly gone: Promise<void>;
}

/** How often a daemon checks that it is still mounted. */
const MOUNT_CHECK_INTERVAL_MS = 1000;

export class MountPointError extends Error {
  override name = 'MountPointError';
}

const OP_TIMEOUT_MS_DEFAULT = 60_000;

/** A clear message for the ways a mount point can be unusable, before libfuse reports them its way. */
function checkMountPoint(mountPoint: string): void {
  let stat;
  try {
    stat = statSync(mountPoint);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN') throw new MountPointError(`${mountPoint} holds the mount of a daemon that died: clear it with \`fusermount -u ${mountPoint}\` or \`tsdaos down\``);
    if (code === 'ENOENT') throw new MountPointError(`mount point ${mountPoint} does not exist`);
    throw new MountPointError(`mount point ${mountPoint}: ${(error as Error).message}`);
  }
  if (!stat.isDirectory()) throw new MountPointError(`mount point ${mountPoint} is not a directory`);
  const parent = statSync(resolvePath(mountPoint, '..'));
  if (parent.dev !== stat.dev) throw new MountPointError(`${mountPoint} is already a mount point (busy): unmount it first`);
}

export async function startDfuse(options: DfuseOptions): Promise<DfuseDaemon> {
  const log = options.log ?? createLogger('dfuse');
  const mountPoint = resolvePath(options.mountPoint);
  checkMountPoint(mountPoint);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const multiUser = options.multiUser ?? uid === 0;
  const live = await mountDfs({ system: options.system, pool: options.pool, cont: options.cont, readOnly: options.readOnly === true, log });
  let session: FuseSession | undefined;
  let snapshots: SnapshotDir | undefined;
  try {
    const policy = cachePolicy(await live.containerAttributes(CACHE_ATTRIBUTES), options.cacheOverrides ?? {}, options.disableCaching === true);
    const validity: Validity = { attrMs: policy.attrSeconds * 1000, dentryMs: policy.dentrySeconds * 1000, dentryDirMs: policy.dentryDirSeconds * 1000 };
    const mountSnapshot = (snapshot: DfsSnapshot): Promise<Dfs> =>
      mountDfs({ system: options.system, pool: options.pool, cont: options.cont, snapshot: snapshot.name, log });
    snapshots = new SnapshotDir(live, mountSnapshot, validity);
    const state: DfuseState = {
      live: new View(live, validity, ''), snapshots, files: new FileTable(), data: new DataCache(),
      dataCaching: options.disableCaching !== true, multiUser, self: { uid, gid }, log,
    };
    const callerOf = (): Owner => {
      const caller = session!.caller();
      return { uid: caller.uid, gid: caller.gid };
    };
    session = new FuseSession(mountPoint, handlers(state, callerOf), {
      fsname: `tsdaos:${options.pool}/${options.cont}`, subtype: 'tsdaos',
      attrTimeout: policy.attrSeconds, entryTimeout: policy.dentrySeconds, negativeTimeout: policy.negativeSeconds,
      dataCache: policy.dataCache, allowOther: multiUser, defaultPermissions: true, readOnly: options.readOnly === true,
      opTimeoutMs: options.opTimeoutMs ?? OP_TIMEOUT_MS_DEFAULT,
    });
    await session.start();
    log.info({ mountPoint, pool: options.pool, cont: options.cont, multiUser, policy }, 'mounted');
    return daemon(mountPoint, policy, multiUser, state, session, log);
  } catch (error) {
    await snapshots?.closeAll();
    await live.unmount();
    throw error;
  }
}

function daemon(mountPoint: string, policy: CachePolicy, multiUser: boolean, state: DfuseState, session: FuseSession, log: Logger): DfuseDaemon {
  let stopping: Promise<void> | undefined;
  let watch: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolveGone) => {
    watch = setInterval(() => {
      if (stopping !== undefined || isMountPoint(mountPoint)) return;
      clearInterval(watch);
      log.warn({ mountPoint }, 'mount point unmounted from outside; stopping');
      resolveGone();
    }, MOUNT_CHECK_INTERVAL_MS);
    watch.unref();
  });
  const stop = async (): Promise<void> => {
    clearInterval(watch);
    try {
      if (isMountPoint(mountPoint)) await session.stop();
    } catch (error) {
      log.warn({ mountPoint, err: (error as Error).message }, 'fusermount -u failed; the mount may need clearing by hand');
    }
    for (const file of state.files.all()) await release(state, file.fh);
    state.live.map.clear();
    await state.snapshots.closeAll();
    await state.live.dfs.unmount();
    log.info({ mountPoint }, 'unmounted');
  };
  return {
    mountPoint, policy, multiUser,
    unmount: () => (stopping ??= stop()),
    gone,
  };
}

/** The fuse-native handler table: each op answers with its result, or a negative errno. */
function handlers(state: DfuseState, callerOf: () => Owner): FuseOps {
  const { log } = state;
  // TSDAOS_LOG_LEVEL=trace logs every request with its duration (what the kernel asks, how long it takes).
  const tracing = log.isLevelEnabled('trace');
  const traced = <T>(op: string, path: string, work: Promise<T>): Promise<T> => {
    if (!tracing) return work;
    const started = performance.now();
    return work.finally(() => log.trace({ op, path, ms: Number((performance.now() - started).toFixed(2)) }, 'request'));
  };
  const fail = (op: string, path: string) => (error: unknown): number => negativeErrno(error, op, path, log);
  const done = (op: string, path: string, cb: (errno: number) => void, work: Promise<unknown>): void => {
    traced(op, path, work).then(() => cb(0), (error: unknown) => cb(fail(op, path)(error)));
  };
  const value = <T>(op: string, path: string, cb: (errno: number, value?: T) => void, work: Promise<T>): void => {
    traced(op, path, work).then((result) => cb(0, result), (error: unknown) => cb(fail(op, path)(error)));
  };
  const count = (op: string, path: string, cb: (result: number) => void, work: Promise<number>): void => {
    traced(op, path, work).then(cb, (error: unknown) => cb(fail(op, path)(error)));
  };
  return {
    getattr: (path, cb) => value('getattr', path, cb, getattr(state, path)),
    readdir: (path, cb) => {
      traced('readdir', path, readdir(state, path)).then((listing) => cb(0, listing.names, listing.stats), (error: unknown) => cb(fail('readdir', path)(error)));
    },
    open: (path, flags, cb) => value('open', path, cb, open(state, path, flags)),
    create: (path, mode, cb) => value('create', path, cb, create(state, callerOf(), path, mode)),
    release: (path, fd, cb) => done('release', path, cb, release(state, fd)),
    read: (path, fd, buffer, length, position, cb) => count('read', path, cb, read(state, fd, buffer, length, position)),
    write: (path, fd, buffer, length, position, cb) => count('write', path, cb, write(state, path, fd, buffer, length, position)),
    flush: (path, fd, cb) => done('flush', path, cb, syncFile(state, fd, 'flush')),
    fsync: (path, _datasync, fd, cb) => done('fsync', path, cb, syncFile(state, fd, 'fsync')),
    fsyncdir: (_path, _datasync, _fd, cb) => cb(0),
    truncate: (path, size, cb) => done('truncate', path, cb, truncate(state, path, size)),
    ftruncate: (path, fd, size, cb) => done('ftruncate', path, cb, ftruncate(state, path, fd, size)),
    mkdir: (path, mode, cb) => done('mkdir', path, cb, mkdir(state, callerOf(), path, mode)),
    mknod: (path, mode, dev, cb) => done('mknod', path, cb, mknod(state, callerOf(), path, mode, dev)),
    unlink: (path, cb) => done('unlink', path, cb, unlink(state, path)),
    rmdir: (path, cb) => done('rmdir', path, cb, rmdir(state, path)),
    rename: (from, to, cb) => done('rename', from, cb, rename(state, from, to)),
    link: (from, to, cb) => done('link', to, cb, link(state, from, to)),
    symlink: (target, path, cb) => done('symlink', path, cb, symlink(state, callerOf(), target, path)),
    readlink: (path, cb) => value('readlink', path, cb, readlink(state, path)),
    chmod: (path, mode, cb) => done('chmod', path, cb, chmod(state, path, mode)),
    chown: (path, uid, gid, cb) => done('chown', path, cb, chown(state, path, uid, gid)),
    utimens: (path, atime, mtime, cb) => done('utimens', path, cb, utimens(state, path, atime, mtime)),
    setxattr: (path, name, buffer, _position, flags, cb) => done('setxattr', path, cb, setxattr(state, path, name, buffer, flags)),
    getxattr: (path, name, _position, cb) => value('getxattr', path, cb, getxattr(state, path, name)),
    listxattr: (path, cb) => value('listxattr', path, cb, listxattr(state, path)),
    removexattr: (path, name, cb) => done('removexattr', path, cb, removexattr(state, path, name)),
    statfs: (path, cb) => value('statfs', path, cb, statfs(state)),
  };
}
