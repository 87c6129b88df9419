/**
 * The "DFS (issue #4)" section of BENCHMARKS.md, rendered from dfs.bench.ts results: the command, the
 * mdtest rates per object class, the fill of the scan directory, and the serial against the parallel
 * listing of it with the speedup. It lives between its own markers so a run rewrites it without touching
 * the other sections.
 */
import { SUMMARY_ROWS } from '../mdtest/phases.js';
import type { BenchResult, RunIdentity } from './bench-env.js';

export const DFS_SECTION = { start: '<!-- dfs:start -->', end: '<!-- dfs:end -->' } as const;

/** The issue's target for the parallel scan against the serial listing. */
const SCAN_SPEEDUP_TARGET = 3;

const rate = (value: number): string => value.toLocaleString('en-US');

function mdtestTable(results: readonly BenchResult[]): string[] {
  const mdtest = results.filter((result) => result.case.startsWith('mdtest-'));
  const classes = [...new Set(mdtest.map((result) => String(result.params['oclass'])))];
  if (classes.length === 0) return [];
  const first = mdtest[0]!.params;
  const rows = SUMMARY_ROWS.filter(({ phase }) => mdtest.some((result) => result.case.endsWith(`-${phase}`))).map(({ phase, label }) => {
    const cells = classes.map((oclass) => {
      const found = mdtest.find((result) => result.case === `mdtest-${oclass}-${phase}`);
      return found === undefined ? '' : rate(found.opsPerSecond);
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  return [
    `mdtest: \`-a DFS -n ${first['items']} -P ${first['tasks']} -u\` (no file data), every directory and file the run creates of the`,
    'class named in the column (`--dir-oclass C --file-oclass C`), so the entries of a phase live in objects of that class.',
    'Rates are operations per second of all tasks together (mdtest SUMMARY rate, 1 iteration, after an untimed run of a tenth',
    'of the items that warms up the engines and V8).',
    '',
    `| operation | ${classes.join(' | ')} |`,
    `|---|${classes.map(() => '---:').join('|')}|`,
    ...rows,
  ];
}

const seconds = (ms: unknown): string => (typeof ms === 'number' ? (ms / 1000).toFixed(3) : '');

function scanRow(result: BenchResult, serial: BenchResult): string {
  const params = result.params;
  const versus = result === serial ? '' : `${(serial.seconds / result.seconds).toFixed(2)}×`;
  return `| ${result.case} | ${params['processes']} | ${result.seconds.toFixed(3)} | ${(result.latencyUsP99 / 1e6).toFixed(3)} | ${rate(result.opsPerSecond)} | ${versus} | ${seconds(params['engineCpuMs'])} | ${seconds(params['clientCpuMs'])} |`;
}

/** What the cores allow: the serial listing's CPU time spread over every core, against its wall time. */
function cpuBound(serial: BenchResult, cores: number): string {
  const engine = serial.params['engineCpuMs'];
  const client = serial.params['clientCpuMs'];
  if (typeof engine !== 'number' || typeof client !== 'number') return '';
  const cpuSeconds = (engine + client) / 1000;
  const floor = cpuSeconds / cores;
  return [
    `Where the time goes: a serial listing used ${cpuSeconds.toFixed(3)} s of CPU (engines ${(engine / 1000).toFixed(3)} s, net of the`,
    `${serial.params['engineIdleCpuPercent']} % of a core they use idle, listing process ${(client / 1000).toFixed(3)} s) in ${serial.seconds.toFixed(3)} s, keeping ${(cpuSeconds / serial.seconds).toFixed(1)} cores busy on average. Spread over`,
    `the ${cores} cores that CPU time still takes ${floor.toFixed(3)} s, so no split of the same work can list this directory faster than about`,
    `${(serial.seconds / floor).toFixed(1)}× the serial listing on this machine.`,
  ].join('\n');
}

function scanLines(results: readonly BenchResult[], cores: number): string[] {
  const fill = results.find((result) => result.case === 'dir-fill');
  const serial = results.find((result) => result.case === 'readdir-serial');
  const parallel = results.filter((result) => result.case.startsWith('readdir-parallel-'));
  if (serial === undefined || parallel.length === 0) return [];
  const params = serial.params;
  const best = parallel.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const speedup = serial.seconds / best.seconds;
  return [
    `Directory scan: one directory of class ${params['oclass']} (${params['anchors']} redundancy groups, so \`anchorSplit\` gives ${params['anchors']} anchors)`,
    `holding ${rate(Number(params['entries']))} empty files${fill === undefined ? '' : `, created at ${rate(fill.opsPerSecond)}/s by one process with ${fill.params['inFlight']} creates in flight`}.`,
    `Every side reads it with \`readdir\` (${params['count']} entries per call) from worker processes already mounted, after one untimed round:`,
    '`readdir-serial` is one process listing from the start anchor; `readdir-parallel-N` is N processes, the anchors dealt round-robin,',
    'each process listing its anchors concurrently until their eof. A round runs from the requests to the last answer; the sides',
    `take turns, ${params['rounds']} round${params['rounds'] === 1 ? '' : 's'} each; times are the median round, CPU is the median round's CPU time of the 3 engine processes (net`,
    'of what they use idle) and of the listing processes.',
    '',
    '| case | processes | median s | slowest s | entries/s | vs serial | CPU s engines | CPU s listing |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    scanRow(serial, serial),
    ...parallel.map((result) => scanRow(result, serial)),
    '',
    `Best parallel scan: **${speedup.toFixed(2)}×** the serial listing (${best.params['processes']} processes); the issue's target is ≥ ${SCAN_SPEEDUP_TARGET}×${speedup >= SCAN_SPEEDUP_TARGET ? ' (met)' : ' (not met)'}.`,
    cpuBound(serial, cores),
  ];
}

export function renderDfsSection(results: readonly BenchResult[], identity: RunIdentity, command: string): string {
  return [
    DFS_SECTION.start,
    '## DFS (issue #4)',
    '',
    `Command: \`${command}\` — run ${identity.date}, git ${identity.gitSha}, Node ${identity.node}, ${identity.cores} cores.`,
    'Three engine processes on loopback (4 targets each); mdtest tasks and scan workers are separate processes of the DFS library.',
    '',
    ...mdtestTable(results),
    '',
    ...scanLines(results, identity.cores),
    DFS_SECTION.end,
  ].join('\n');
}
