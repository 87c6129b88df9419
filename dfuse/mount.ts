/**
 * The daemon's wiring: mounts the container through DFS, reads its caching attributes, and mounts the
 * low-level FUSE session (fuse-lowlevel.ts) whose requests requests.ts serves with the path operations
 * of ops/ (each reads the caller first, while the request's context is current, then answers with its
 * result or errno).
 */
import { realpathSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { type Dfs, type DfsSnapshot, type Logger, type SystemFile, createLogger, mountDfs } from '../dfs/index.js';
import { CACHE_ATTRIBUTES, type CacheOverrides, type CachePolicy, cachePolicy } from './cache-policy.js';
import { DataCache } from './data-cache.js';
import { FileTable } from './file-table.js';
import { FUSE_READ_BYTES_MAX, LowLevelSession } from './fuse-lowlevel.js';
import type { Validity } from './inode-map.js';
import { DfuseMetrics } from './metrics.js';
import { type MetricsAddress, MetricsServer } from './metrics-server.js';
import { NodeTable } from './node-table.js';
import { release } from './ops/release.js';
import { raiseReadahead } from './readahead.js';
import { Requests } from './requests.js';
import { SnapshotDir } from './snapshot-dir.js';
import type { DfuseState } from './state.js';
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
  /** Where to serve Prometheus metrics over HTTP/1.1 (port 0: an ephemeral port); none when absent. */
  readonly metrics?: MetricsAddress;
  readonly log?: Logger;
}

export interface DfuseDaemon {
  readonly mountPoint: string;
  readonly policy: CachePolicy;
  readonly multiUser: boolean;
  /** The bound `host:port` of the metrics endpoint, if one was asked for. */
  readonly metricsAddress: string | undefined;
  /** Unmounts and closes the container; idempotent. */
  unmount(): Promise<void>;
  /**
   * Resolves if the mount point is unmounted by someone else (fusermount -u, umount: the kernel ends the
   * session); a daemon serving nothing must not run on. The owner should then unmount() (which only
   * closes the container) and exit.
   */
  readonly gone: Promise<void>;
}

export class MountPointError extends Error {
  override name = 'MountPointError';
}

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

/** statfs f_type of a FUSE mount (FUSE_SUPER_MAGIC). */
const FUSE_SUPER_MAGIC = 0x65735546;
const CONNECTION_FAILED = new Set(['ECONNREFUSED', 'ENOTCONN', 'ECONNABORTED', 'ENODEV']);

/**
 * Resolves once the kernel serves the mount at `mountedPath` through this daemon: a statfs through it waits
 * for the INIT handshake, and is answered by the daemon (it runs in the thread pool, so the daemon's thread
 * is free to answer). Throws when the kernel or libfuse ended the mount during INIT instead: the statfs then
 * finds the connection gone, or reaches the filesystem below.
 */
export async function awaitServed(mountedPath: string): Promise<void> {
  let type: number;
  try {
    type = (await statfs(mountedPath)).type;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    // The kernel's answers for a connection that failed its INIT (ECONNREFUSED) or is gone; any other
    // failure was answered by this daemon, so the mount is served.
    if (!CONNECTION_FAILED.has(code)) return;
    throw new MountPointError(`${mountedPath}: the mount ended as it started (${code}); see the daemon's log`);
  }
  if (type !== FUSE_SUPER_MAGIC) throw new MountPointError(`${mountedPath}: the mount ended as it started (INIT refused); see the daemon's log`);
}

export async function startDfuse(options: DfuseOptions): Promise<DfuseDaemon> {
  const log = options.log ?? createLogger('dfuse');
  const mountPoint = resolvePath(options.mountPoint);
  checkMountPoint(mountPoint);
  // As mountinfo names it (symlinks resolved); taken now, since once mounted a lookup of it would be ours to answer.
  const mountedPath = realpathSync(mountPoint);
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const multiUser = options.multiUser ?? uid === 0;
  const live = await mountDfs({ system: options.system, pool: options.pool, cont: options.cont, readOnly: options.readOnly === true, log });
  let session: LowLevelSession | undefined;
  let snapshots: SnapshotDir | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    const policy = cachePolicy(await live.containerAttributes(CACHE_ATTRIBUTES), options.cacheOverrides ?? {}, options.disableCaching === true);
    const validity: Validity = {
      attrMs: policy.attrSeconds * 1000, dentryMs: policy.dentrySeconds * 1000, dentryDirMs: policy.dentryDirSeconds * 1000,
      negativeMs: policy.negativeSeconds * 1000,
    };
    const mountSnapshot = (snapshot: DfsSnapshot): Promise<Dfs> =>
      mountDfs({ system: options.system, pool: options.pool, cont: options.cont, snapshot: snapshot.name, log });
    snapshots = new SnapshotDir(live, mountSnapshot, validity);
    const data = new DataCache();
    const state: DfuseState = {
      live: new View(live, validity, '', { openFiles: data }), snapshots, files: new FileTable(), data,
      dataCaching: options.disableCaching !== true, multiUser, self: { uid, gid }, log,
    };
    const metrics = new DfuseMetrics();
    const requests = new Requests(state, new NodeTable(), {
      attr: policy.attrSeconds, entry: policy.dentrySeconds, entryDir: policy.dentryDirSeconds, negative: policy.negativeSeconds,
    }, policy.dataCache, metrics);
    if (options.metrics !== undefined) metricsServer = await MetricsServer.start(options.metrics, () => metrics.render());
    let resolveGone: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => {
      resolveGone = resolve;
    });
    session = LowLevelSession.mount(mountPoint, {
      fsname: `tsdaos:${options.pool}/${options.cont}`, subtype: 'tsdaos', allowOther: multiUser, readOnly: options.readOnly === true,
    }, requests.dispatch, () => {
      log.warn({ mountPoint }, 'mount point unmounted from outside; stopping');
      resolveGone();
    });
    requests.attach(session);
    // "Mounted" only once the kernel serves it: libfuse may still refuse INIT after the mount call returned.
    await awaitServed(mountedPath);
    const readahead = raiseReadahead(mountedPath, FUSE_READ_BYTES_MAX);
    if (!readahead.raised) log.info({ mountPoint, reason: readahead.reason }, 'readahead window left at the kernel default');
    log.info({ mountPoint, pool: options.pool, cont: options.cont, multiUser, policy, metrics: metricsServer?.address }, 'mounted');
    return daemon(mountPoint, policy, multiUser, state, session, metricsServer, gone, log);
  } catch (error) {
    session?.close();
    await metricsServer?.close();
    await snapshots?.closeAll();
    await live.unmount();
    throw error;
  }
}

function daemon(
  mountPoint: string, policy: CachePolicy, multiUser: boolean, state: DfuseState, session: LowLevelSession, metricsServer: MetricsServer | undefined,
  gone: Promise<void>, log: Logger,
): DfuseDaemon {
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    session.close();
    await metricsServer?.close();
    for (const file of state.files.all()) await release(state, file.fh);
    state.live.map.clear();
    await state.snapshots.closeAll();
    await state.live.dfs.unmount();
    log.info({ mountPoint }, 'unmounted');
  };
  return {
    mountPoint, policy, multiUser, metricsAddress: metricsServer?.address,
    unmount: () => (stopping ??= stop()),
    gone,
  };
}
