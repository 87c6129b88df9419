/**
 * dfuse end to end with applications on a real mount of a 3-engine local cluster: a git repository
 * (init, add, commit, fsck, log), better-sqlite3 databases in rollback-journal and WAL mode, a log
 * appended by two processes at once (every line whole and present once), and a fio smoke run. One
 * cluster for the whole suite; all work happens under <mount>/apps.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { startDfuseCluster, testDownLeavesNothing } from '../harness/dfuse-mount.js';
import { quote as q, sh, shOk } from '../harness/shell.js';

const cluster = await startDfuseCluster(t, { prefix: 'apps' });
const work = cluster.at('apps');
mkdirSync(work);

/** git with an identity and every directory trusted (the mount's files may belong to other users). */
const GIT = 'git -c safe.directory=* -c user.name=tsdaos -c user.email=tsdaos@example.invalid -c init.defaultBranch=main';

t.test('git: init, add, commit twice; fsck clean, log and status right', async (t) => {
  const which = sh('which git');
  t.equal(which.status, 0, 'git is installed (scripts/setup.sh must install it)');
  if (which.status !== 0) return;
  const repo = join(work, 'repo');
  mkdirSync(join(repo, 'src/nested'), { recursive: true });
  writeFileSync(join(repo, 'README.md'), '# on dfuse\n');
  writeFileSync(join(repo, 'src/main.ts'), 'export const answer = 42;\n');
  writeFileSync(join(repo, 'src/nested/data.bin'), Buffer.alloc(300_000, 7));
  shOk(`${GIT} init -q . && ${GIT} add -A && ${GIT} commit -q -m 'first commit'`, { cwd: repo });
  writeFileSync(join(repo, 'src/main.ts'), 'export const answer = 43;\n');
  shOk(`${GIT} commit -q -a -m 'second commit'`, { cwd: repo });
  const fsck = sh(`${GIT} fsck --full --strict`, { cwd: repo });
  t.equal(fsck.status, 0, `git fsck exits 0: ${fsck.stderr}`);
  t.notMatch(fsck.stdout + fsck.stderr, /error|missing|broken|corrupt/i, 'git fsck reports no problem');
  t.same(shOk(`${GIT} log --format=%s`, { cwd: repo }).trim().split('\n'), ['second commit', 'first commit'], 'git log shows both commits');
  t.equal(shOk(`${GIT} status --porcelain`, { cwd: repo }), '', 'working tree clean (index stat data matches the mount)');
  t.same(shOk(`${GIT} ls-files`, { cwd: repo }).trim().split('\n'), ['README.md', 'src/main.ts', 'src/nested/data.bin']);
  t.equal(shOk(`${GIT} show HEAD~1:src/main.ts`, { cwd: repo }), 'export const answer = 42;\n', 'an old blob reads back');
  t.match(shOk(`${GIT} diff --stat HEAD~1 HEAD`, { cwd: repo }), /src\/main\.ts \| 2 \+-/);
});

const INSERTS = 1000;
const TRANSACTIONS = 10;

for (const mode of ['delete', 'wal'] as const) {
  t.test(`better-sqlite3, journal_mode ${mode}: 1,000 inserts in transactions, reopened -> count and integrity ok`, async (t) => {
    const path = join(work, `${mode}.db`);
    const db = new Database(path);
    try {
      t.equal(db.pragma(`journal_mode = ${mode}`, { simple: true }), mode, `journal_mode ${mode} accepted`);
      db.exec('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload BLOB)');
      const insert = db.prepare('INSERT INTO item (name, payload) VALUES (?, ?)');
      const batch = db.transaction((first: number) => {
        for (let index = first; index < first + INSERTS / TRANSACTIONS; index += 1) insert.run(`item-${index}`, Buffer.alloc(200, index & 0xff));
      });
      for (let transaction = 0; transaction < TRANSACTIONS; transaction += 1) batch(transaction * (INSERTS / TRANSACTIONS));
      if (mode === 'wal') t.ok(existsSync(`${path}-wal`), 'the -wal file exists while the database is open');
    } finally {
      db.close();
    }
    if (mode === 'delete') t.notOk(existsSync(`${path}-journal`), 'no rollback journal left after close');
    const reopened = new Database(path, { readonly: true, fileMustExist: true });
    try {
      t.equal(reopened.pragma('journal_mode', { simple: true }), mode, 'journal mode persisted');
      t.same(reopened.prepare('SELECT count(*) AS rows, count(DISTINCT name) AS names FROM item').get(), { rows: INSERTS, names: INSERTS });
      t.equal(reopened.pragma('integrity_check', { simple: true }), 'ok', 'integrity_check');
      t.same(reopened.prepare('SELECT name, length(payload) AS bytes FROM item WHERE id = 777').get(), { name: 'item-776', bytes: 200 });
    } finally {
      reopened.close();
    }
  });
}

const LINES_PER_WRITER = 2000;
/** Writer A appends with fs.appendFileSync (open, write, close each line); B through one O_APPEND fd. */
const APPENDER = `
const fs = require('node:fs');
const [path, tag, mode, count] = process.argv.slice(1);
const line = (index) => tag + '-' + String(index).padStart(5, '0') + '-' + tag.repeat(40) + '\\n';
if (mode === 'appendFileSync') {
  for (let index = 0; index < Number(count); index += 1) fs.appendFileSync(path, line(index));
} else {
  const fd = fs.openSync(path, 'a');
  for (let index = 0; index < Number(count); index += 1) fs.writeSync(fd, line(index));
  fs.closeSync(fd);
}
`;

t.test('append-heavy log: two processes appending 2,000 lines each -> 4,000 whole lines, each once', async (t) => {
  const path = join(work, 'shared.log');
  const writers = [['A', 'appendFileSync'], ['B', 'fd']].map(([tag, mode]) => new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['-e', APPENDER, path, tag!, mode!, String(LINES_PER_WRITER)], { stdio: 'inherit' });
    child.once('exit', resolve);
  }));
  t.same(await Promise.all(writers), [0, 0], 'both writers exit 0');
  const text = readFileSync(path, 'utf8');
  t.ok(text.endsWith('\n'), 'ends with a whole line');
  const lines = text.slice(0, -1).split('\n');
  t.equal(lines.length, 2 * LINES_PER_WRITER, 'exactly 4,000 lines');
  const malformed = lines.filter((line) => !/^([AB])-\d{5}-\1{40}$/.test(line));
  t.same(malformed.slice(0, 5), [], 'every line whole (no interleaving or overwrite)');
  const expected = new Set(['A', 'B'].flatMap((tag) => Array.from({ length: LINES_PER_WRITER }, (_, index) => `${tag}-${String(index).padStart(5, '0')}-${tag.repeat(40)}`)));
  t.equal(new Set(lines).size, lines.length, 'no line twice');
  t.same(lines.filter((line) => !expected.has(line)), [], 'no unexpected line');
  t.equal(statSync(path).size, text.length, 'stat size equals the bytes read');
  for (const tag of ['A', 'B']) {
    const own = lines.filter((line) => line.startsWith(`${tag}-`)).map((line) => Number(line.slice(2, 7)));
    t.same(own, Array.from({ length: LINES_PER_WRITER }, (_, index) => index), `writer ${tag}: its lines in its order`);
  }
});

interface FioJob {
  readonly error: number;
  readonly read: { readonly iops: number; readonly io_bytes: number };
  readonly write: { readonly iops: number; readonly io_bytes: number };
}

t.test('fio smoke: 4 KiB random read/write with psync -> exit 0 and non-zero IOPS', async (t) => {
  const which = sh('which fio');
  t.equal(which.status, 0, 'fio is installed (scripts/setup.sh installs it)');
  if (which.status !== 0) return;
  const dir = join(work, 'fio');
  mkdirSync(dir);
  const run = sh(`fio --name=smoke --directory=${q(dir)} --size=8m --bs=4k --rw=randrw --ioengine=psync --runtime=8 --output-format=json`);
  t.equal(run.status, 0, `fio exits 0: ${run.stderr}`);
  const job = (JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { jobs: FioJob[] }).jobs[0]!;
  t.equal(job.error, 0, 'no job error');
  t.ok(job.read.iops > 0 && job.read.io_bytes > 0, `read IOPS ${job.read.iops}`);
  t.ok(job.write.iops > 0 && job.write.io_bytes > 0, `write IOPS ${job.write.iops}`);
  t.same(readdirSync(dir), ['smoke.0.0'], 'the job file');
  t.equal(statSync(join(dir, 'smoke.0.0')).size, 8 << 20, 'laid out at 8 MiB');
});

testDownLeavesNothing(t, cluster);
