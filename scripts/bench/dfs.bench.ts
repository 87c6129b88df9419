/**
 * Question: what metadata rates does the DFS library reach on a local cluster of 3 engine processes, and
 * how much does listing a large directory gain from anchor split? Two parts, one cluster:
 * 1. mdtest -a DFS (scripts/mdtest: P worker processes, every phase between barriers, no file data)
 *    with the directories and files of the run of class S1, then RP_3G1 (--dir-oclass / --file-oclass);
 *    the tree rows (one directory per task) are left out, they time too few operations.
 * 2. A directory of class SX (one redundancy group per target) filled with 100,000 entries, listed by one
 *    process with readdir and by N processes each reading some of its anchors (dfs-scan.ts).
 * Run alone (full size) it also rewrites its BENCHMARKS.md section; `--small` writes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountDfs } from '../../dfs/index.js';
import type { ObjClassName } from '../../engine/placement/object-class.js';
import { clusterDown, clusterUp } from '../cluster/local-cluster.js';
import { runMdtest } from '../mdtest/driver.js';
import { parseMdtestOptions } from '../mdtest/options.js';
import { type BenchResult, emit, isSmall, progress, runIdentity } from './bench-env.js';
import { writeSection } from './benchmarks-md.js';
import { type ScanSizes, benchScan, fillDirectory } from './dfs-scan.js';
import { DFS_SECTION, renderDfsSection } from './dfs-section.js';

interface Sizes {
  /** mdtest items per task. */
  readonly items: number;
  readonly tasks: number;
  readonly scan: ScanSizes;
}

const LARGE: Sizes = { items: 1_000, tasks: 3, scan: { entries: 100_000, rounds: 7, processes: [2, 3, 4], count: 1024, fillInFlight: 64 } };
const SMALL: Sizes = { items: 20, tasks: 2, scan: { entries: 2_000, rounds: 1, processes: [2], count: 1024, fillInFlight: 16 } };
const ENGINES = 3;
const TARGETS = 4;
const MDTEST_CLASSES: readonly ObjClassName[] = ['S1', 'RP_3G1'];
const SCAN_CLASS: ObjClassName = 'SX';
const POOL = 'bench';
const CONT = 'bench';

/** mdtest's arguments for a run of `items` items per task, everything created of class `oclass`. */
function mdtestArgs(dataDir: string, oclass: ObjClassName, items: number, tasks: number): string[] {
  return [
    '-a', 'DFS', '--dir', dataDir, '--pool', POOL, '--cont', CONT, '-d', `/mdtest-${oclass}`,
    '-n', String(items), '-P', String(tasks), '-u', '--dir-oclass', oclass, '--file-oclass', oclass,
  ];
}

/**
 * mdtest -a DFS with every created directory and file of class `oclass`; one result per item phase. An
 * untimed run of a tenth of the items goes first: engines and tasks start cold (V8 compiles the hot paths
 * over the first thousands of calls), which would otherwise fall on the first phases (the directory rows).
 */
async function benchMdtest(dataDir: string, oclass: ObjClassName, sizes: Sizes): Promise<BenchResult[]> {
  await runMdtest(parseMdtestOptions(mdtestArgs(dataDir, oclass, Math.max(1, Math.round(sizes.items / 10)), sizes.tasks)));
  const argv = mdtestArgs(dataDir, oclass, sizes.items, sizes.tasks);
  progress(`mdtest ${argv.join(' ')}`);
  const phases = await runMdtest(parseMdtestOptions(argv));
  const params = { engines: ENGINES, tasks: sizes.tasks, items: sizes.items, oclass };
  return phases.filter((phase) => !phase.phase.startsWith('tree-')).map((phase): BenchResult => ({
    bench: 'dfs', case: `mdtest-${oclass}-${phase.phase}`, params, ops: phase.items,
    seconds: Number(phase.seconds.toFixed(3)), opsPerSecond: Math.round(phase.rate),
    // mdtest measures phases, not operations: no per-operation latencies.
    latencyUsP50: 0, latencyUsP99: 0,
  }));
}

export async function benchDfs(options: { small: boolean }): Promise<BenchResult[]> {
  const sizes = options.small ? SMALL : LARGE;
  const dataDir = mkdtempSync(join(tmpdir(), 'tsdaos-bench-dfs-'));
  try {
    const up = await clusterUp({ dataDir, engines: ENGINES, targets: TARGETS, detach: false, poolLabel: POOL, contLabel: CONT, capacityBytesPerTarget: 0, progress });
    const results: BenchResult[] = [];
    for (const oclass of MDTEST_CLASSES) results.push(...await benchMdtest(dataDir, oclass, sizes));
    const dfs = await mountDfs({ system: up.system, pool: POOL, cont: CONT });
    try {
      progress(`scan: filling /scan (${SCAN_CLASS}) with ${sizes.scan.entries} entries`);
      results.push(await fillDirectory(dfs, { name: 'scan', oclass: SCAN_CLASS, sizes: sizes.scan }));
    } finally {
      await dfs.unmount();
    }
    const target = { systemFile: up.systemFile, pool: POOL, cont: CONT, path: '/scan' };
    const enginePids = up.engines.map((engine) => engine.pid);
    results.push(...(await benchScan(target, sizes.scan, enginePids)).map((result) => ({ ...result, params: { ...result.params, engines: ENGINES, oclass: SCAN_CLASS } })));
    return results;
  } finally {
    await clusterDown(dataDir).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Run alone: prints the results; a full-size run also rewrites its BENCHMARKS.md section. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const identity = runIdentity();
  const small = isSmall();
  const results = await benchDfs({ small });
  for (const result of results) emit(result, identity);
  if (!small) {
    writeSection(renderDfsSection(results, identity, 'npm run build && node dist/scripts/bench/dfs.bench.js'), DFS_SECTION);
    progress('BENCHMARKS.md updated');
  }
}
