/**
 * The filesystems the POSIX benchmark compares, each mounted fresh under the run's work dir and unmounted
 * after: tmpfs (the kernel alone), the passthrough FUSE daemon over a tmpfs (what a Node FUSE daemon costs
 * by itself) and dfuse over a local 3-engine tsdaos cluster, twice: on the container `tsdaos up` makes
 * (the pool's redundancy factor 2: RP_3G1 directories, RP_3GX files, every byte on three engines) and on
 * a container with redundancy factor 0 (S1 directories, SX files), which stores what the passthrough
 * stores: one copy. A FUSE target is mounted twice over the same data: once with the kernel attribute
 * cache on (1 s, the default) and once with it off (attr_timeout=0, every other option the same), so
 * stats of one tree can be timed both ways.
 * unmount() tries every step before it throws, and a mount that fails half-way undoes what it did, so no
 * mount or process outlives the run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isMountPoint } from '../../dfuse/mount-table.js';
import { runCommand, track } from './posix-command.js';

export const TARGET_NAMES = ['tmpfs', 'passthrough', 'dfuse', 'dfuse-rf0'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
export type AttrCache = 'on' | 'off';

export interface MountedTarget {
  readonly name: TargetName;
  /** Where the workloads run: the attribute cache on (for tmpfs, the filesystem itself). */
  readonly dir: string;
  /** The same filesystem mounted with attr_timeout=0; undefined for tmpfs, which has no such cache. */
  readonly uncachedDir: string | undefined;
  /** Unmounts and removes what mount created; tries every step, then throws the first failure. */
  unmount(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const PASSTHROUGH_DAEMON = join(HERE, 'passthrough-fuse.js');
const TSDAOS_CLI = join(HERE, '..', 'cli', 'tsdaos.js');
const DAOS_CLI = join(HERE, '..', 'cli', 'daos.js');
/** Room for the largest fio files (256 MiB + 64 MiB + small files) with margin; tmpfs takes memory only as used. */
const TMPFS_SIZE = '1g';
/** The engines' storage: every byte three times on the RP_3 container, plus metadata and WAL. */
const ENGINE_TMPFS_SIZE = '6g';
const DFUSE_ENGINES = 3;
const MOUNT_TIMEOUT_MS = 30_000;
const CLUSTER_TIMEOUT_MS = 180_000;
const DAEMON_EXIT_TIMEOUT_MS = 10_000;

/** Runs every step even when one fails, then throws the first failure. */
async function allSteps(steps: ReadonlyArray<() => Promise<void> | void>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error: unknown) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

async function mountTmpfs(dir: string, size = TMPFS_SIZE): Promise<void> {
  mkdirSync(dir);
  await runCommand('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tsdaos-bench', dir], { timeoutMs: MOUNT_TIMEOUT_MS });
}

async function unmountTmpfs(dir: string): Promise<void> {
  // A lazy unmount as a fallback: a killed workload may still hold a file open for a moment.
  if (isMountPoint(dir)) {
    await runCommand('umount', [dir], { timeoutMs: MOUNT_TIMEOUT_MS, cleanup: true })
      .catch(() => runCommand('umount', ['-l', dir], { timeoutMs: MOUNT_TIMEOUT_MS, cleanup: true }));
  }
  rmdirSync(dir);
}

/** FUSE mounts are left with fusermount -uz (lazy) when their daemon did not unmount them itself. */
async function unmountFuseLeftover(dir: string): Promise<void> {
  if (isMountPoint(dir)) await runCommand('fusermount', ['-uz', dir], { timeoutMs: MOUNT_TIMEOUT_MS, cleanup: true });
}

async function tmpfsTarget(workDir: string): Promise<MountedTarget> {
  const dir = join(workDir, 'tmpfs');
  await mountTmpfs(dir);
  return { name: 'tmpfs', dir, uncachedDir: undefined, unmount: () => unmountTmpfs(dir) };
}

/** Starts the passthrough daemon and resolves once it printed "mounted"; it dies with us (--watch-stdin). */
async function startPassthroughDaemon(source: string, mount: string, attrCache: AttrCache): Promise<() => Promise<void>> {
  const args = [PASSTHROUGH_DAEMON, '--source', source, '--mount', mount, '--attr-timeout', attrCache === 'on' ? '1' : '0', '--watch-stdin'];
  const daemon = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  track(daemon);
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), DAEMON_EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await unmountFuseLeftover(mount);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`passthrough daemon not mounted after ${MOUNT_TIMEOUT_MS} ms`)), MOUNT_TIMEOUT_MS);
      daemon.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`passthrough daemon exited ${signal ?? code} before mounting`)); });
      createInterface({ input: daemon.stdout }).on('line', (line) => {
        if (line.trim() === 'mounted') { clearTimeout(timer); resolve(); }
      });
    });
  } catch (error: unknown) {
    await stop().catch(() => undefined);
    throw error;
  }
  return stop;
}

/** Two passthrough daemons over one tmpfs: attribute cache on at `passthrough`, off at `passthrough-uncached`. */
async function passthroughTarget(workDir: string): Promise<MountedTarget> {
  const source = join(workDir, 'passthrough-source');
  const dir = join(workDir, 'passthrough');
  const uncachedDir = join(workDir, 'passthrough-uncached');
  await mountTmpfs(source);
  const steps: Array<() => Promise<void> | void> = [() => unmountTmpfs(source)];
  const undo = (): Promise<void> => allSteps([...steps].reverse());
  try {
    for (const [mount, attrCache] of [[dir, 'on'], [uncachedDir, 'off']] as const) {
      mkdirSync(mount);
      steps.push(() => rmdirSync(mount), () => unmountFuseLeftover(mount));
      steps.push(await startPassthroughDaemon(source, mount, attrCache));
    }
  } catch (error: unknown) {
    await undo().catch(() => undefined);
    throw error;
  }
  return { name: 'passthrough', dir, uncachedDir, unmount: undo };
}

function tsdaos(args: readonly string[], options: { cleanup?: boolean } = {}): Promise<unknown> {
  return runCommand(process.execPath, [TSDAOS_CLI, ...args], { timeoutMs: CLUSTER_TIMEOUT_MS, ...options });
}

/**
 * dfuse's cache settings for the uncached mount: attribute time 0 and everything else at dfuse's defaults
 * (DEFAULT_POLICY in dfuse/cache-policy.ts). They must all be given: as in DAOS, setting any one of them
 * turns the unset ones off, and `--attr-time 0` alone would also drop the entry cache and the page cache.
 */
const DFUSE_UNCACHED_ARGS = ['--attr-time', '0', '--dentry-time', '1', '--dentry-dir-time', '5', '--ndentry-time', '1', '--data-cache', 'on'];

/** The container each dfuse target mounts: `tsdaos up`'s own, or one made with redundancy factor 0. */
const RF0_CONTAINER = 'plain';

/**
 * dfuse on a fresh local cluster whose data directory is a tmpfs of its own: the baselines keep their
 * data in memory (tmpfs), so the engines do too, and the comparison is of the stacks, not of the disk
 * under /tmp (the read rows drop the page cache first, which evicted the engines' files from it as well).
 * `tsdaos up` (engines, pool, POSIX container), dfuse on the target's
 * container with the default caching (`tsdaos up --mount` for the default container; for `dfuse-rf0`
 * `daos cont create --rd-fac 0` first), then a second dfuse on the same container with the attribute
 * cache off (`tsdaos dfuse --attr-time 0 ...`). `tsdaos down` unmounts both and stops the engines.
 */
async function dfuseTarget(name: 'dfuse' | 'dfuse-rf0', workDir: string): Promise<MountedTarget> {
  const dataDir = join(workDir, `${name}-data`);
  const dir = join(workDir, name);
  const uncachedDir = join(workDir, `${name}-uncached`);
  mkdirSync(dir);
  mkdirSync(uncachedDir);
  const down = (): Promise<void> => allSteps([
    async () => { await tsdaos(['down', '--dir', dataDir], { cleanup: true }); },
    () => unmountFuseLeftover(dir),
    () => unmountFuseLeftover(uncachedDir),
    () => rmdirSync(dir),
    () => rmdirSync(uncachedDir),
    () => unmountTmpfs(dataDir),
  ]);
  try {
    await mountTmpfs(dataDir, ENGINE_TMPFS_SIZE);
    if (name === 'dfuse') {
      await tsdaos(['up', '--dir', dataDir, '--engines', String(DFUSE_ENGINES), '--mount', dir, '--detach']);
      await tsdaos(['dfuse', '--dir', dataDir, '--mount', uncachedDir, ...DFUSE_UNCACHED_ARGS, '--detach']);
    } else {
      await tsdaos(['up', '--dir', dataDir, '--engines', String(DFUSE_ENGINES), '--no-mount', '--detach']);
      await runCommand(process.execPath, [DAOS_CLI, 'cont', 'create', '--dir', dataDir, '--label', RF0_CONTAINER, '--rd-fac', '0'], { timeoutMs: CLUSTER_TIMEOUT_MS });
      await tsdaos(['dfuse', '--dir', dataDir, '--cont', RF0_CONTAINER, '--mount', dir, '--detach']);
      await tsdaos(['dfuse', '--dir', dataDir, '--cont', RF0_CONTAINER, '--mount', uncachedDir, ...DFUSE_UNCACHED_ARGS, '--detach']);
    }
    for (const mount of [dir, uncachedDir]) if (!isMountPoint(mount)) throw new Error(`tsdaos returned but ${mount} is not mounted`);
  } catch (error: unknown) {
    await down().catch(() => undefined);
    throw error;
  }
  return { name, dir, uncachedDir, unmount: down };
}

/** Mounts `name` under `workDir` (an existing dir holding none of this target's dirs yet). */
export function mountTarget(name: TargetName, workDir: string): Promise<MountedTarget> {
  switch (name) {
    case 'tmpfs': return tmpfsTarget(workDir);
    case 'passthrough': return passthroughTarget(workDir);
    case 'dfuse':
    case 'dfuse-rf0':
      return dfuseTarget(name, workDir);
  }
}
