/**
 * Question: what does the dfuse mount deliver through the kernel's POSIX interface, against tmpfs (the
 * kernel alone) and a minimal Node passthrough FUSE daemon over tmpfs (what a Node FUSE daemon costs by
 * itself)? Same run, same machine: the mdtest driver (-a POSIX, 2 processes, 2,000 items each) and fio
 * (sequential 1 MiB, random 4 KiB, small files), then `ls -l` of the small files, then tools on a source-like
 * tree (tar x, md5sum with caches dropped, rm -r; posix-tools.ts), on each target with the
 * kernel attribute cache on, and on the FUSE targets the stat pass again through a second mount with it off (attr_timeout=0), since
 * cached stats measure the kernel.
 *   node dist/scripts/bench/posix.bench.js [--small] [--targets tmpfs,passthrough,dfuse] [--rounds N]
 * With --rounds N every target is benchmarked N times, the targets in turn and mounted fresh each time, and
 * each row reports its best round: on a shared, noisy machine a single run moved tmpfs and the passthrough
 * by 5-50 % between runs (and dfuse differently), so one round says little about their ratio.
 * A full run rewrites its BENCHMARKS.md section; --small (tiny sizes, the smoke test) writes nothing.
 * Needs root (mount, drop_caches) and /dev/fuse; every mount lives under a fresh /tmp dir and is undone.
 */
import { mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchResult, emit, progress, runIdentity } from './bench-env.js';
import { writeSection } from './benchmarks-md.js';
import { UsageError, intOption } from '../cli/command.js';
import { checkInterrupted, interruptOnSignals } from './posix-command.js';
import { type FioSizes, runFio } from './posix-fio.js';
import { runListing } from './posix-listing.js';
import { type ToolSizes, type ToolTree, makeToolTree, runTools } from './posix-tools.js';
import { type MdtestPass, type MdtestSizes, runMdtestPass, warmUp } from './posix-mdtest.js';
import { POSIX_SECTION, renderPosixSection } from './posix-section.js';
import { mountPoints } from '../../dfuse/mount-table.js';
import { type AttrCache, type MountedTarget, TARGET_NAMES, type TargetName, mountTarget } from './posix-targets.js';

interface Sizes {
  readonly mdtest: MdtestSizes;
  readonly fio: FioSizes;
  readonly tools: ToolSizes;
}

const MIB = 1 << 20;
const LARGE: Sizes = {
  mdtest: { items: 2_000, procs: 2 },
  fio: { seqBytes: 256 * MIB, randBytes: 64 * MIB, smallFiles: 5_000, runtimeSecondsMax: 20 },
  tools: { dirs: 10, subdirs: 5, filesPerDir: 20 },
};
const SMALL: Sizes = {
  mdtest: { items: 100, procs: 2 },
  fio: { seqBytes: 8 * MIB, randBytes: 2 * MIB, smallFiles: 200, runtimeSecondsMax: 5 },
  tools: { dirs: 2, subdirs: 2, filesPerDir: 5 },
};

/** Mounts, runs `work`, and unmounts whatever happened in between. */
async function withTarget<T>(name: TargetName, workDir: string, work: (target: MountedTarget) => Promise<T>): Promise<T> {
  checkInterrupted();
  progress(`${name}: mounting`);
  const target = await mountTarget(name, workDir);
  try {
    return await work(target);
  } finally {
    progress(`${name}: unmounting`);
    await target.unmount();
  }
}

/**
 * mdtest in passes, after untimed warm-up passes (warmUp): create, stat through the cached mount, stat
 * through the uncached one (FUSE targets; the same tree), read, remove. Stat is the only phase whose rate
 * the attribute cache decides.
 */
async function metadataRows(target: MountedTarget, sizes: MdtestSizes): Promise<BenchResult[]> {
  await warmUp(target.dir, target.uncachedDir, sizes, progress);
  const params = (attrCache: AttrCache): Record<string, string | number> => ({ target: target.name, attrCache });
  const cached = (pass: MdtestPass): Promise<BenchResult[]> => runMdtestPass(target.dir, sizes, pass, params('on'), progress);
  const results = [...await cached('-C'), ...await cached('-T')];
  if (target.uncachedDir !== undefined) results.push(...await runMdtestPass(target.uncachedDir, sizes, '-T', params('off'), progress));
  return [...results, ...await cached('-E'), ...await cached('-r')];
}

function benchTarget(name: TargetName, sizes: Sizes, workDir: string, tree: ToolTree): Promise<BenchResult[]> {
  return withTarget(name, workDir, async (target) => [
    ...await metadataRows(target, sizes.mdtest),
    ...await runFio(target.dir, sizes.fio, { target: name, attrCache: 'on' }, progress),
    // After fio: it lists the small files fio made.
    await runListing(target.dir, { target: name, attrCache: 'on' }, progress),
    ...await runTools(target.dir, tree, { target: name, attrCache: 'on' }, progress),
  ]);
}

/** Of results of the same case and parameters (several rounds), the best rate; first-seen order. */
export function bestRounds(results: readonly BenchResult[]): BenchResult[] {
  const best = new Map<string, BenchResult>();
  for (const result of results) {
    const key = `${result.bench}\0${result.case}\0${JSON.stringify(result.params)}`;
    const seen = best.get(key);
    if (seen === undefined || result.opsPerSecond > seen.opsPerSecond) best.set(key, result);
  }
  return [...best.values()];
}

/**
 * Runs the POSIX benchmark on `targets` (default: all three), `rounds` times (default 1), and returns one
 * result per case, target and attribute-cache setting: its best round. Rejects on the first failure, after
 * unmounting everything it mounted.
 */
export async function benchPosix(options: { small: boolean; targets?: readonly TargetName[]; rounds?: number }): Promise<BenchResult[]> {
  const sizes = options.small ? SMALL : LARGE;
  const workDir = mkdtempSync(join(tmpdir(), 'tsdaos-bench-posix-'));
  // Ctrl-C must unwind through the unmounts below rather than kill us with mounts in place.
  const removeSignalHandlers = interruptOnSignals();
  const results: BenchResult[] = [];
  let tree: ToolTree | undefined;
  try {
    tree = await makeToolTree(workDir, sizes.tools);
    const rounds = options.rounds ?? 1;
    for (let round = 1; round <= rounds; round += 1) {
      if (rounds > 1) progress(`round ${round} of ${rounds}`);
      for (const name of options.targets ?? TARGET_NAMES) results.push(...await benchTarget(name, sizes, workDir, tree));
    }
    return bestRounds(results);
  } finally {
    removeSignalHandlers();
    if (tree !== undefined) rmSync(tree.tarball, { force: true });
    // Each target removed its own dirs; anything still mounted here means an unmount failed, and a
    // recursive removal would then reach into that filesystem, so only the empty work dir is removed.
    const leftovers = mountPoints().filter((point) => point.startsWith(`${workDir}/`));
    if (leftovers.length > 0) progress(`still mounted, left in place: ${leftovers.join(', ')}`);
    else rmdirSync(workDir);
  }
}

function parseTargets(text: string | undefined): TargetName[] {
  if (text === undefined) return [...TARGET_NAMES];
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const known = new Set<string>(TARGET_NAMES);
  for (const name of names) if (!known.has(name)) throw new UsageError(`--targets: unknown target ${JSON.stringify(name)} (known: ${TARGET_NAMES.join(', ')})`);
  if (names.length === 0) throw new UsageError('--targets: no target named');
  return TARGET_NAMES.filter((name) => names.includes(name));
}

const ROUNDS_MAX = 10;

async function main(): Promise<void> {
  let values: { small?: boolean; targets?: string; rounds?: string };
  try {
    ({ values } = parseArgs({ options: { small: { type: 'boolean', default: false }, targets: { type: 'string' }, rounds: { type: 'string' } }, strict: true }));
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const small = values.small === true;
  const targets = parseTargets(values.targets);
  const rounds = intOption({ values, positionals: [] }, 'rounds', 1, { min: 1, max: ROUNDS_MAX });
  const identity = runIdentity();
  const results = await benchPosix({ small, targets, rounds });
  for (const result of results) emit(result, identity);
  if (!small) {
    const command = `npm run build && node dist/scripts/bench/posix.bench.js${values.targets === undefined ? '' : ` --targets ${targets.join(',')}`}${rounds === 1 ? '' : ` --rounds ${rounds}`}`;
    writeSection(renderPosixSection(results, identity, command), POSIX_SECTION);
    progress('BENCHMARKS.md updated');
  }
}

/** Run alone: prints the results; a full-size run also rewrites its BENCHMARKS.md section. */
if (import.meta.url === `file://${process.argv[1]}`) {
  await main().catch((error: unknown) => {
    process.stderr.write(`posix.bench: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write('usage: posix.bench.js [--small] [--targets tmpfs,passthrough,dfuse] [--rounds N]\n');
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
