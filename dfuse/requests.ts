/**
 * The daemon's request table on the low-level API: each request names nodes (node-table.ts); its
 * handler rebuilds the mount path and runs the path operation of ops/, then answers with the reply the
 * request needs (an entry with its timeouts for LOOKUP/CREATE/MKDIR/..., attributes for GETATTR and
 * SETATTR, data, counts) or the operation's errno. Also here, because the low-level API leaves them to
 * the filesystem: negative entries, readdir offsets (each open directory keeps the listing it read at
 * offset 0, so offsets survive concurrent changes), the page-cache decision at open (kept while size
 * and mtime are unchanged, libfuse2's auto_cache), and open files that lose their name: as libfuse2
 * does, an unlinked (or renamed-over) file that is still open is renamed to `.fuse_hidden<node><n>` and
 * removed at its last release, so open descriptors keep working (and moved up out of a directory being
 * removed, which is empty to its users).
 */
import { constants } from 'node:os';
import { FsError, O_ACCMODE, O_RDONLY, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, type Timespec } from '../dfs/index.js';
import { negativeErrno } from './errno.js';
import { type Caller, type DirentPlus, type Dispatch, LlOp, type LowLevelSession, OpenFlag, type Req, SetAttr, encodeDirents, encodeDirentsPlus } from './fuse-lowlevel.js';
import type { FuseStat } from './fuse-stat.js';
import type { DfuseMetrics } from './metrics.js';
import { type FuseNode, type NodeTable } from './node-table.js';
import { fallocate } from './ops/fallocate.js';
import { getattr, getattrOpen } from './ops/getattr.js';
import { link } from './ops/link.js';
import { mkdir } from './ops/mkdir.js';
import { mknod } from './ops/mknod.js';
import { create, open } from './ops/open.js';
import { read } from './ops/read.js';
import type { Listing } from './listing-reuse.js';
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
import { getxattr, knownMissingXattr, listxattr, removexattr, setxattr } from './ops/xattr.js';
import { type DfuseState, isLivePath, type Owner } from './state.js';

const { EIO, ENOENT, ERANGE, ENOSYS, EINVAL, ESTALE, ENODATA } = constants.errno;
/** renameat2 flags. */
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

export interface Timeouts {
  /** Seconds the kernel keeps attributes, names (of directories: entryDir), and names found missing. */
  readonly attr: number;
  readonly entry: number;
  readonly entryDir: number;
  readonly negative: number;
}

interface OpenDir {
  readonly node: number;
  listing?: DirentPlus[];
}

const UNKNOWN_INO = 0xffffffffn;

/** The entries of a listing; `.` and `..` go out without attributes (the kernel keeps no node for them). */
function entriesOf(listing: Listing): DirentPlus[] {
  return listing.names.map((name, index) => {
    const stat = listing.stats[index];
    return { name, ino: stat === undefined ? UNKNOWN_INO : stat.ino, mode: stat?.mode ?? 0, stat: index < 2 ? undefined : stat };
  });
}

const OP_NAMES = new Map<number, string>(Object.entries(LlOp).map(([name, op]) => [op, name.toLowerCase()]));

/**
 * The requests that change nothing a listing shows (OPEN only without O_TRUNC). Every other one, answered,
 * ends the reuse of listings (listing-reuse.ts): a request added later counts as a change until it is put
 * here. FLUSH, FSYNC and RELEASE count: they send buffered writes on (and a release removes the hidden
 * name of a file unlinked while open).
 */
const UNCHANGING_OPS: ReadonlySet<number> = new Set([
  LlOp.LOOKUP, LlOp.FORGET, LlOp.GETATTR, LlOp.READLINK, LlOp.OPEN, LlOp.READ, LlOp.OPENDIR, LlOp.READDIR, LlOp.READDIRPLUS,
  LlOp.RELEASEDIR, LlOp.FSYNCDIR, LlOp.STATFS, LlOp.GETXATTR, LlOp.LISTXATTR,
]);

function timespecOf(seconds: number, nanoseconds: number): Timespec {
  return { seconds, nanoseconds };
}

export class Requests {
  readonly #state: DfuseState;
  readonly #nodes: NodeTable;
  readonly #timeouts: Timeouts;
  readonly #dataCache: 'auto' | 'off';
  readonly #dirs = new Map<number, OpenDir>();
  /** Open file handle -> its node. */
  readonly #fileNodes = new Map<number, FuseNode>();
  /**
   * Nodes renamed to a hidden name while open, removed at the last release from where the node table
   * has them then (a directory above may have been renamed since).
   */
  readonly #hidden = new Set<FuseNode>();
  /** Requests being served: their op and start time. */
  readonly #started = new Map<Req, { op: string; ms: number; changes: boolean }>();
  readonly #metrics: DfuseMetrics;
  #nextDir = 1;
  #hiddenCount = 0;
  #session: LowLevelSession | undefined;

  constructor(state: DfuseState, nodes: NodeTable, timeouts: Timeouts, dataCache: 'auto' | 'off', metrics: DfuseMetrics) {
    this.#state = state;
    this.#metrics = metrics;
    metrics.addCollector({ name: 'tsdaos_dfuse_nodes', help: 'Nodes the kernel holds (looked up and not forgotten).', collect: () => [{ labels: {}, value: nodes.size }] });
    metrics.addCollector({ name: 'tsdaos_dfuse_open_files', help: 'Files open through the mount.', collect: () => [{ labels: {}, value: this.#fileNodes.size }] });
    metrics.addCollector({ name: 'tsdaos_dfuse_open_dirs', help: 'Directories open through the mount.', collect: () => [{ labels: {}, value: this.#dirs.size }] });
    metrics.addCollector({ name: 'tsdaos_dfuse_requests_in_flight', help: 'FUSE requests received and not yet answered.', collect: () => [{ labels: {}, value: this.#started.size }] });
    this.#nodes = nodes;
    this.#timeouts = timeouts;
    this.#dataCache = dataCache;
  }

  /**
   * Binds the session the answers go to (it exists only once mounted). Every answer is counted (metrics);
   * with the log at trace level (TSDAOS_LOG_LEVEL=trace) it is also logged, with its op and duration.
   */
  attach(session: LowLevelSession): void {
    this.#session = session;
    const { log } = this.#state;
    const tracing = log.isLevelEnabled('trace');
    session.onAnswer = (req, errno) => {
      const started = this.#started.get(req);
      if (started === undefined) return;
      this.#started.delete(req);
      if (started.changes) this.#state.live.listings.noteChange();
      const ms = performance.now() - started.ms;
      this.#metrics.answered(started.op, ms / 1000, errno);
      if (tracing) log.trace({ op: started.op, ms: Number(ms.toFixed(3)), errno }, 'request');
    };
  }

  /** The dispatcher for LowLevelSession.mount(): a handler that throws (a bug) fails its request with EIO. */
  readonly dispatch: Dispatch = (op, req, a, b, c, d, e) => {
    const session = this.#session;
    if (session === undefined) return;
    // A change is noted as it is answered (listing-reuse.ts): before the caller can list again, after it landed.
    const changes = !UNCHANGING_OPS.has(op) || (op === LlOp.OPEN && ((b as number) & O_TRUNC) !== 0);
    if (op !== LlOp.FORGET) this.#started.set(req, { op: OP_NAMES.get(op) ?? String(op), ms: performance.now(), changes });
    try {
      this.#route(session, op, req, a, b, c, d, e);
    } catch (error) {
      this.#state.log.error({ op, err: error }, 'request handler threw (answered EIO)');
      if (op !== LlOp.FORGET) session.error(req, EIO);
    }
  };

  #route(session: LowLevelSession, op: number, req: Req, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    switch (op) {
      case LlOp.LOOKUP: return this.#lookup(session, req, a as number, b as string);
      case LlOp.FORGET: return this.#nodes.forget(a as number, b as number);
      case LlOp.GETATTR: return this.#getattr(session, req, a as number, b as number);
      case LlOp.SETATTR: return this.#setattr(session, req, a as number, b as number, c as Float64Array);
      case LlOp.READLINK: return this.#answer(session, req, 'readlink', a as number, (path) => readlink(this.#state, path), (target) => session.readlink(req, target));
      case LlOp.MKNOD: return this.#make(session, req, 'mknod', a as number, b as string, (caller, path) => mknod(this.#state, caller, path, c as number, d as number));
      case LlOp.MKDIR: return this.#make(session, req, 'mkdir', a as number, b as string, (caller, path) => mkdir(this.#state, caller, path, c as number));
      case LlOp.SYMLINK: return this.#make(session, req, 'symlink', b as number, c as string, (caller, path) => symlink(this.#state, caller, a as string, path));
      case LlOp.LINK: return this.#link(session, req, a as number, b as number, c as string);
      case LlOp.UNLINK: return this.#remove(session, req, 'unlink', a as number, b as string);
      case LlOp.RMDIR: return this.#remove(session, req, 'rmdir', a as number, b as string);
      case LlOp.RENAME: return this.#rename(session, req, a as number, b as string, c as number, d as string, e as number);
      case LlOp.CREATE: return this.#create(session, req, a as number, b as string, c as number, d as number);
      case LlOp.OPEN: return this.#open(session, req, a as number, b as number);
      case LlOp.READ: return this.#read(session, req, b as number, c as number, d as number);
      case LlOp.WRITE: return this.#write(session, req, a as number, b as Buffer, c as number, d as number);
      case LlOp.FLUSH: return this.#done(session, req, 'flush', syncFile(this.#state, b as number, 'flush'));
      case LlOp.FSYNC: return this.#done(session, req, 'fsync', syncFile(this.#state, c as number, 'fsync'));
      case LlOp.FALLOCATE: return this.#answer(session, req, 'fallocate', a as number, (path) => fallocate(this.#state, path, e as number, b as number, c as number, d as number), () => session.ok(req));
      case LlOp.RELEASE: return this.#release(session, req, b as number);
      case LlOp.OPENDIR: return this.#opendir(session, req, a as number);
      case LlOp.READDIR: return this.#readdir(session, req, b as number, c as number, d as number, false);
      case LlOp.READDIRPLUS: return this.#readdir(session, req, b as number, c as number, d as number, true);
      case LlOp.RELEASEDIR: this.#dirs.delete(b as number); return session.ok(req);
      case LlOp.FSYNCDIR: return session.ok(req);
      case LlOp.STATFS: return this.#done(session, req, 'statfs', statfs(this.#state).then((space) => session.statfs(req, space)), true);
      case LlOp.SETXATTR: return this.#answer(session, req, 'setxattr', a as number, (path) => setxattr(this.#state, path, b as string, c as Buffer, d as number), () => session.ok(req));
      case LlOp.GETXATTR: return this.#getxattr(session, req, a as number, b as string, c as number);
      case LlOp.LISTXATTR: return this.#answer(session, req, 'listxattr', a as number, (path) => listxattr(this.#state, path), (names) => this.#sized(session, req, Buffer.from(names.map((name) => `${name}\0`).join('')), b as number));
      case LlOp.REMOVEXATTR: return this.#answer(session, req, 'removexattr', a as number, (path) => removexattr(this.#state, path, b as string), () => session.ok(req));
      default: return session.error(req, ENOSYS);
    }
  }

  /** Runs `work` on node `id`'s path and answers with `reply`, or the failure's errno. */
  #answer<T>(session: LowLevelSession, req: Req, op: string, id: number, work: (path: string) => Promise<T>, reply: (value: T) => void): void {
    const path = this.#nodes.pathOf(id);
    if (path === undefined) return session.error(req, ESTALE);
    work(path).then(reply, this.#fail(session, req, op, path));
  }

  /** Answers 0 once `work` is done (or its errno); `replied` when work answers itself. */
  #done(session: LowLevelSession, req: Req, op: string, work: Promise<unknown>, replied = false): void {
    work.then(() => {
      if (!replied) session.ok(req);
    }, this.#fail(session, req, op, ''));
  }

  #fail(session: LowLevelSession, req: Req, op: string, path: string): (error: unknown) => void {
    return (error) => session.error(req, -negativeErrno(error, op, path, this.#state.log));
  }

  #lookup(session: LowLevelSession, req: Req, parent: number, name: string): void {
    const path = this.#nodes.childPath(parent, name);
    if (path === undefined) return session.error(req, ESTALE);
    // Known missing (in a directory whose every name this mount knows for now: known-names.ts): no engine needs asking.
    const missingMs = isLivePath(path) ? this.#state.live.map.missingFor(path) : 0;
    if (missingMs > 0) return session.negative(req, Math.min(this.#timeouts.negative, missingMs / 1000));
    getattr(this.#state, path).then((stat) => {
      const node = this.#nodes.remember(parent, name);
      session.entry(req, node.id, stat, this.#timeouts.attr, this.#entryTimeout(stat));
    }, (error: unknown) => {
      const errno = -negativeErrno(error, 'lookup', path, this.#state.log);
      if (errno === ENOENT && this.#timeouts.negative > 0) session.negative(req, this.#timeouts.negative);
      else session.error(req, errno);
    });
  }

  #entryTimeout(stat: FuseStat): number {
    return (stat.mode & S_IFMT) === S_IFDIR ? this.#timeouts.entryDir : this.#timeouts.entry;
  }

  /** The kernel's security.capability probe before each write is answered from the cache when it can be. */
  #getxattr(session: LowLevelSession, req: Req, id: number, name: string, size: number): void {
    const path = this.#nodes.pathOf(id);
    if (path !== undefined && knownMissingXattr(this.#state, path, name)) return session.error(req, ENODATA);
    this.#answer(session, req, 'getxattr', id, (at) => getxattr(this.#state, at, name), (value) => this.#sized(session, req, value, size));
  }

  /**
   * `fh`: the open file the kernel names (a read's size check; fstat names none), or -1. A node whose path is
   * lost (replaced above it) is still answered through a file of it open here (getattrOpen).
   */
  #getattr(session: LowLevelSession, req: Req, id: number, fh: number): void {
    const path = this.#nodes.pathOf(id);
    getattrOpen(this.#state, path, () => this.#openFileOf(id, fh))
      .then((stat) => session.attr(req, this.#linked(id, stat), this.#timeouts.attr), this.#fail(session, req, 'getattr', path ?? ''));
  }

  /** `fh` if the kernel named one, else a file handle open on node `id`, if any. */
  #openFileOf(id: number, fh: number): number | undefined {
    if (fh >= 0) return fh;
    if ((this.#nodes.get(id)?.opens ?? 0) === 0) return undefined;
    for (const [open, node] of this.#fileNodes) if (node.id === id) return open;
    return undefined;
  }

  /** `stat` as node `id` has it: a file unlinked while open (hidden, see #hide) has no link left. */
  #linked(id: number, stat: FuseStat): FuseStat {
    const node = this.#nodes.get(id);
    return node !== undefined && this.#hidden.has(node) ? { ...stat, nlink: 0 } : stat;
  }

  /** As #getattr, a node whose path is lost is changed through a file of it open here. */
  #setattr(session: LowLevelSession, req: Req, id: number, toSet: number, values: Float64Array): void {
    const path = this.#nodes.pathOf(id);
    const fh = values[8]!;
    const state = this.#state;
    const openFile = (): number | undefined => this.#openFileOf(id, fh);
    const work = async (): Promise<FuseStat> => {
      if ((toSet & SetAttr.MODE) !== 0) await chmod(state, path, values[0]!, openFile);
      if ((toSet & (SetAttr.UID | SetAttr.GID)) !== 0) {
        await chown(state, path, (toSet & SetAttr.UID) !== 0 ? values[1]! : -1, (toSet & SetAttr.GID) !== 0 ? values[2]! : -1, openFile);
      }
      if ((toSet & SetAttr.SIZE) !== 0) {
        const open = fh >= 0 || path === undefined ? openFile() : undefined;
        if (open !== undefined) await ftruncate(state, path, open, values[3]!);
        else if (path !== undefined) await truncate(state, path, values[3]!);
        else throw new FsError('ESTALE', { syscall: 'truncate', detail: 'the node lost its path and has no file open here' });
      }
      const atime = (toSet & SetAttr.ATIME_NOW) !== 0 ? 'now' : (toSet & SetAttr.ATIME) !== 0 ? timespecOf(values[4]!, values[5]!) : undefined;
      const mtime = (toSet & SetAttr.MTIME_NOW) !== 0 ? 'now' : (toSet & SetAttr.MTIME) !== 0 ? timespecOf(values[6]!, values[7]!) : undefined;
      if (atime !== undefined || mtime !== undefined) await utimens(state, path, atime, mtime, openFile);
      return getattrOpen(state, path, openFile);
    };
    work().then((stat) => session.attr(req, this.#linked(id, stat), this.#timeouts.attr), this.#fail(session, req, 'setattr', path ?? ''));
  }

  /** A new name (mknod, mkdir, symlink): made, then answered as an entry of a node the kernel now holds. */
  #make(session: LowLevelSession, req: Req, op: string, parent: number, name: string, work: (caller: Owner, path: string) => Promise<void>): void {
    const caller = this.#owner(session);
    const path = this.#nodes.childPath(parent, name);
    if (path === undefined) return session.error(req, ESTALE);
    work(caller, path).then(() => getattr(this.#state, path)).then((stat) => {
      const node = this.#nodes.remember(parent, name);
      session.entry(req, node.id, stat, this.#timeouts.attr, this.#entryTimeout(stat));
    }, this.#fail(session, req, op, path));
  }

  #link(session: LowLevelSession, req: Req, id: number, newParent: number, newName: string): void {
    const from = this.#nodes.pathOf(id);
    const to = this.#nodes.childPath(newParent, newName);
    if (from === undefined || to === undefined) return session.error(req, ESTALE);
    link(this.#state, from, to).then(() => getattr(this.#state, to)).then((stat) => {
      const node = this.#nodes.remember(newParent, newName);
      session.entry(req, node.id, stat, this.#timeouts.attr, this.#entryTimeout(stat));
    }, this.#fail(session, req, 'link', to));
  }

  #remove(session: LowLevelSession, req: Req, op: 'unlink' | 'rmdir', parent: number, name: string): void {
    const path = this.#nodes.childPath(parent, name);
    if (path === undefined) return session.error(req, ESTALE);
    const node = this.#nodes.child(parent, name);
    const work = op === 'rmdir' ? this.#unhidden(node, () => rmdir(this.#state, path))
      : node !== undefined && node.opens > 0 ? this.#hide(node, path) : unlink(this.#state, path);
    work.then(() => {
      // A hidden node has moved to its hidden name already; this only detaches a node removed for good.
      this.#nodes.detach(parent, name);
      session.ok(req);
    }, this.#fail(session, req, op, path));
  }

  /**
   * Renames open file `node` (at `path`) to a hidden name in directory node `dir` (its own, or the one
   * above when its directory is being removed); it is removed at its last release. The node moves with
   * it, so its open files keep a path.
   */
  async #hide(node: FuseNode, path: string, dir = node.parent): Promise<void> {
    const hiddenName = `.fuse_hidden${node.id.toString(16).padStart(8, '0')}${(this.#hiddenCount++).toString(16).padStart(8, '0')}`;
    const hiddenPath = this.#nodes.childPath(dir, hiddenName);
    if (hiddenPath === undefined) throw new FsError('ESTALE', { syscall: 'rename', path, detail: 'the directory to hide an open file in is gone' });
    await rename(this.#state, path, hiddenPath);
    this.#nodes.move(node.parent, node.name, dir, hiddenName);
    // The kernel sends RELEASE without waiting for anything: the last one may have been answered while the
    // rename was on its way (close, then unlink at once), and no release is left to remove the file.
    if (node.opens === 0 && !this.#hidden.has(node)) {
      this.#nodes.detach(dir, hiddenName);
      await unlink(this.#state, hiddenPath);
      return;
    }
    this.#hidden.add(node);
    this.#state.log.debug({ node: node.id, path, hiddenPath }, 'open file hidden');
  }

  /**
   * Runs `work` (removing directory `dir`, or renaming over it); should it find the directory not empty
   * while it holds files this mount hid there, those move up to its parent and `work` runs again: a
   * directory whose every entry is gone for its users is empty for rmdir, as on a local filesystem
   * (on NFS, whose silly renames these are, it is not).
   */
  async #unhidden(dir: FuseNode | undefined, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const hiddenHere = dir === undefined ? [] : [...this.#hidden].filter((node) => node.parent === dir.id);
      if (!(error instanceof FsError && error.code === 'ENOTEMPTY') || hiddenHere.length === 0) throw error;
      for (const node of hiddenHere) {
        const hiddenPath = this.#nodes.pathOf(node.id);
        if (hiddenPath !== undefined) await this.#hide(node, hiddenPath, dir!.parent);
      }
      await work();
    }
  }

  #rename(session: LowLevelSession, req: Req, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    const from = this.#nodes.childPath(parent, name);
    const to = this.#nodes.childPath(newParent, newName);
    if (from === undefined || to === undefined) return session.error(req, ESTALE);
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) !== 0 || flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) return session.error(req, EINVAL);
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    const target = this.#nodes.child(newParent, newName);
    const work = async (): Promise<void> => {
      // A file replaced while open keeps its data until its last close, as an unlinked one does.
      if (!exchange && target !== undefined && target.opens > 0 && target !== this.#nodes.child(parent, name)) await this.#hide(target, to);
      await this.#unhidden(exchange ? undefined : target, () => rename(this.#state, from, to, { noReplace: (flags & RENAME_NOREPLACE) !== 0, exchange }));
    };
    work().then(() => {
      if (exchange) this.#nodes.exchange(parent, name, newParent, newName);
      else this.#nodes.move(parent, name, newParent, newName);
      session.ok(req);
    }, this.#fail(session, req, 'rename', from));
  }

  #openFlags(node: FuseNode, stat: FuseStat | undefined): number {
    if (this.#dataCache === 'off') return OpenFlag.DIRECT_IO;
    if (stat === undefined) return 0;
    const keep = node.cachedSize === stat.size && node.cachedMtimeMs === stat.mtime;
    node.cachedSize = stat.size;
    node.cachedMtimeMs = stat.mtime;
    return keep ? OpenFlag.KEEP_CACHE : 0;
  }

  #create(session: LowLevelSession, req: Req, parent: number, name: string, mode: number, flags: number): void {
    const caller = this.#owner(session);
    const path = this.#nodes.childPath(parent, name);
    if (path === undefined) return session.error(req, ESTALE);
    const state = this.#state;
    create(state, caller, path, mode, flags).then(async (fh) => {
      try {
        const stat = await getattr(state, path);
        const node = this.#nodes.remember(parent, name);
        this.#nodes.opened(node);
        this.#fileNodes.set(fh, node);
        session.created(req, node.id, stat, this.#timeouts.attr, this.#entryTimeout(stat), fh, this.#openFlags(node, stat));
      } catch (error) {
        await release(state, fh);
        throw error;
      }
    }).catch(this.#fail(session, req, 'create', path));
  }

  #open(session: LowLevelSession, req: Req, id: number, flags: number): void {
    const node = this.#nodes.get(id);
    const path = this.#nodes.pathOf(id);
    if (node === undefined || path === undefined) return session.error(req, ESTALE);
    const state = this.#state;
    const work = async (): Promise<void> => {
      const fh = await open(state, path, flags);
      let stat: FuseStat | undefined;
      try {
        stat = this.#dataCache === 'auto' && (flags & O_ACCMODE) !== O_WRONLY ? await getattr(state, path) : undefined;
      } catch (error) {
        await release(state, fh);
        throw error;
      }
      this.#nodes.opened(node);
      this.#fileNodes.set(fh, node);
      // A read-only open buffers no writes, so its flush at each close would do nothing (syncFile): the
      // kernel is told not to send it, one request fewer per open and close.
      const readOnly = (flags & O_ACCMODE) === O_RDONLY;
      session.open(req, fh, this.#openFlags(node, stat) | (readOnly ? OpenFlag.NO_FLUSH : 0));
    };
    work().catch(this.#fail(session, req, 'open', path));
  }

  #read(session: LowLevelSession, req: Req, size: number, offset: number, fh: number): void {
    read(this.#state, fh, size, offset).then((bytes) => {
      this.#metrics.read(bytes.length);
      session.bytes(req, bytes);
    }, this.#fail(session, req, 'read', ''));
  }

  #write(session: LowLevelSession, req: Req, id: number, data: Buffer, offset: number, fh: number): void {
    const path = this.#nodes.pathOf(id) ?? '';
    write(this.#state, path, fh, data, offset).then((count) => {
      this.#metrics.wrote(count);
      session.written(req, count);
    }, this.#fail(session, req, 'write', path));
  }

  #release(session: LowLevelSession, req: Req, fh: number): void {
    const node = this.#fileNodes.get(fh);
    this.#fileNodes.delete(fh);
    const state = this.#state;
    const work = async (): Promise<void> => {
      await release(state, fh);
      if (node === undefined) return;
      // Where the node is now (released() may drop it from the table).
      const hiddenPath = this.#hidden.has(node) ? this.#nodes.pathOf(node.id) : undefined;
      if (!this.#nodes.released(node) || !this.#hidden.delete(node)) return;
      this.#nodes.detach(node.parent, node.name);
      if (hiddenPath === undefined) state.log.warn({ node: node.id, name: node.name }, 'hidden file left behind: its directory is no longer known');
      else await unlink(state, hiddenPath);
    };
    this.#done(session, req, 'release', work());
  }

  #opendir(session: LowLevelSession, req: Req, id: number): void {
    if (this.#nodes.pathOf(id) === undefined) return session.error(req, ESTALE);
    const fh = this.#nextDir++;
    this.#dirs.set(fh, { node: id });
    session.open(req, fh, 0);
  }

  #readdir(session: LowLevelSession, req: Req, size: number, offset: number, fh: number, plus: boolean): void {
    const dir = this.#dirs.get(fh);
    if (dir === undefined) return session.error(req, EINVAL);
    const path = this.#nodes.pathOf(dir.node);
    if (path === undefined) return session.error(req, ESTALE);
    const page = (entries: DirentPlus[]): void => {
      if (!plus) {
        const { buffer, length } = encodeDirents(entries, offset, size);
        return session.data(req, buffer, length);
      }
      const times = (entry: DirentPlus): { attr: number; entry: number } => ({ attr: this.#timeouts.attr, entry: this.#entryTimeout(entry.stat!) });
      const { buffer, length } = encodeDirentsPlus(entries, offset, size, times, (index) => this.#nodes.remember(dir.node, entries[index]!.name).id);
      session.data(req, buffer, length);
    };
    if (offset > 0 && dir.listing !== undefined) return page(dir.listing);
    readdir(this.#state, path).then((listing) => {
      dir.listing = entriesOf(listing);
      page(dir.listing);
    }, this.#fail(session, req, 'readdir', path));
  }

  /** A value for getxattr/listxattr: its size for a size query (size 0), ERANGE if it does not fit. */
  #sized(session: LowLevelSession, req: Req, value: Buffer, size: number): void {
    if (size === 0) return session.xattrSize(req, value.length);
    if (value.length > size) return session.error(req, ERANGE);
    session.data(req, value, value.length);
  }

  #owner(session: LowLevelSession): Owner {
    const caller: Caller = session.caller();
    return { uid: caller.uid, gid: caller.gid };
  }
}
