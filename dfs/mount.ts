/**
 * Mounting (DAOS dfs_connect / dfs_mount): connects the pool (or uses the caller's handle), opens the
 * container (at a snapshot when asked), reads and checks the superblock (or formats an empty POSIX
 * container when `create` is set), and holds the mount state every operation reads: handles, superblock,
 * credentials, read-only flag, inode table. A mount at a snapshot or with readOnly refuses every change
 * with EROFS. Unmount releases only what the mount itself opened.
 */
import {
  type ContHandle, type PoolHandle, type SnapshotBody, connectPool, isEngineError, Der,
} from '../engine/client/index.js';
import { createLogger, type Logger } from '../engine/log.js';
import { type SystemFile, readSystemFile } from '../engine/system/system-file.js';
import { fsFail, isFsError } from './errors.js';
import { DfsObject, type PathNode } from './handle.js';
import { ObjectReaper } from './object-reaper.js';
import { InodeTable } from './inode-table.js';
import { O_RDONLY } from './inode.js';
import { ROOT_ENTRY_DKEY } from './layout.js';
import { type MkfsOptions, type Superblock, findSuperblock, mkfs, readSuperblock } from './superblock.js';

/** Who the mount acts as; permission checks use these (uid 0 bypasses read/write checks). */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups. */
  readonly groups: readonly number[];
}

export interface MountOptions {
  /** How to reach the engines: a system file (object or path); not needed when `pool` is a handle. */
  readonly system?: SystemFile | string;
  /** The pool: a connected handle (kept open at unmount), or its label or uuid (connected and owned). */
  readonly pool: PoolHandle | string;
  /** The container: an open handle, or its label or uuid. */
  readonly cont: ContHandle | string;
  /** Refuse every change with EROFS. */
  readonly readOnly?: boolean;
  /** Mount the container's snapshot (name or epoch): a read-only view. */
  readonly snapshot?: string | number;
  /** Default: this process's uid, gid and groups. */
  readonly credentials?: Credentials;
  /** Format the container first when it has no superblock (options for mkfs, or true for defaults). */
  readonly create?: boolean | MkfsOptions;
  /**
   * Run renames across directories (every rename of a 'balanced' filesystem) as one transaction;
   * default true. False: DAOS "relaxed" renames (conditional insert + punch, not atomic on a crash).
   */
  readonly transactions?: boolean;
  readonly log?: Logger;
}

export function processCredentials(): Credentials {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return { uid, gid, groups: process.getgroups?.() ?? [] };
}

export class DfsMount {
  readonly pool: PoolHandle;
  readonly cont: ContHandle;
  readonly sb: Superblock;
  readonly readOnly: boolean;
  readonly snapshot: SnapshotBody | undefined;
  readonly credentials: Credentials;
  readonly transactions: boolean;
  readonly log: Logger;
  readonly inodes = new InodeTable();
  /** Punches the objects of removed entries in the background (drained at unmount). */
  readonly reaper: ObjectReaper;
  readonly #ownsPool: boolean;
  readonly #ownsCont: boolean;
  mounted = true;
  /** The root entry as last read or written through this mount. */
  root: PathNode;

  constructor(options: {
    pool: PoolHandle; cont: ContHandle; sb: Superblock; readOnly: boolean; snapshot: SnapshotBody | undefined;
    credentials: Credentials; transactions: boolean; log: Logger; ownsPool: boolean; ownsCont: boolean;
  }) {
    this.pool = options.pool;
    this.cont = options.cont;
    this.sb = options.sb;
    this.readOnly = options.readOnly;
    this.snapshot = options.snapshot;
    this.credentials = options.credentials;
    this.transactions = options.transactions;
    this.log = options.log;
    this.#ownsPool = options.ownsPool;
    this.#ownsCont = options.ownsCont;
    this.reaper = new ObjectReaper(options.cont, options.log);
    this.root = { name: '/', ref: { dirOid: options.sb.oid, key: ROOT_ENTRY_DKEY }, inode: options.sb.root, symlinkTarget: undefined };
  }

  /** A new handle on the root directory (caller releases). */
  openRoot(): DfsObject {
    return this.adopt(new DfsObject(this, this.root, [], O_RDONLY));
  }

  /** Counts `handle` in the inode table and returns it. */
  adopt(handle: DfsObject): DfsObject {
    this.inodes.acquire(handle.oid);
    return handle;
  }

  /** Undoes adopt: marks `handle` released and takes it out of the inode table's count. */
  disown(handle: DfsObject): void {
    handle.released = true;
    this.inodes.release(handle.oid);
  }

  /** EROFS unless the mount may change the namespace. */
  assertWritable(): void {
    if (this.readOnly) fsFail('EROFS', this.snapshot === undefined ? 'read-only mount' : `snapshot ${this.snapshot.name} is read-only`);
  }

  async unmount(): Promise<void> {
    if (!this.mounted) return;
    this.mounted = false;
    await this.reaper.drain();
    if (this.#ownsCont) await this.cont.close();
    if (this.#ownsPool) await this.pool.disconnect();
  }
}

async function connect(options: MountOptions, log: Logger): Promise<{ pool: PoolHandle; owned: boolean }> {
  if (typeof options.pool !== 'string') return { pool: options.pool, owned: false };
  if (options.system === undefined) fsFail('EINVAL', 'mounting by pool name needs a system (file or path)');
  const system = typeof options.system === 'string' ? readSystemFile(options.system) : options.system;
  return { pool: await connectPool({ system, pool: options.pool, log }), owned: true };
}

async function openCont(pool: PoolHandle, options: MountOptions): Promise<{ cont: ContHandle; owned: boolean }> {
  if (typeof options.cont !== 'string') {
    if (options.snapshot !== undefined) fsFail('EINVAL', 'snapshot mounts take the container by name');
    return { cont: options.cont, owned: false };
  }
  return { cont: await pool.openContainer(options.cont, options.snapshot === undefined ? {} : { snapshot: options.snapshot }), owned: true };
}

/** The superblock, formatting the container first when asked to and it has none. */
async function superblockOf(cont: ContHandle, create: MountOptions['create']): Promise<Superblock> {
  if (create === undefined || create === false || cont.readOnly) return readSuperblock(cont);
  const found = await findSuperblock(cont);
  if (found !== undefined) return found;
  try {
    return await mkfs(cont, create === true ? {} : create);
  } catch (error) {
    // Another client formatted it in the meantime: mount what it wrote.
    if (isFsError(error, 'EEXIST')) return readSuperblock(cont);
    throw error;
  }
}

/** Mounts a container; see MountOptions. Rejects with what connecting, opening or reading failed with. */
export async function mountDfs(options: MountOptions): Promise<DfsMount> {
  const log = options.log ?? createLogger('dfs');
  const { pool, owned: ownsPool } = await connect(options, log);
  try {
    const { cont, owned: ownsCont } = await openCont(pool, options);
    const sb = await superblockOf(cont, options.create);
    const snapshot = options.snapshot === undefined ? undefined : (await cont.snapshots()).find((entry) => entry.epoch === cont.readEpoch);
    return new DfsMount({
      pool, cont, sb, snapshot, log, ownsPool, ownsCont,
      readOnly: options.readOnly === true || cont.readOnly,
      credentials: options.credentials ?? processCredentials(),
      transactions: options.transactions ?? true,
    });
  } catch (error) {
    if (ownsPool) await pool.disconnect();
    if (isEngineError(error, Der.NONEXIST)) fsFail('ENOENT', error.message);
    throw error;
  }
}
