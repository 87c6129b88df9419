/**
 * Starting and stopping engine processes of a local cluster. Each engine is `tsdaos engine ...` in its own
 * process; it announces {"event":"ready",...} once it serves requests (announcement.ts). Its stdout and
 * stderr go to <engine dir>/engine.log; the pid goes to <engine dir>/pid so `tsdaos down` can find it later.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOUNCE_FD, awaitAnnouncement, daemonStdio } from './announcement.js';

export const TSDAOS_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'tsdaos.js');

export interface EngineSpec {
  readonly rank: number;
  readonly dir: string;
  readonly address: string;
  readonly targets: number;
  readonly systemFile: string;
}

export interface RunningEngine {
  readonly spec: EngineSpec;
  readonly pid: number;
  readonly child: ChildProcess;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * V8 tier-up for the daemons a cluster starts (engines, dfuse), before TSDAOS_NODE_ARGS (which can override
 * them): feedback vectors from the first call and optimization after an eighth of the default interrupt
 * budget, so a fresh daemon reaches optimized code after hundreds of requests instead of thousands. Five
 * alternating rounds on fresh rd_fac 0 clusters (1,000 files: create, three stat passes, remove; 2026-12-04):
 * create 319 -> 381/s, stat passes 363/493/619 -> 421/759/880/s, remove 188 -> 198/s (means).
 */
const TIER_UP_V8_ARGS = ['--interrupt-budget=8192', '--no-lazy-feedback-allocation'];

/**
 * V8 heap sizing for the same daemons. Every MiB they move is a fresh Buffer; V8 counts that external memory
 * against a heap limit sized from their small JS heaps, so a daemon with the default sizes ran an incremental
 * mark-compact every few MiB of I/O (dfuse: 35 in a 256 MiB read), its GC threads burning nearly as much CPU
 * as its main thread. A larger initial old space and young generation cut that: dfuse CPU per 256 MiB read
 * 141 -> 100 ticks, per write 148 -> 125 (fio, 2026-12-03); engines, 1 MiB S1 array I/O from one client,
 * user CPU per MiB written 5.6-6.2 -> 1.5-3.3 ms and per MiB read 3.6-3.8 -> 0.7-1.6 ms, and an rd_fac 0 dfuse
 * mount's fio sequential write 140/182/215 -> 140/311/247 MiB/s and read 228/190/188 -> 253/277/231 MiB/s
 * (three alternating rounds against a cluster without them, 2026-12-05). Cost: about 110 MB more RSS per engine
 * after such a run (175 -> 290 MB).
 */
const HEAP_V8_ARGS = ['--initial-old-space-size=256', '--max-semi-space-size=32'];

export const DAEMON_V8_ARGS: readonly string[] = [...TIER_UP_V8_ARGS, ...HEAP_V8_ARGS];

/**
 * Node flags for the daemons a cluster starts (engines, dfuse), from TSDAOS_NODE_ARGS, split on blanks:
 * e.g. `TSDAOS_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile them (node refuses --cpu-prof
 * in NODE_OPTIONS).
 */
export function daemonNodeArgs(): string[] {
  return (process.env['TSDAOS_NODE_ARGS'] ?? '').split(/\s+/).filter((arg) => arg !== '');
}

/**
 * Environment of the daemons a cluster starts: ours, plus glibc malloc settings that keep the 1 MiB buffers
 * of bulk I/O in the heap for reuse. By default glibc serves them with fresh mmaps or trims the heap after
 * each burst, so every MiB moved paid page faults on new memory: with these, an rd_fac 0 dfuse mount read
 * 113 -> 194 MB/s and wrote 80 -> 115 MB/s sequentially, the daemon using 35 % less CPU per byte (fio,
 * same session, 2026-12-03). Values already in the environment win.
 */
export function daemonEnv(): NodeJS.ProcessEnv {
  return { MALLOC_MMAP_THRESHOLD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20), ...process.env };
}

export function pidFile(engineDir: string): string {
  return join(engineDir, 'pid');
}

export interface SpawnOptions {
  /** Detached engines outlive this process. */
  readonly detached: boolean;
  /** Extra environment for the engine (e.g. TSDAOS_FAULTS=1 in fault tests), over this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Spawns one engine and resolves when it announced that it is ready. */
export async function spawnEngine(spec: EngineSpec, options: SpawnOptions): Promise<RunningEngine> {
  mkdirSync(spec.dir, { recursive: true });
  const log = join(spec.dir, 'engine.log');
  const logFd = openSync(log, 'a');
  const args = [
    ...DAEMON_V8_ARGS, ...daemonNodeArgs(), TSDAOS_BIN, 'engine', '--rank', String(spec.rank), '--dir', spec.dir, '--listen', spec.address,
    '--targets', String(spec.targets), '--system', spec.systemFile, '--announce-fd', String(ANNOUNCE_FD),
  ];
  const child = spawn(process.execPath, args, {
    detached: options.detached,
    stdio: daemonStdio(logFd),
    env: { ...daemonEnv(), TSDAOS_LOG_LEVEL: process.env['TSDAOS_LOG_LEVEL'] ?? 'info', ...options.env },
  });
  closeSync(logFd);
  try {
    const announced = await awaitAnnouncement(child, {
      timeoutMs: READY_TIMEOUT_MS,
      timedOut: () => `engine rank ${spec.rank} not ready after ${READY_TIMEOUT_MS} ms (see ${log})`,
      ended: (how) => `engine rank ${spec.rank} ${how} before it was ready; see ${log}`,
    });
    if (announced['event'] !== 'ready') throw new Error(`engine rank ${spec.rank} announced ${JSON.stringify(announced)}, not ready; see ${log}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  writeFileSync(pidFile(spec.dir), `${child.pid}\n`);
  if (options.detached) child.unref();
  return { spec, pid: child.pid ?? 0, child };
}

export function readPid(engineDir: string): number | undefined {
  if (!existsSync(pidFile(engineDir))) return undefined;
  const pid = Number(readFileSync(pidFile(engineDir), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is alive and its command line contains `word` (a recorded pid may have been reused). */
export function isRunningAs(pid: number, word: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(word);
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 15_000): Promise<'terminated' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
  }
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  return 'killed';
}

export function clearPid(engineDir: string): void {
  rmSync(pidFile(engineDir), { force: true });
}
