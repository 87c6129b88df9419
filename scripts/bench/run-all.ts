/**
 * Runs every benchmark in one session (same machine, same moment, so ratios are fair), prints one JSON
 * line per result, and rewrites its sections of BENCHMARKS.md
 * (object layer; distributed transactions; DFS; POSIX through dfuse), each between its own markers, with a
 * table and the command.
 * `--small` runs everything small and leaves BENCHMARKS.md alone (the smoke test uses it); it leaves out
 * the POSIX bench (root, FUSE mounts, fio), which has its own smoke suite. `--only object-layer,tx,dfs,posix`
 * runs (and rewrites) just those sections; the others stay as they are.
 */
import { type BenchResult, emit, isSmall, progress, runIdentity, type RunIdentity } from './bench-env.js';
import { writeSection } from './benchmarks-md.js';
import { benchObjectLayer } from './object-layer.bench.js';
import { benchRpcEcho } from './rpc-echo.bench.js';
import { benchDfs } from './dfs.bench.js';
import { DFS_SECTION, renderDfsSection } from './dfs-section.js';
import { benchPosix } from './posix.bench.js';
import { POSIX_SECTION, renderPosixSection } from './posix-section.js';
import { renderTxSection, TX_SECTION } from './tx-section.js';
import { benchTx } from './tx.bench.js';

const SECTION_START = '<!-- object-layer:start -->';
const SECTION_END = '<!-- object-layer:end -->';
const COMMAND = 'npm run build && node dist/scripts/bench/run-all.js';

function row(result: BenchResult, baseline: number): string {
  const params = result.params;
  const mbps = result.bytesPerSecond === undefined ? '' : (result.bytesPerSecond / (1 << 20)).toFixed(0);
  const ratio = result.bytesPerSecond === undefined ? `${((result.opsPerSecond / baseline) * 100).toFixed(0)} %` : '';
  return `| ${result.case} | ${params['engines'] ?? '-'} | ${params['transport'] ?? '-'} | ${result.opsPerSecond.toLocaleString('en-US')} | ${mbps} | ${result.latencyUsP50} | ${result.latencyUsP99} | ${ratio} |`;
}

export function renderSection(results: BenchResult[], identity: RunIdentity): string {
  const echo = results.find((result) => result.case === 'echo-h2');
  const baseline = echo?.opsPerSecond ?? 1;
  const s1Update = results.find((result) => result.case === 'kv-update-S1' && result.params['engines'] === 1 && result.params['transport'] === 'h2');
  const lines = [
    SECTION_START,
    '## Object layer (issue #2)',
    '',
    `Command: \`${COMMAND}\` — run ${identity.date}, git ${identity.gitSha}, Node ${identity.node}, ${identity.cores} cores.`,
    'Engines are separate processes on loopback (4 targets each); the client is the benchmark process. KV rows: 64-byte values,',
    '64 requests in flight; array rows: 1 MiB extents, 4 in flight. "vs echo" = rate / bare h2 echo RPC rate measured in the same run.',
    '',
    '| case | engines | transport | ops/s | MiB/s | p50 µs | p99 µs | vs echo |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map((result) => row(result, baseline)),
    '',
    s1Update === undefined ? '' : `S1 small-update rate (1 engine, h2) is **${((s1Update.opsPerSecond / baseline) * 100).toFixed(0)} %** of the bare echo RPC rate (target ≥ 50 %).`,
    'Since the h2 transport sends small calls as frames on one long-lived `rpc_channel` stream per session (issue #5 work), the',
    'echo baseline, 64 calls in flight, travels as frames too: it is the transport\'s ceiling, several times the per-stream echo',
    'of runs before 2026-12-03, so this percentage is not comparable with theirs. What an update adds to the echo is the store',
    'work (a sqlite transaction per lane, validation, placement).',
    '',
    transportNote(results),
    '',
    'RP_3G1 updates cost three RPCs (one per replica, sent in parallel by the client) on the same two cores, hence about a third',
    'of the S1 rate; replicated reads go to one replica. Once an engine has said so on the h2 session, every call goes as a frame',
    'on its call sockets (plain TCP beside the h2 session, engine/wire/channel.ts), 1 MiB array bodies on a socket of their own;',
    'the echo server is bare node:http2 and stays on the rpc_channel. The dfuse issue (#5) sets the bandwidth targets.',
    SECTION_END,
  ];
  return lines.join('\n');
}

/** Why the hot path uses node:http2's session, from this run's figures. */
function transportNote(results: BenchResult[]): string {
  const rate = (name: string, transport: string): number | undefined =>
    results.find((result) => result.case === name && result.params['transport'] === transport && (result.params['engines'] ?? 1) === 1)?.opsPerSecond;
  const echoH2 = rate('echo-h2', 'h2');
  const echoUndici = rate('echo-undici', 'undici');
  const updateH2 = rate('kv-update-S1', 'h2');
  const updateUndici = rate('kv-update-S1', 'undici');
  if (echoH2 === undefined || echoUndici === undefined || updateH2 === undefined || updateUndici === undefined) return '';
  return [
    `Transport: the object client's transport (engine/client/h2-transport.ts) opens node:http2's own client session to each engine,`,
    `then moves to the engine's call sockets: the bare echo ran at ${echoH2.toLocaleString('en-US')}/s over its rpc_channel against ${echoUndici.toLocaleString('en-US')}/s over undici (h2c`,
    `with \`useH2c\`, a stream per call), and S1 updates at ${updateH2.toLocaleString('en-US')}/s (call sockets) against ${updateUndici.toLocaleString('en-US')}/s. undici stays selectable`,
    `(\`createTransportPool('undici')\`) so the comparison can be rerun, but no`,
    'product path uses it: control-plane calls are few, and stale-map refresh, leader redirect and retries are composable wrappers',
    'in engine/client/retry.ts that work over either transport, so undici\'s interceptors would add nothing there.',
  ].join('\n');
}

const SECTIONS = ['object-layer', 'tx', 'dfs', 'posix'] as const;
type SectionName = (typeof SECTIONS)[number];

/** The sections `--only` names (all when absent); exits 2 with one line on an unknown name. */
function chosenSections(argv: readonly string[]): ReadonlySet<SectionName> {
  const at = argv.indexOf('--only');
  if (at < 0) return new Set(SECTIONS);
  const names = (argv[at + 1] ?? '').split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(`run-all: --only takes a comma-separated list of ${SECTIONS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}\n`);
    process.exit(2);
  }
  return new Set(names as SectionName[]);
}

/** Runs `bench` when its section was chosen, emitting and collecting its results. */
async function runSection(chosen: boolean, bench: () => Promise<BenchResult[]>): Promise<BenchResult[] | undefined> {
  if (!chosen) return undefined;
  const results = await bench();
  for (const result of results) emit(result, identity);
  return results;
}

const small = isSmall();
const sections = chosenSections(process.argv);
const identity = runIdentity();
const objectLayer = await runSection(sections.has('object-layer'), async () => [...await benchRpcEcho({ small }), ...await benchObjectLayer({ small })]);
const tx = await runSection(sections.has('tx'), () => benchTx({ small }));
const dfs = await runSection(sections.has('dfs'), () => benchDfs({ small }));
const posix = await runSection(!small && sections.has('posix'), () => benchPosix({ small }));
if (!small) {
  if (objectLayer !== undefined) writeSection(renderSection(objectLayer, identity), { start: SECTION_START, end: SECTION_END });
  if (tx !== undefined) writeSection(renderTxSection(tx, identity, COMMAND), TX_SECTION);
  if (dfs !== undefined) writeSection(renderDfsSection(dfs, identity, COMMAND), DFS_SECTION);
  if (posix !== undefined) writeSection(renderPosixSection(posix, identity, COMMAND), POSIX_SECTION);
  progress('BENCHMARKS.md updated');
}
