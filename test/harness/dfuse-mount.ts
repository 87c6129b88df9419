/**
 * A real local cluster with a real dfuse mount, for the end-to-end dfuse suites: `tsdaos up --detach`
 * in a temp dir under /tmp (3 engines, pool, POSIX container, dfuse at <root>/mnt), more mounts of the
 * same container in the foreground (`tsdaos dfuse`, tracked here), and a teardown that always runs:
 * foreground daemons get SIGTERM (then SIGKILL), `tsdaos down` stops the recorded daemons and engines,
 * and /proc/self/mountinfo must list nothing under the temp dir. A mount left behind is cleared with
 * `fusermount -uz` and fails the suite; the temp dir is removed only once nothing is mounted in it, so
 * a live or dead mount is never walked by rm -r.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';
import { isMountPoint, mountPoints } from '../../dfuse/mount-table.js';
import { type CliResult, DIST, cli, cliJson } from './cli.js';

/** The cache policy a daemon reports in its mounted message (dfuse/cache-policy.ts CachePolicy). */
export interface ReportedPolicy {
  readonly attrSeconds: number;
  readonly dentrySeconds: number;
  readonly dentryDirSeconds: number;
  readonly negativeSeconds: number;
  readonly dataCache: string;
}

/** `tsdaos dfuse --json` in the foreground prints this once the mount serves requests. */
export interface MountedMessage {
  readonly event: 'mounted';
  readonly mountPoint: string;
  readonly pid: number;
  readonly multiUser: boolean;
  readonly policy: ReportedPolicy;
  /** `host:port` of its Prometheus endpoint (absent with --metrics off). */
  readonly metrics?: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `tsdaos dfuse` daemon running in the foreground as our child. */
export interface ForegroundDfuse {
  readonly mountPoint: string;
  readonly child: ChildProcess;
  readonly mounted: MountedMessage;
  /** Resolves when the daemon exits. */
  readonly exited: Promise<ExitStatus>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

export interface DfuseCluster {
  /** The temp dir holding everything below. */
  readonly root: string;
  readonly dataDir: string;
  /** The mount `tsdaos up` made (default caching policy). */
  readonly mountPoint: string;
  readonly dfusePid: number;
  /** `host:port` of that daemon's Prometheus endpoint. */
  readonly dfuseMetrics: string;
  /** `host:port` of each engine. */
  readonly engineAddresses: readonly string[];
  /** `<mount>/<relative>`. */
  at(relative: string): string;
  /** A fresh empty directory under the temp dir to mount on. */
  newMountPoint(name: string): string;
  /** Runs `tsdaos|daos|dmg <args> --dir <data dir>`. */
  run(name: 'tsdaos' | 'daos' | 'dmg', args: string[]): CliResult;
  /** Like run, with --json, parsed; throws on a non-zero exit. */
  json<T>(name: 'tsdaos' | 'daos' | 'dmg', args: string[]): T;
  /** Starts `tsdaos dfuse --mount <mountPoint> <args> --json` in the foreground; resolves once mounted. */
  startForeground(mountPoint: string, args?: string[]): Promise<ForegroundDfuse>;
  /** Stops everything (idempotent); the mount points still listed afterwards (cleared, but a failure). */
  stop(): Promise<StopReport>;
}

export interface StopReport {
  /** What `tsdaos down` reported for the recorded dfuse mounts. */
  readonly unmounted: Array<{ mountPoint: string; how: string }>;
  /** Mount points under the temp dir still in /proc/self/mountinfo after everything was stopped. */
  readonly leftover: string[];
  /** Engine pids of this cluster still running after `tsdaos down` (then SIGKILLed). */
  readonly enginesRunning: number[];
}

export interface DfuseClusterOptions {
  readonly prefix: string;
  /** Extra `tsdaos up` flags (e.g. --capacity 256M). */
  readonly upArgs?: string[];
}

const MOUNTED_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

/** Mount points in this mount namespace at or below `root`. */
export function mountPointsUnder(root: string): string[] {
  const base = resolve(root);
  return mountPoints().filter((mountPoint) => mountPoint === base || mountPoint.startsWith(`${base}/`));
}

export { isMountPoint };

/** A suite's last subtest: `tsdaos down` stops the daemon with SIGTERM and leaves nothing mounted or running. */
export function testDownLeavesNothing(t: Test, cluster: DfuseCluster): void {
  t.test('tsdaos down: the mount is gone and the engines are stopped', async (t) => {
    const report = await cluster.stop();
    t.same(report.unmounted, [{ mountPoint: cluster.mountPoint, how: 'terminated' }], 'dfuse stopped by SIGTERM');
    t.same(report.leftover, [], 'nothing under the temp dir in /proc/self/mountinfo');
    t.same(report.enginesRunning, [], 'no engine left');
  });
}

/** Starts the cluster and its mount; the teardown of `t` stops them and fails if a mount stays behind. */
export async function startDfuseCluster(t: Test, options: DfuseClusterOptions): Promise<DfuseCluster> {
  const root = mkdtempSync(join('/tmp', `tsdaos-dfuse-${options.prefix}-`));
  // Other users (nobody) must reach the mount point below it.
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const mountPoint = join(root, 'mnt');
  mkdirSync(mountPoint);
  const foreground: Foreground = new Map();
  const enginePids: number[] = [];
  let stopping: Promise<StopReport> | undefined;
  const stop = (): Promise<StopReport> => (stopping ??= stopAll({ root, dataDir, enginePids }, foreground));
  t.teardown(async () => {
    const report = await stop();
    if (report.leftover.length > 0) throw new Error(`mounts left behind (cleared with fusermount -uz): ${report.leftover.join(', ')}`);
    if (report.enginesRunning.length > 0) throw new Error(`engines left running (killed): ${report.enginesRunning.join(', ')}`);
  });
  // A process exit that skips the teardown (a crash, process.exit) still stops everything we started.
  process.once('exit', () => {
    if (stopping === undefined) stopAllSync({ root, dataDir, enginePids }, foreground);
  });
  const run = (name: 'tsdaos' | 'daos' | 'dmg', args: string[]): CliResult => cli(name, [...args, '--dir', dataDir]);
  const json = <T>(name: 'tsdaos' | 'daos' | 'dmg', args: string[]): T => cliJson<T>(name, [...args, '--dir', dataDir]);
  const up = json<UpSummary>('tsdaos', ['up', '--mount', mountPoint, '--detach', ...(options.upArgs ?? [])]);
  enginePids.push(...up.engines.map((engine) => engine.pid));
  return {
    root, dataDir, mountPoint, dfusePid: up.dfusePid, dfuseMetrics: up.dfuseMetrics, engineAddresses: up.engines.map((engine) => engine.address), run, json, stop,
    at: (relative) => join(mountPoint, relative),
    newMountPoint(name) {
      const path = join(root, name);
      mkdirSync(path);
      return path;
    },
    startForeground: (target, args = []) => startForegroundDfuse(dataDir, target, args, foreground),
  };
}

/** Foreground daemons still running, with their exit. */
type Foreground = Map<ChildProcess, Promise<ExitStatus>>;

async function startForegroundDfuse(dataDir: string, mountPoint: string, args: string[], tracked: Foreground): Promise<ForegroundDfuse> {
  const child = spawn(process.execPath, [join(DIST, 'scripts', 'cli', 'tsdaos.js'), 'dfuse', '--dir', dataDir, '--mount', mountPoint, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSDAOS_SYSTEM: '' },
  });
  const exited = new Promise<ExitStatus>((resolvePromise) => {
    child.once('exit', (code, signal) => {
      tracked.delete(child);
      resolvePromise({ code, signal });
    });
  });
  tracked.set(child, exited);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const mounted = await new Promise<MountedMessage>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`dfuse did not mount ${mountPoint} within ${MOUNTED_TIMEOUT_MS} ms: ${stderr}`)), MOUNTED_TIMEOUT_MS);
    void exited.then((status) => {
      clearTimeout(timer);
      reject(new Error(`dfuse exited (${status.signal ?? status.code}) before mounting ${mountPoint}: ${stderr.trim()}`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const message = parseMounted(stdout);
      if (message === undefined) return;
      clearTimeout(timer);
      resolvePromise(message);
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    mountPoint, child, mounted, exited,
    stop: (signal = 'SIGTERM', graceMs = STOP_GRACE_MS) => stopChild(child, exited, signal, graceMs),
  };
}

/** The mounted message once the (pretty-printed) JSON on stdout is complete. */
function parseMounted(stdout: string): MountedMessage | undefined {
  try {
    const message = JSON.parse(stdout) as MountedMessage;
    return message.event === 'mounted' ? message : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<ExitStatus>, signal: NodeJS.Signals, graceMs: number): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

interface UpSummary {
  readonly mountPoint: string;
  readonly dfusePid: number;
  readonly dfuseMetrics: string;
  readonly engines: ReadonlyArray<{ readonly pid: number; readonly address: string }>;
}

/** What teardown needs to find everything a cluster started. */
interface Started {
  readonly root: string;
  readonly dataDir: string;
  readonly enginePids: readonly number[];
}

async function stopAll(started: Started, foreground: Foreground): Promise<StopReport> {
  await Promise.all([...foreground].map(([child, exited]) => stopChild(child, exited, 'SIGTERM', STOP_GRACE_MS)));
  return downAndCheck(started);
}

function stopAllSync(started: Started, foreground: Foreground): void {
  for (const child of foreground.keys()) child.kill('SIGKILL');
  downAndCheck(started);
}

/** True while `pid` is a process started for `dataDir` (pids are reused). */
function runsFor(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch {
    return false;
  }
}

/**
 * `tsdaos down`, then clears and reports whatever is still mounted or running; removes the temp dir
 * when nothing is mounted in it.
 */
function downAndCheck({ root, dataDir, enginePids }: Started): StopReport {
  const down = cli('tsdaos', ['down', '--dir', dataDir, '--json']);
  const enginesRunning = enginePids.filter((pid) => runsFor(pid, dataDir));
  for (const pid of enginesRunning) process.kill(pid, 'SIGKILL');
  let unmounted: StopReport['unmounted'] = [];
  try {
    unmounted = (JSON.parse(down.stdout) as { unmounted: StopReport['unmounted'] }).unmounted;
  } catch {
    // Reported through `leftover` below if it mattered.
  }
  const leftover = mountPointsUnder(root);
  for (const mountPoint of leftover) spawnSync('fusermount', ['-uz', mountPoint]);
  if (mountPointsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
  return { unmounted, leftover, enginesRunning };
}
