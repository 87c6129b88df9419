/**
 * End to end through the mdtest driver: the POSIX backend on a temp dir (all rows positive, the test
 * dir empty afterwards), the DFS backend against a 3-engine local cluster with explicit object classes
 * (positive rates, the namespace clean afterwards), and bad flags (exit 2, one line on stderr).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FsError, mountDfs } from '../../dfs/index.js';
import { DIST } from '../harness/cli.js';
import { startTestCluster } from '../harness/local-cluster.js';

const MAIN = join(DIST, 'scripts', 'mdtest', 'main.js');

function mdtest(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 45_000, env: { ...process.env, TSDAOS_SYSTEM: '' } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const ROWS = ['Directory creation', 'Directory stat', 'Directory removal', 'File creation', 'File stat', 'File read', 'File removal', 'Tree creation', 'Tree removal'];

/** The rates of each SUMMARY row: operation → [max, min, mean, stddev]. */
function summaryRows(stdout: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  const table = stdout.slice(stdout.indexOf('SUMMARY rate:'));
  for (const line of table.split('\n')) {
    const match = /^ {3}(\S.*?)\s*:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$/.exec(line);
    if (match !== null) rows.set(match[1]!, match.slice(2, 6).map(Number));
  }
  return rows;
}

function checkRates(t: Test, stdout: string): void {
  t.match(stdout, /SUMMARY rate: \(of \d+ iterations?\)/);
  const rows = summaryRows(stdout);
  t.same([...rows.keys()], ROWS, 'the nine mdtest rows, in order');
  for (const [operation, [max, min, mean]] of rows) t.ok(max! > 0 && min! > 0 && mean! > 0, `${operation}: positive rates`);
}

t.test('-a POSIX: tree, files and dirs on a temp dir, nothing left behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsdaos-mdtest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = mdtest(['-a', 'POSIX', '-d', dir, '-n', '50', '-P', '2', '-z', '1', '-b', '2', '-u', '-w', '100', '-e', '100', '-i', '2']);
  t.equal(run.status, 0, run.stderr);
  checkRates(t, run.stdout);
  t.same(readdirSync(dir), [], 'test dir empty after the remove phase');
});

t.test('-a DFS: two workers on a 3-engine cluster, namespace clean afterwards', async (t) => {
  const cluster = await startTestCluster({ engines: 3, targets: 2, prefix: 'mdtest' });
  t.teardown(() => cluster.stop());
  const run = mdtest(['-a', 'DFS', '--dir', cluster.dir, '-d', '/mdtest-e2e', '-n', '30', '-P', '2', '-w', '64', '-e', '64', '--dir-oclass', 'S1', '--file-oclass', 'RP_3G1']);
  t.equal(run.status, 0, run.stderr);
  checkRates(t, run.stdout);
  const dfs = await mountDfs({ system: cluster.up.system, pool: 'tank', cont: 'posix' });
  try {
    const root = await dfs.lookup('/mdtest-e2e');
    t.same((await dfs.readdir(root)).entries, [], 'test dir empty');
    dfs.release(root);
  } catch (error) {
    t.ok(error instanceof FsError && error.code === 'ENOENT', 'or gone');
  } finally {
    await dfs.unmount();
  }
});

t.test('bad flag: exit 2 and one line on stderr', async (t) => {
  const run = mdtest(['-a', 'POSIX', '-Q']);
  t.equal(run.status, 2);
  t.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  t.match(run.stderr, /^mdtest: .*-Q/);
  const badApi = mdtest(['-a', 'HDF5']);
  t.equal(badApi.status, 2);
  t.equal(badApi.stderr.trim().split('\n').length, 1, 'one line');
  const badClass = mdtest(['-a', 'DFS', '--dir-oclass', 'RP_9G9']);
  t.equal(badClass.status, 2, 'unknown object class: usage error');
  t.match(badClass.stderr, /^mdtest: --dir-oclass must be an object class/);
  t.equal(mdtest(['-a', 'POSIX', '--file-oclass', 'S1']).status, 2, 'classes need -a DFS');
});
