/**
 * A real local cluster for end-to-end suites: engine processes spawned through the same launcher as
 * `tsdaos up`, in a temp data dir, stopped (and the dir removed) at teardown. `env` reaches every engine
 * process, restarts included (fault suites: TSDAOS_FAULTS=1, a short TSDAOS_TX_TIMEOUT_MS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPool, type PoolHandle } from '../../engine/client/index.js';
import { type UpResult, clusterDown, clusterUp, engineDir } from '../../scripts/cluster/local-cluster.js';
import { type RunningEngine, spawnEngine } from '../../scripts/cluster/engine-process.js';

export interface TestCluster {
  readonly dir: string;
  readonly up: UpResult;
  readonly engines: Map<number, RunningEngine>;
  connect(): Promise<PoolHandle>;
  kill9(rank: number): Promise<void>;
  restart(rank: number): Promise<void>;
  /** True while the engine process of `rank` has not exited. */
  isRunning(rank: number): boolean;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  readonly engines: number;
  readonly targets: number;
  readonly prefix: string;
  readonly env?: Readonly<Record<string, string>>;
}

export async function startTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), `tsdaos-${options.prefix}-`));
  const env = options.env === undefined ? {} : { env: options.env };
  const up = await clusterUp({
    dataDir: dir, engines: options.engines, targets: options.targets, detach: false,
    poolLabel: 'tank', contLabel: 'posix', capacityBytesPerTarget: 0, progress: () => undefined,
    ...(options.env === undefined ? {} : { engineEnv: options.env }),
  });
  const engines = new Map(up.engines.map((engine) => [engine.spec.rank, engine]));
  return {
    dir,
    up,
    engines,
    connect: () => connectPool({ system: up.system, pool: up.system.defaultPool! }),
    async kill9(rank) {
      const engine = engines.get(rank)!;
      const exited = new Promise((resolve) => engine.child.once('exit', resolve));
      engine.child.kill('SIGKILL');
      await exited;
    },
    async restart(rank) {
      const spec = engines.get(rank)!.spec;
      engines.set(rank, await spawnEngine({ ...spec, dir: engineDir(dir, rank) }, { detached: false, ...env }));
    },
    isRunning(rank) {
      const child = engines.get(rank)!.child;
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      await clusterDown(dir).catch(() => undefined);
      for (const engine of engines.values()) if (engine.child.exitCode === null && engine.child.signalCode === null) engine.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // Not yet: the cluster may be electing a leader or excluding a rank.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs `work(i)` for i in 0..count-1 with at most `limit` in flight. */
export async function inParallel(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
