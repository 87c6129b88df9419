/**
 * The POSIX benchmark runs small on the targets that need no cluster (tmpfs and the passthrough FUSE
 * daemon), so neither the bench nor the daemon rots: it must exit 0, report every mdtest, fio and tool case for
 * both targets with a positive rate (and the stat pass with the attribute cache off on the FUSE target),
 * and leave no mount behind. Needs root and /dev/fuse, as the bench does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DIST } from '../harness/cli.js';

interface ResultLine {
  readonly bench: string;
  readonly case: string;
  readonly params: Record<string, string | number>;
  readonly opsPerSecond: number;
}

const MDTEST_CASES = ['mdtest-file-create', 'mdtest-file-stat', 'mdtest-file-read', 'mdtest-file-remove', 'mdtest-dir-create', 'mdtest-dir-stat', 'mdtest-dir-remove'];
const FIO_CASES = ['fio-seq-write', 'fio-seq-read', 'fio-rand-write-4k', 'fio-rand-read-4k', 'fio-small-files-4k', 'ls-l-small-files'];
const TOOL_CASES = ['tar-extract', 'md5sum-cold', 'rm-recursive'];

function benchMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes('tsdaos-bench-posix-'));
}

t.test('posix bench: --small on tmpfs and passthrough, two rounds -> every case for both targets once (its best round), no mount left', async (t) => {
  const run = spawnSync(process.execPath, [join(DIST, 'scripts', 'bench', 'posix.bench.js'), '--small', '--targets', 'tmpfs,passthrough', '--rounds', '2'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  t.equal(run.status, 0, run.stderr.slice(-2000));
  const results = run.stdout.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ResultLine);
  const measured = new Set(results.map((result) => `${result.params['target']}/${result.params['attrCache']}/${result.case}`));
  for (const target of ['tmpfs', 'passthrough']) {
    for (const name of [...MDTEST_CASES, ...FIO_CASES, ...TOOL_CASES]) t.ok(measured.has(`${target}/on/${name}`), `${target} ${name} measured`);
  }
  for (const name of ['mdtest-file-stat', 'mdtest-dir-stat']) t.ok(measured.has(`passthrough/off/${name}`), `passthrough ${name} measured with the attribute cache off`);
  t.notOk(results.some((result) => result.params['target'] === 'dfuse'), 'dfuse not run');
  t.ok(results.every((result) => result.bench === 'posix' && result.opsPerSecond > 0), 'every rate is positive');
  t.equal(results.length, measured.size, 'one row per case, target and cache setting');
  t.match(run.stderr, /round 2 of 2/, 'progress names the rounds');
  t.same(benchMounts(), [], 'no bench mount left behind');
});

t.test('posix bench: a bad --rounds -> exit 2 and one line saying why, nothing mounted', async (t) => {
  const run = spawnSync(process.execPath, [join(DIST, 'scripts', 'bench', 'posix.bench.js'), '--small', '--rounds', '0'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 2);
  t.match(run.stderr, /--rounds must be an integer from 1 to 10, got "0"/);
  t.same(benchMounts(), []);
});
