/**
 * Question: how much faster is a large directory listed by N processes, each reading some of its
 * anchors (Dfs.anchorSplit: one per redundancy group, so a directory of class SX has one per target),
 * than by one process reading it with readdir from the start? Every side lists the same directory with
 * the same entries per readdir call, from worker processes (dfs-scan-worker.ts) that are already mounted
 * and warm: one untimed round of each side first, then rounds in which the serial listing and each
 * process count take turns; a side's time is from the driver's requests to the last answer, and the
 * medians are compared. The directory is filled here first (its create rate is reported too).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Dfs, type DirAnchor, O_CREAT, O_EXCL, O_WRONLY } from '../../dfs/index.js';
import type { ObjClassName } from '../../engine/placement/object-class.js';
import { type BenchResult, closedLoop, progress } from './bench-env.js';
import type { ScanReply, ScanRequest, ScanTarget } from './dfs-scan-protocol.js';
import { cpuMsOf } from './process-cpu.js';

export interface ScanSizes {
  readonly entries: number;
  /** Timed rounds of each side (after one untimed round of each). */
  readonly rounds: number;
  /** Process counts of the parallel sides (each one measured). */
  readonly processes: readonly number[];
  /** Entries per readdir call, both sides. */
  readonly count: number;
  /** Creates in flight while filling the directory. */
  readonly fillInFlight: number;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'dfs-scan-worker.js');

/** One forked scan worker; requests are answered in order, one at a time. */
class ScanProcess {
  readonly #child: ChildProcess;
  #failure: Error | undefined;

  constructor(readonly index: number) {
    this.#child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('exit', (code, signal) => {
      this.#failure ??= new Error(`scan worker ${index} exited (${signal ?? code})`);
    });
  }

  request<T extends ScanReply['type']>(message: ScanRequest, expected: T): Promise<Extract<ScanReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      const onExit = (): void => reject(this.#failure ?? new Error(`scan worker ${this.index} exited`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (answer: ScanReply) => {
        this.#child.off('exit', onExit);
        if (answer.type === expected) resolve(answer as Extract<ScanReply, { type: T }>);
        else reject(new Error(`scan worker ${this.index}: ${answer.type === 'error' ? answer.message : `expected ${expected}, got ${answer.type}`}`));
      });
      this.#child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    if (this.#child.connected) this.#child.send({ type: 'exit' } satisfies ScanRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Creates directory `name` under the root with class `oclass` and `entries` empty files in it. */
export async function fillDirectory(dfs: Dfs, options: { name: string; oclass: ObjClassName; sizes: ScanSizes }): Promise<BenchResult> {
  const dir = await dfs.mkdir(dfs.root, options.name, 0o755, { oclass: options.oclass });
  try {
    const params = { oclass: options.oclass, entries: options.sizes.entries, inFlight: options.sizes.fillInFlight };
    return await closedLoop({ bench: 'dfs', case: 'dir-fill', params }, { count: options.sizes.entries, inFlight: options.sizes.fillInFlight }, async (index) => {
      dfs.release(await dfs.open(dir, `file.${String(index).padStart(6, '0')}`, O_CREAT | O_EXCL | O_WRONLY, 0o644));
    });
  } finally {
    dfs.release(dir);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One round of one side: wall time, and CPU time of the engines (when readable) and of the workers. */
interface RoundTimes {
  readonly elapsedMs: number;
  readonly engineCpuMs: number | undefined;
  readonly clientCpuMs: number;
}

/** How long the engines' idle CPU use is sampled before the rounds (their background aggregation). */
const IDLE_SAMPLE_MS = 10_000;

/** CPU milliseconds per wall millisecond the engines use while nobody lists (0 when unreadable). */
async function idleCpuRate(enginePids: readonly number[]): Promise<number> {
  const before = cpuMsOf(enginePids);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const after = cpuMsOf(enginePids);
  return before === undefined || after === undefined ? 0 : (after - before) / IDLE_SAMPLE_MS;
}

/**
 * Times one listing by `workers`; checks that the whole directory was listed. The engines' CPU time is
 * net of their idle rate over the round, so it counts the listing rather than background work.
 */
async function timedList(
  workers: readonly ScanProcess[],
  anchors: ReadonlyArray<ReadonlyArray<DirAnchor | null>>,
  options: { count: number; entries: number; enginePids: readonly number[]; idleCpuRate: number },
): Promise<RoundTimes> {
  const enginesBefore = cpuMsOf(options.enginePids);
  const started = performance.now();
  const answers = await Promise.all(workers.map((worker, index) => worker.request({ type: 'list', anchors: anchors[index]!, count: options.count }, 'listed')));
  const elapsedMs = performance.now() - started;
  const enginesAfter = cpuMsOf(options.enginePids);
  const listed = answers.reduce((sum, answer) => sum + answer.entries, 0);
  if (listed !== options.entries) throw new Error(`listed ${listed} entries, the directory holds ${options.entries}`);
  return {
    elapsedMs,
    engineCpuMs: enginesBefore === undefined || enginesAfter === undefined ? undefined : Math.max(0, enginesAfter - enginesBefore - options.idleCpuRate * elapsedMs),
    clientCpuMs: answers.reduce((sum, answer) => sum + answer.cpuUs, 0) / 1000,
  };
}

function scanResult(name: string, params: Record<string, string | number>, entries: number, rounds: readonly RoundTimes[]): BenchResult {
  const timesMs = rounds.map((round) => round.elapsedMs);
  const seconds = median(timesMs) / 1000;
  const engineCpu = rounds.map((round) => round.engineCpuMs).filter((cpu): cpu is number => cpu !== undefined);
  const cpu = {
    clientCpuMs: Math.round(median(rounds.map((round) => round.clientCpuMs))),
    ...(engineCpu.length === rounds.length ? { engineCpuMs: Math.round(median(engineCpu)) } : {}),
  };
  return {
    bench: 'dfs', case: name, params: { ...params, ...cpu, rounds: timesMs.length }, ops: entries,
    seconds: Number(seconds.toFixed(3)), opsPerSecond: Math.round(entries / seconds),
    latencyUsP50: Math.round(median(timesMs) * 1000), latencyUsP99: Math.round(Math.max(...timesMs) * 1000),
  };
}

/** One side of the comparison: which workers list which anchors (null: from the start). */
interface ScanSide {
  readonly name: string;
  readonly workers: readonly ScanProcess[];
  readonly plan: ReadonlyArray<ReadonlyArray<DirAnchor | null>>;
  readonly rounds: RoundTimes[];
}

/** The serial side, then one side per process count, the anchors dealt round-robin. */
function scanSides(workers: readonly ScanProcess[], anchors: readonly DirAnchor[], processes: readonly number[]): ScanSide[] {
  const serial: ScanSide = { name: 'readdir-serial', workers: workers.slice(0, 1), plan: [[null]], rounds: [] };
  return [serial, ...processes.map((count): ScanSide => ({
    name: `readdir-parallel-${count}`,
    workers: workers.slice(0, count),
    plan: Array.from({ length: count }, (_, index) => anchors.filter((_anchor, at) => at % count === index)),
    rounds: [],
  }))];
}

/**
 * Lists `target.path` (holding `sizes.entries` entries) serially and with each process count; returns
 * `readdir-serial` and one `readdir-parallel-<N>` per count: rate from the median round, p50/p99 =
 * median/slowest round, params `engineCpuMs` / `clientCpuMs` = median CPU time of the engine processes
 * (`enginePids`, net of their idle rate) / the listing processes in a round.
 */
export async function benchScan(target: ScanTarget, sizes: ScanSizes, enginePids: readonly number[]): Promise<BenchResult[]> {
  const workers = Array.from({ length: Math.max(...sizes.processes) }, (_, index) => new ScanProcess(index));
  try {
    await Promise.all(workers.map((worker) => worker.request({ type: 'init', target }, 'ready')));
    const { anchors } = await workers[0]!.request({ type: 'split' }, 'anchors');
    const sides = scanSides(workers, anchors, sizes.processes);
    const idle = await idleCpuRate(enginePids);
    progress(`scan: engines idle at ${(idle * 100).toFixed(1)} % of a core (background aggregation)`);
    for (let round = 0; round <= sizes.rounds; round++) {
      const times: string[] = [];
      for (const side of sides) {
        const measured = await timedList(side.workers, side.plan, { count: sizes.count, entries: sizes.entries, enginePids, idleCpuRate: idle });
        if (round > 0) side.rounds.push(measured);
        times.push(`${side.name} ${measured.elapsedMs.toFixed(0)} ms`);
      }
      progress(`scan round ${round}${round === 0 ? ' (warm-up)' : ''}: ${times.join(', ')}`);
    }
    const params = { entries: sizes.entries, count: sizes.count, anchors: anchors.length, engineIdleCpuPercent: Math.round(idle * 1000) / 10 };
    return sides.map((side) => scanResult(side.name, { ...params, processes: side.workers.length }, sizes.entries, side.rounds));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}
