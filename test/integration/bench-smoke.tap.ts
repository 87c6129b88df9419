/**
 * Every benchmark runs, small, so none rots: `run-all.js --small` must emit a result line for each case
 * with a positive rate, and leave BENCHMARKS.md alone.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { DIST } from '../harness/cli.js';

t.test('bench: run-all --small emits one result per case', async (t) => {
  const run = spawnSync(process.execPath, [join(DIST, 'scripts', 'bench', 'run-all.js'), '--small'], { encoding: 'utf8', timeout: 600_000 });
  t.equal(run.status, 0, run.stderr.slice(-2000));
  const results = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { bench: string; case: string; opsPerSecond: number });
  const cases = new Set(results.map((result) => `${result.bench}/${result.case}`));
  for (const expected of ['rpc-echo/echo-h2', 'rpc-echo/echo-undici', 'object-layer/kv-update-S1', 'object-layer/kv-fetch-RP_3G1', 'object-layer/array-write-S1', 'object-layer/array-read-RP_3G1', 'tx/tx-commit-2obj', 'tx/plain-update-2obj',
    'dfs/mdtest-S1-file-create', 'dfs/mdtest-RP_3G1-dir-stat', 'dfs/dir-fill', 'dfs/readdir-serial', 'dfs/readdir-parallel-2']) {
    t.ok(cases.has(expected), `${expected} measured`);
  }
  t.ok(results.every((result) => result.opsPerSecond > 0), 'every rate is positive');
});
