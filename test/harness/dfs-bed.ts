/**
 * The bed the dfs and dfuse suites run on: an in-process cluster (in-process-cluster.ts), one pool
 * connection and, for useDfsBed, a fresh formatted container mounted (freshFs). Each registers the vitest
 * hooks of the scope it is called in: beforeAll builds the bed and hands it to `take` (so a suite keeps
 * its own variables, and its own beforeAll, registered after, can build on them); afterAll takes down
 * whatever part of it was built (unmount, disconnect, stop). Hooks a suite registers after it run before
 * its teardown (vitest runs after-hooks in reverse order).
 */
import { afterAll, beforeAll } from 'vitest';
import type { PoolHandle } from '../../engine/client/index.js';
import type { Dfs, MountOptions } from '../../dfs/index.js';
import { freshFs } from './dfs-tree.js';
import { type InProcessCluster, startInProcessCluster } from './in-process-cluster.js';

export interface ClusterBed {
  readonly cluster: InProcessCluster;
  readonly pool: PoolHandle;
}

export interface DfsBed extends ClusterBed {
  readonly fs: Dfs;
}

/** A cluster and a pool connection for the calling scope. */
export function useClusterBed(prefix: string, take: (bed: ClusterBed) => void): void {
  useBed(prefix, undefined, take);
}

/** A cluster, a pool connection and a fresh DFS mounted with `mount` (freshFs options) for the calling scope. */
export function useDfsBed(prefix: string, take: (bed: DfsBed) => void, mount: Partial<MountOptions> & { label?: string } = {}): void {
  useBed(prefix, mount, (bed) => take(bed as DfsBed));
}

function useBed(prefix: string, mount: (Partial<MountOptions> & { label?: string }) | undefined, take: (bed: ClusterBed & { fs?: Dfs }) => void): void {
  let cluster: InProcessCluster | undefined;
  let pool: PoolHandle | undefined;
  let fs: Dfs | undefined;
  beforeAll(async () => {
    cluster = await startInProcessCluster({ prefix });
    pool = await cluster.connect();
    if (mount !== undefined) fs = await freshFs(pool, mount);
    take({ cluster, pool, ...(fs === undefined ? {} : { fs }) });
  });
  afterAll(async () => {
    await fs?.unmount();
    await pool?.disconnect();
    await cluster?.stop();
  });
}
