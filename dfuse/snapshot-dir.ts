/**
 * The read-only `.snapshot` directory at the mount root (JuiceFS-style virtual tree on a reserved inode
 * range; DAOS dfuse itself mounts snapshots separately with --snap). It lists the container's snapshots
 * by name; `.snapshot/<name>/...` is the namespace as it was at that snapshot, served by a read-only DFS
 * mount at the snapshot's epoch (mounted on first use, at most SNAPSHOT_VIEWS_MAX at once).
 */
import { type Dfs, type DfsSnapshot, FsError, S_IFDIR } from '../dfs/index.js';
import type { Validity } from './inode-map.js';
import { View } from './view.js';

export const SNAPSHOT_DIR_NAME = '.snapshot';
export const SNAPSHOT_DIR_PATH = `/${SNAPSHOT_DIR_NAME}`;
/** Snapshot mounts kept open; the least recently used one is unmounted past this. */
export const SNAPSHOT_VIEWS_MAX = 8;
/** How long a dropped snapshot mount stays up for operations still using it. */
const UNMOUNT_GRACE_MS = 30_000;
/** The reserved inode number of `.snapshot` itself (bit 63 set: the snapshot range). */
export const SNAPSHOT_DIR_INO = (1n << 63n) | 2n;

export type MountSnapshot = (snapshot: DfsSnapshot) => Promise<Dfs>;

export class SnapshotDir {
  readonly #live: Dfs;
  readonly #mount: MountSnapshot;
  readonly #validity: Validity;
  readonly #views = new Map<string, Promise<View>>();
  readonly #createdMs = Date.now();
  /** Views past the bound, unmounted when their grace period ends (or at closeAll). */
  readonly #retiring = new Map<NodeJS.Timeout, Promise<View>>();

  constructor(live: Dfs, mount: MountSnapshot, validity: Validity) {
    this.#live = live;
    this.#mount = mount;
    this.#validity = validity;
  }

  /** Attributes of `.snapshot`: a directory nobody may write. */
  stat(uid: number, gid: number): { mode: number; uid: number; gid: number; ino: bigint; timeMs: number } {
    return { mode: S_IFDIR | 0o555, uid, gid, ino: SNAPSHOT_DIR_INO, timeMs: this.#createdMs };
  }

  /** The snapshots' names, oldest first. */
  async names(): Promise<string[]> {
    return (await this.#live.listSnapshots()).map((snapshot) => snapshot.name);
  }

  /** The view of snapshot `name` (ENOENT when there is none). */
  view(name: string): Promise<View> {
    const cached = this.#views.get(name);
    if (cached !== undefined) {
      this.#views.delete(name);
      this.#views.set(name, cached);
      return cached;
    }
    const opening = this.#open(name);
    this.#views.set(name, opening);
    opening.catch(() => this.#views.delete(name));
    this.#evictOverflow();
    return opening;
  }

  async #open(name: string): Promise<View> {
    const snapshot = (await this.#live.listSnapshots()).find((candidate) => candidate.name === name);
    if (snapshot === undefined) throw new FsError('ENOENT', { syscall: 'lookup', path: `${SNAPSHOT_DIR_PATH}/${name}`, detail: 'no such snapshot' });
    return new View(await this.#mount(snapshot), this.#validity, `${SNAPSHOT_DIR_PATH}/${name}`, { snapshotEpoch: snapshot.epoch });
  }

  #evictOverflow(): void {
    for (const [name, view] of this.#views) {
      if (this.#views.size <= SNAPSHOT_VIEWS_MAX) return;
      this.#views.delete(name);
      const timer = setTimeout(() => {
        this.#retiring.delete(timer);
        void view.then((opened) => close(opened), () => undefined);
      }, UNMOUNT_GRACE_MS);
      timer.unref();
      this.#retiring.set(timer, view);
    }
  }

  /** Unmounts every snapshot view (daemon shutdown). */
  async closeAll(): Promise<void> {
    for (const timer of this.#retiring.keys()) clearTimeout(timer);
    const views = [...this.#views.values(), ...this.#retiring.values()];
    this.#views.clear();
    this.#retiring.clear();
    await Promise.all(views.map((view) => view.then((opened) => close(opened), () => undefined)));
  }
}

async function close(view: View): Promise<void> {
  view.map.clear();
  await view.dfs.unmount();
}
