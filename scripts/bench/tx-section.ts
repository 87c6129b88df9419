/**
 * The "Distributed transactions (issue #3)" section of BENCHMARKS.md, rendered from tx.bench.ts results:
 * the command, a table of the two cases and one sentence comparing them. It lives between its own
 * markers so run-all.ts rewrites it without touching the other sections.
 */
import type { BenchResult, RunIdentity } from './bench-env.js';

export const TX_SECTION = { start: '<!-- tx:start -->', end: '<!-- tx:end -->' } as const;

function row(result: BenchResult): string {
  return `| ${result.case} | ${result.params['engines'] ?? '-'} | ${result.params['inFlight'] ?? '-'} | ${result.opsPerSecond.toLocaleString('en-US')} | ${result.latencyUsP50} | ${result.latencyUsP99} |`;
}

function comparison(results: readonly BenchResult[]): string {
  const tx = results.find((result) => result.case === 'tx-commit-2obj');
  const plain = results.find((result) => result.case === 'plain-update-2obj');
  if (tx === undefined || plain === undefined) return '';
  const ratio = tx.opsPerSecond / plain.opsPerSecond;
  return [
    `A two-object transaction commits at **${(ratio * 100).toFixed(0)} %** of the rate of the same two writes sent as plain updates`,
    `(${tx.opsPerSecond.toLocaleString('en-US')}/s against ${plain.opsPerSecond.toLocaleString('en-US')}/s; p50 ${tx.latencyUsP50} µs against ${plain.latencyUsP50} µs):`,
    'the caller waits for two round trips (prepare on both targets in parallel, then the decision at the coordinator) instead of one,',
    'and each engine also persists an intent, a decision and its application (the commit messages run in the background) —',
    'the price of never exposing one write without the other.',
  ].join('\n');
}

export function renderTxSection(results: readonly BenchResult[], identity: RunIdentity, command: string): string {
  return [
    TX_SECTION.start,
    '## Distributed transactions (issue #3)',
    '',
    `Command: \`${command}\` — run ${identity.date}, git ${identity.gitSha}, Node ${identity.node}, ${identity.cores} cores.`,
    'Three engine processes on loopback (4 targets each); two S1 objects on two different engines; each operation writes one',
    '64-byte value to the same key in both objects, 16 operations in flight. `tx-commit-2obj`: one transaction per pair',
    '(latency until commit is decided); `plain-update-2obj`: two plain updates sent in parallel.',
    '',
    '| case | engines | in flight | pairs/s | p50 µs | p99 µs |',
    '|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    comparison(results),
    TX_SECTION.end,
  ].join('\n');
}
