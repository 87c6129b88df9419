/**
 * What every benchmark shares: the run's identity (git SHA, Node version, host cores), a closed-loop
 * driver that keeps N operations in flight for a fixed count, and one JSON line per result on stdout
 * (so scripts/bench/compare.ts can diff two runs). Progress goes to stderr.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface BenchResult {
  readonly bench: string;
  readonly case: string;
  readonly params: Record<string, string | number>;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly bytesPerSecond?: number;
  readonly latencyUsP50: number;
  readonly latencyUsP99: number;
}

export interface RunIdentity {
  readonly gitSha: string;
  readonly node: string;
  readonly cores: number;
  readonly hw: string;
  readonly date: string;
}

export function runIdentity(hw = 'none'): RunIdentity {
  let gitSha = 'unknown';
  try {
    gitSha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout: the SHA stays unknown.
  }
  return { gitSha, node: process.version, cores: availableParallelism(), hw, date: new Date().toISOString() };
}

export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

export function emit(result: BenchResult, identity: RunIdentity): void {
  process.stdout.write(`${JSON.stringify({ ...result, ...identity })}\n`);
}

/**
 * Runs `operation(i)` for i in 0..count-1 with `inFlight` calls outstanding at any time (a closed loop,
 * like fio's iodepth). Returns throughput and latency percentiles.
 */
export async function closedLoop(
  name: { bench: string; case: string; params: Record<string, string | number> },
  options: { count: number; inFlight: number; bytesPerOp?: number },
  operation: (index: number) => Promise<unknown>,
): Promise<BenchResult> {
  const latencies = new Float64Array(options.count);
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const index = next++;
      const begin = performance.now();
      await operation(index);
      latencies[index] = performance.now() - begin;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.inFlight, options.count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const percentile = (fraction: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * fraction))]! * 1000);
  const opsPerSecond = options.count / seconds;
  return {
    ...name,
    ops: options.count,
    seconds: Number(seconds.toFixed(3)),
    opsPerSecond: Math.round(opsPerSecond),
    ...(options.bytesPerOp === undefined ? {} : { bytesPerSecond: Math.round(opsPerSecond * options.bytesPerOp) }),
    latencyUsP50: percentile(0.5),
    latencyUsP99: percentile(0.99),
  };
}

/** `--small` runs every bench with small counts (used by the smoke test so no bench rots). */
export function isSmall(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--small');
}
