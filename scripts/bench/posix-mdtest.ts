/**
 * The metadata rows of the POSIX benchmark: the project's mdtest driver (scripts/mdtest) with `-a POSIX`,
 * P worker processes, N items each, a unique directory per task (-u), files and directories, zero-byte
 * files (mdtest's default -w 0 / -e 0, so "file read" is open + close). One pass runs one group of phases
 * (-C create, -T stat, -E read, -r remove): item paths depend only on the options, so a tree created
 * through one mount can be stat'ed through another mount of the same filesystem. Its --json output gives
 * one rate per phase; tree creation and removal (one dir per task) are not reported.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './bench-env.js';
import { runCommand } from './posix-command.js';

export interface MdtestSizes {
  readonly items: number;
  readonly procs: number;
}

export const MDTEST_CASES = [
  'mdtest-file-create', 'mdtest-file-stat', 'mdtest-file-read', 'mdtest-file-remove',
  'mdtest-dir-create', 'mdtest-dir-stat', 'mdtest-dir-remove',
] as const;
export type MdtestCase = (typeof MDTEST_CASES)[number];

const MDTEST_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'mdtest', 'main.js');
const MDTEST_TIMEOUT_MS = 600_000;

/** The fields of the driver's --json output we read. */
interface MdtestJson {
  readonly phases: ReadonlyArray<{ readonly phase: string; readonly items: number; readonly seconds: number; readonly rate: number }>;
}

/** -C create, -T stat, -E read, -r remove: mdtest's phase selection flags. */
export type MdtestPass = '-C' | '-T' | '-E' | '-r';

/** The mdtest command line for one pass in `dir` (also shown in the BENCHMARKS.md section). */
export function mdtestArgs(dir: string, sizes: MdtestSizes, pass: MdtestPass): string[] {
  return ['-a', 'POSIX', '-d', dir, '-n', String(sizes.items), '-P', String(sizes.procs), '-u', pass, '--json'];
}

function isMdtestCase(name: string): name is MdtestCase {
  return (MDTEST_CASES as readonly string[]).includes(name);
}

/** Items per task of the warm-up passes (warmUp): a quarter of the measured ones. */
const WARM_UP_SHARE = 4;

/**
 * Untimed passes before the measured ones, in `dir/warmup`: create, stat (through `uncachedDir` too, a
 * daemon of its own), remove, with a quarter of the items. A daemon just started runs its first thousand
 * or so requests slower while V8 compiles and optimizes its code (dfuse RP_3 on a fresh cluster, 2 x 2,000
 * directories: 1,643-1,649/s cold, 2,339-2,408/s in the runs after it); without this the create rows
 * measured that start-up, not the running filesystem. Every target gets the same passes.
 */
export async function warmUp(dir: string, uncachedDir: string | undefined, sizes: MdtestSizes, progress: (line: string) => void): Promise<void> {
  const warm = { ...sizes, items: Math.max(1, Math.floor(sizes.items / WARM_UP_SHARE)) };
  progress(`warm-up: mdtest -n ${warm.items} -P ${warm.procs} (untimed)`);
  const pass = (root: string, flag: MdtestPass) => mdtest(join(root, 'warmup'), warm, flag);
  await pass(dir, '-C');
  await pass(dir, '-T');
  if (uncachedDir !== undefined) await pass(uncachedDir, '-T');
  await pass(dir, '-r');
}

/** The driver's --json output of one pass in `testDir`. */
async function mdtest(testDir: string, sizes: MdtestSizes, pass: MdtestPass): Promise<MdtestJson> {
  const { stdout } = await runCommand(process.execPath, [MDTEST_MAIN, ...mdtestArgs(testDir, sizes, pass)], { timeoutMs: MDTEST_TIMEOUT_MS });
  return JSON.parse(stdout) as MdtestJson;
}

/** Runs one pass of mdtest in `dir/mdtest`; one result per reported phase. */
export async function runMdtestPass(
  dir: string,
  sizes: MdtestSizes,
  pass: MdtestPass,
  params: Record<string, string | number>,
  progress: (line: string) => void,
): Promise<BenchResult[]> {
  progress(`${params['target']} (attribute cache ${params['attrCache']}): mdtest ${pass} -n ${sizes.items} -P ${sizes.procs}`);
  const output = await mdtest(join(dir, 'mdtest'), sizes, pass);
  const results: BenchResult[] = [];
  for (const phase of output.phases) {
    const name = `mdtest-${phase.phase}`;
    if (!isMdtestCase(name)) continue;
    results.push({
      bench: 'posix',
      case: name,
      params: { ...params, tool: 'mdtest', procs: sizes.procs, itemsPerProc: sizes.items },
      ops: phase.items,
      seconds: Number(phase.seconds.toFixed(3)),
      opsPerSecond: Math.round(phase.rate),
      // The driver times phases, not single operations: no latency percentiles.
      latencyUsP50: 0,
      latencyUsP99: 0,
    });
  }
  return results;
}
