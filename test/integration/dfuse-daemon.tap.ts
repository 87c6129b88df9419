/**
 * The dfuse daemon's life cycle and mount-level behaviour on a real local cluster: SIGTERM unmounts a
 * foreground daemon cleanly, an unmount from outside stops it, a busy mount point is refused, --read-only refuses writes, `.snapshot`
 * serves old content, two mounts of one container see each other's changes within the cache times, a
 * large directory walked after its listing ran out is listed again whole instead of looked up name by name,
 * a file read at random in 4 KiB pages is fetched a window at a time,
 * names changed here while another thread walks their directory (refreshes running) are seen so at once,
 * statfs reports the pool size, the container's dfuse-* attributes set a new mount's policy, the loss of
 * every engine fails changes (EHOSTUNREACH) until `tsdaos up` brings them back, and a SIGKILLed daemon
 * leaves a dead mount (ENOTCONN) that dfuse refuses and `tsdaos down` clears. One cluster (pool of 12
 * targets × 256 MiB) for the whole suite; the two SIGKILL cases run last.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { isMountPoint, mountPointsUnder, startDfuseCluster } from '../harness/dfuse-mount.js';
import { codeOf, python, quote as q, sh, shOk } from '../harness/shell.js';

const TARGET_CAPACITY_BYTES = 256 << 20;
const TARGETS = 3 * 4;
/** Longer than the default attribute, entry and negative-entry times (1 s). */
const DEFAULT_CACHE_WAIT_MS = 1500;

const cluster = await startDfuseCluster(t, { prefix: 'daemon', upArgs: ['--capacity', '256M'] });
mkdirSync(cluster.at('d'));

t.test('foreground dfuse: SIGTERM -> unmounts cleanly and exits 0', async (t) => {
  const target = cluster.newMountPoint('fg');
  const daemon = await cluster.startForeground(target);
  t.equal(daemon.mounted.mountPoint, target, 'mounted message names the mount point');
  t.ok(isMountPoint(target), 'listed in /proc/self/mountinfo');
  writeFileSync(cluster.at('d/seen-by-fg'), 'hello');
  t.equal(readFileSync(join(target, 'd/seen-by-fg'), 'utf8'), 'hello', 'serves the container');
  const exit = await daemon.stop('SIGTERM');
  t.same(exit, { code: 0, signal: null }, 'exit 0');
  t.notOk(isMountPoint(target), 'mount gone');
  t.same(readdirSync(target), [], 'the mount point is an empty directory again');
});

t.test('foreground dfuse: mount removed from outside (fusermount -u) -> the daemon notices and exits 0', async (t) => {
  const target = cluster.newMountPoint('outside');
  const daemon = await cluster.startForeground(target);
  t.ok(isMountPoint(target), 'mounted');
  shOk(`fusermount -u ${target}`);
  const exit = await Promise.race([daemon.exited, sleep(10_000).then(() => 'still running' as const)]);
  t.same(exit, { code: 0, signal: null }, 'exit 0 within 10 s');
  t.notOk(isMountPoint(target), 'mount gone');
});

t.test('second daemon on a busy mount point -> exit 1 and one line saying busy', async (t) => {
  const second = cluster.run('tsdaos', ['dfuse', '--mount', cluster.mountPoint]);
  t.equal(second.status, 1, 'exit 1');
  t.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr.trim()}`);
  t.match(second.stderr, /busy/);
  writeFileSync(cluster.at('d/still-served'), 'yes');
  t.equal(readFileSync(cluster.at('d/still-served'), 'utf8'), 'yes', 'the first mount keeps working');
});

t.test('--read-only mount: reads work, every change -> EROFS', async (t) => {
  writeFileSync(cluster.at('d/ro-file'), 'read me');
  const target = cluster.newMountPoint('ro');
  const daemon = await cluster.startForeground(target, ['--read-only']);
  t.teardown(() => daemon.stop());
  t.equal(readFileSync(join(target, 'd/ro-file'), 'utf8'), 'read me', 'reads');
  t.same({
    create: codeOf(() => writeFileSync(join(target, 'd/new'), 'x')),
    overwrite: codeOf(() => writeFileSync(join(target, 'd/ro-file'), 'x')),
    append: codeOf(() => appendFileSync(join(target, 'd/ro-file'), 'x')),
    mkdir: codeOf(() => mkdirSync(join(target, 'd/new-dir'))),
    unlink: codeOf(() => unlinkSync(join(target, 'd/ro-file'))),
    rmdir: codeOf(() => rmSync(join(target, 'd'), { recursive: true })),
  }, { create: 'EROFS', overwrite: 'EROFS', append: 'EROFS', mkdir: 'EROFS', unlink: 'EROFS', rmdir: 'EROFS' });
  t.equal(readFileSync(cluster.at('d/ro-file'), 'utf8'), 'read me', 'unchanged through the writable mount');
  t.match(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((line) => line.split(' ')[4] === target) ?? '', / ro,/, 'mounted ro');
});

t.test('.snapshot: lists the snapshots; each shows its content while the live file has new content', async (t) => {
  const live = cluster.at('d/versioned');
  writeFileSync(live, 'version one');
  writeFileSync(cluster.at('d/deleted-later'), 'gone soon');
  cluster.json('daos', ['cont', 'create-snap', '--snap', 'first']);
  writeFileSync(live, 'version two, longer');
  unlinkSync(cluster.at('d/deleted-later'));
  writeFileSync(cluster.at('d/created-later'), 'new');
  cluster.json('daos', ['cont', 'create-snap', '--snap', 'second']);
  writeFileSync(live, 'v3');
  t.same(readdirSync(cluster.at('.snapshot')), ['first', 'second'], '.snapshot lists both, oldest first');
  t.ok(readdirSync(cluster.mountPoint).includes('.snapshot'), 'the root lists .snapshot');
  t.equal(readFileSync(cluster.at('.snapshot/first/d/versioned'), 'utf8'), 'version one');
  t.equal(readFileSync(cluster.at('.snapshot/second/d/versioned'), 'utf8'), 'version two, longer');
  t.equal(readFileSync(live, 'utf8'), 'v3', 'live has the newest content');
  t.equal(readFileSync(cluster.at('.snapshot/first/d/deleted-later'), 'utf8'), 'gone soon', 'a file deleted since is still in the snapshot');
  t.equal(codeOf(() => statSync(cluster.at('.snapshot/first/d/created-later'))), 'ENOENT', 'a file created since is not');
  t.not(statSync(cluster.at('.snapshot/first/d/versioned')).ino, statSync(live).ino, 'the snapshot file has its own inode number');
  t.equal(codeOf(() => statSync(cluster.at('.snapshot/no-such-snapshot'))), 'ENOENT', 'an unknown snapshot name');
  t.equal(codeOf(() => writeFileSync(cluster.at('.snapshot/first/d/versioned'), 'x')), 'EROFS', 'snapshots are read-only');
});

t.test('two mounts of one container: zero cache times see changes at once, the default within ~1 s', async (t) => {
  const target = cluster.newMountPoint('nocache');
  const eager = await cluster.startForeground(target, ['--attr-time', '0', '--dentry-time', '0', '--ndentry-time', '0']);
  t.teardown(() => eager.stop());
  t.match(eager.mounted.policy, { attrSeconds: 0, dentrySeconds: 0, negativeSeconds: 0 }, 'the policy asked for');
  const other = (name: string): string => join(target, 'd', name);
  t.equal(codeOf(() => statSync(other('made-on-main'))), 'ENOENT', 'not there yet (a negative lookup)');
  writeFileSync(cluster.at('d/made-on-main'), 'first');
  t.equal(readFileSync(other('made-on-main'), 'utf8'), 'first', 'a create is seen at once');
  appendFileSync(cluster.at('d/made-on-main'), ' and more');
  t.equal(statSync(other('made-on-main')).size, 'first and more'.length, 'a new size is seen at once');
  t.equal(readFileSync(other('made-on-main'), 'utf8'), 'first and more', 'new content is seen at once');
  unlinkSync(cluster.at('d/made-on-main'));
  t.equal(codeOf(() => statSync(other('made-on-main'))), 'ENOENT', 'a removal is seen at once');

  t.equal(codeOf(() => statSync(cluster.at('d/made-on-other'))), 'ENOENT', 'default mount: not there yet (a negative lookup)');
  writeFileSync(cluster.at('d/grows'), 'short');
  t.equal(readFileSync(cluster.at('d/grows'), 'utf8'), 'short', 'default mount has read the file (attributes and pages cached)');
  writeFileSync(other('made-on-other'), 'from the other mount');
  appendFileSync(other('grows'), ', now longer');
  await sleep(DEFAULT_CACHE_WAIT_MS);
  t.equal(readFileSync(cluster.at('d/made-on-other'), 'utf8'), 'from the other mount', 'default mount: the create, after the negative time');
  t.equal(statSync(cluster.at('d/grows')).size, 'short, now longer'.length, 'default mount: the new size, after the attribute time');
  t.equal(readFileSync(cluster.at('d/grows'), 'utf8'), 'short, now longer', 'default mount: the new content');

  // A reader that keeps the file open (tail -f) while the other mount appends: at its end of file now, it
  // reads the appended bytes once the attribute time has run out (reads end at the size of a valid stat only).
  const tail = openSync(cluster.at('d/grows'), 'r');
  t.teardown(() => closeSync(tail));
  const buffer = Buffer.alloc(4096);
  t.equal(readSync(tail, buffer, 0, buffer.length, 0), 'short, now longer'.length, 'the reader reads to the end');
  appendFileSync(other('grows'), ', and longer still');
  await sleep(DEFAULT_CACHE_WAIT_MS);
  const read = readSync(tail, buffer, 0, buffer.length, 'short, now longer'.length);
  t.equal(buffer.subarray(0, read).toString(), ', and longer still', 'the open reader sees the append, after the attribute time');
});

t.test('a directory made through a mount: its own names are seen at once, other mounts\' within the negative-entry time', async (t) => {
  const target = cluster.newMountPoint('known');
  const eager = await cluster.startForeground(target, ['--attr-time', '0', '--dentry-time', '0', '--ndentry-time', '0']);
  t.teardown(() => eager.stop());
  const made = Date.now();
  mkdirSync(cluster.at('fresh'));
  writeFileSync(join(target, 'fresh', 'by-other'), 'other');
  writeFileSync(cluster.at('fresh/mine'), 'mine');
  mkdirSync(cluster.at('fresh/sub'));
  writeFileSync(cluster.at('fresh/sub/deeper'), 'deeper');
  t.equal(readFileSync(cluster.at('fresh/mine'), 'utf8'), 'mine', 'a file made here');
  t.equal(readFileSync(cluster.at('fresh/sub/deeper'), 'utf8'), 'deeper', 'in a directory made here, made here');
  shOk(`mv ${cluster.at('fresh/mine')} ${cluster.at('fresh/renamed')} && mv ${cluster.at('fresh/sub')} ${cluster.at('fresh/moved')}`);
  t.equal(readFileSync(cluster.at('fresh/renamed'), 'utf8'), 'mine', 'renamed here: the new name');
  t.equal(codeOf(() => statSync(cluster.at('fresh/mine'))), 'ENOENT', 'renamed here: the old name');
  t.equal(readFileSync(cluster.at('fresh/moved/deeper'), 'utf8'), 'deeper', 'a directory renamed here: what is below it');
  mkdirSync(cluster.at('fresh/sub'));
  t.equal(codeOf(() => statSync(cluster.at('fresh/sub/deeper'))), 'ENOENT', 'made again at the old name: empty');
  // The other mount's file is not asked for while the name is known missing (the mkdir's negative time).
  const seen = codeOf(() => statSync(cluster.at('fresh/by-other')));
  if (Date.now() - made < 800) t.equal(seen, 'ENOENT', 'made elsewhere: not seen within the negative time');
  mkdirSync(cluster.at('fresh2'));
  writeFileSync(join(target, 'fresh2', 'listed'), 'listed');
  t.ok(readdirSync(cluster.at('fresh2')).includes('listed'), 'made elsewhere: a listing shows it');
  t.equal(readFileSync(cluster.at('fresh2/listed'), 'utf8'), 'listed', 'made elsewhere and listed: a lookup finds it at once');
  await sleep(DEFAULT_CACHE_WAIT_MS + 1000);
  t.equal(readFileSync(cluster.at('fresh/by-other'), 'utf8'), 'other', 'made elsewhere: seen after the negative time (and the kernel\'s)');
  t.same(readdirSync(cluster.at('fresh')).sort(), ['by-other', 'moved', 'renamed', 'sub'], 'the listing');
});

t.test('a listing is answered again while nothing changes through its mount, within the entry and attribute times', async (t) => {
  const target = cluster.newMountPoint('relist');
  const patient = await cluster.startForeground(target, ['--attr-time', '30', '--dentry-time', '30', '--dentry-dir-time', '30', '--ndentry-time', '30']);
  t.teardown(() => patient.stop());
  const here = (name: string): string => join(target, 'again', name);
  mkdirSync(cluster.at('again'));
  writeFileSync(cluster.at('again/first'), 'first');
  t.same(readdirSync(join(target, 'again')), ['first'], 'listed');
  writeFileSync(cluster.at('again/elsewhere'), 'from the other mount');
  t.same(readdirSync(join(target, 'again')), ['first'], 'listed again: the same listing (a change made elsewhere shows after the times)');
  writeFileSync(here('mine'), 'mine');
  t.same(readdirSync(join(target, 'again')).sort(), ['elsewhere', 'first', 'mine'], 'after a change here: listed anew, with the other mount\'s file');
  appendFileSync(here('mine'), ' and more');
  const sizes = (): Record<string, number> => Object.fromEntries(readdirSync(join(target, 'again')).map((name) => [name, statSync(here(name)).size]));
  t.same(sizes(), { elsewhere: 20, first: 5, mine: 13 }, 'a write here: listed anew, its size');
  unlinkSync(here('first'));
  t.same(readdirSync(join(target, 'again')).sort(), ['elsewhere', 'mine'], 'a removal here: listed anew');
});

/** getxattr through the kernel: the value, or the errno's name. */
function xattrOf(path: string, name: string): string {
  return python<string>(
    'import errno, json, os, sys\ntry: print(json.dumps(os.getxattr(sys.argv[1], sys.argv[2]).decode()))\nexcept OSError as e: print(json.dumps(errno.errorcode[e.errno]))',
    [path, name],
  );
}

function setXattr(path: string, name: string, value: string): void {
  python<null>('import os, sys\nos.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())\nprint("null")', [path, name, value]);
}

t.test('a listing (ls -l) answers xattr probes of its entries; changes here are seen at once, elsewhere after the attribute time', async (t) => {
  const target = cluster.newMountPoint('xattrs');
  const eager = await cluster.startForeground(target, ['--attr-time', '0', '--dentry-time', '0', '--ndentry-time', '0']);
  t.teardown(() => eager.stop());
  const other = (name: string): string => join(target, 'xa', name);
  mkdirSync(join(target, 'xa'));
  for (const name of ['plain', 'tagged', 'later']) writeFileSync(other(name), name);
  setXattr(other('tagged'), 'security.tsdaos', 'one');
  const listing = shOk(`ls -l ${cluster.at('xa')}`);
  t.match(listing, /tagged/, 'ls -l lists the entries');
  t.equal(xattrOf(cluster.at('xa/tagged'), 'security.tsdaos'), 'one', 'a listed entry with the attribute: its value');
  t.equal(xattrOf(cluster.at('xa/plain'), 'security.tsdaos'), 'ENODATA', 'a listed entry without it: none');
  setXattr(cluster.at('xa/plain'), 'security.tsdaos', 'two');
  t.equal(xattrOf(cluster.at('xa/plain'), 'security.tsdaos'), 'two', 'set through this mount: seen at once');
  setXattr(other('later'), 'security.tsdaos', 'three');
  await sleep(DEFAULT_CACHE_WAIT_MS);
  t.equal(xattrOf(cluster.at('xa/later'), 'security.tsdaos'), 'three', 'set elsewhere after the listing: seen after the attribute time');
});

interface PoolQuery {
  readonly targets: ReadonlyArray<{ readonly capacityBytes: number; readonly usedBytes: number }>;
}

/** One engine series summed over the cluster's engines. */
async function engineSum(series: string): Promise<number> {
  const texts = await Promise.all(cluster.engineAddresses.map(async (address) => (await fetch(`http://${address}/metrics`)).text()));
  return texts.reduce((sum, text) => sum + (sample(text, series) ?? 0), 0);
}

/** Engine RPCs of one opcode served so far, summed over the cluster's engines. */
function engineRpcs(opcode: string): Promise<number> {
  return engineSum(`tsdaos_rpc_requests_total{opcode="${opcode}"}`);
}

t.test('a large directory walked after its listing ran out: listed again whole, not looked up name by name; a name removed elsewhere is gone', async (t) => {
  const FILES = 300;
  const dir = cluster.at('walk');
  mkdirSync(dir);
  for (let index = 0; index < FILES; index += 1) writeFileSync(join(dir, `f${index}`), Buffer.alloc(index, 1));
  const target = cluster.newMountPoint('walk-other');
  const other = await cluster.startForeground(target, ['--attr-time', '0', '--dentry-time', '0', '--ndentry-time', '0']);
  t.teardown(() => other.stop());
  const names = readdirSync(dir);
  t.equal(names.length, FILES, 'the listing');
  unlinkSync(join(target, 'walk', 'f7'));
  await sleep(DEFAULT_CACHE_WAIT_MS);
  const fetchesBefore = await engineRpcs('obj_fetch');
  const sizes = names.map((name): number | string => {
    try {
      return statSync(join(dir, name)).size;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? String(error);
    }
  });
  const fetches = (await engineRpcs('obj_fetch')) - fetchesBefore;
  t.equal(sizes[names.indexOf('f7')], 'ENOENT', 'removed elsewhere: gone');
  t.same(names.filter((name) => name !== 'f7').map((name) => sizes[names.indexOf(name)]), names.filter((name) => name !== 'f7').map((name) => Number(name.slice(1))), 'every other size, as written');
  t.ok(fetches < FILES / 2, `${fetches} entry reads for ${FILES} lookups (one each without the refresh)`);
});

/** Walks a directory by name in a thread while the main thread changes names in it; each change must be seen at once. */
const WALK_WHILE_CHANGING = `
import errno, json, os, sys, threading, time
d, count = sys.argv[1], int(sys.argv[2])
stop = False
def walk():
    while not stop:
        for i in range(count):
            for name in ('f%d' % i, 'g%d' % i, 'h%d' % i):
                try: os.stat(os.path.join(d, name))
                except FileNotFoundError: pass
walker = threading.Thread(target=walk)
walker.start()
wrong = []
def exists(name):
    try:
        os.stat(os.path.join(d, name))
        return True
    except FileNotFoundError:
        return False
started = time.time()
for i in range(count // 3):
    os.unlink(os.path.join(d, 'f%d' % i))
    if exists('f%d' % i): wrong.append('f%d removed, still seen' % i)
    k = count // 3 + i
    os.rename(os.path.join(d, 'f%d' % k), os.path.join(d, 'g%d' % k))
    if exists('f%d' % k) or not exists('g%d' % k): wrong.append('f%d renamed to g%d, not seen so' % (k, k))
    open(os.path.join(d, 'h%d' % i), 'w').close()
    if not exists('h%d' % i): wrong.append('h%d made, not seen' % i)
    time.sleep(0.015)
stop = True
walker.join()
print(json.dumps({ 'wrong': wrong, 'seconds': time.time() - started }))
`;

t.test('names changed here while another thread walks the directory (refreshes running): every change is seen at once', async (t) => {
  const FILES = 150;
  const dir = cluster.at('churn');
  mkdirSync(dir);
  for (let index = 0; index < FILES; index += 1) writeFileSync(join(dir, `f${index}`), 'x');
  const listsBefore = await engineRpcs('obj_list_dkeys');
  const outcome = python<{ wrong: string[]; seconds: number }>(WALK_WHILE_CHANGING, [dir, String(FILES)]);
  const lists = (await engineRpcs('obj_list_dkeys')) - listsBefore;
  t.same(outcome.wrong, [], `${FILES / 3} removals, renames and creates in ${outcome.seconds.toFixed(1)} s, each checked right after it`);
  t.ok(outcome.seconds > 1.2, 'longer than the entry time, so the walked entries ran out and were refreshed');
  t.ok(lists >= 2, `the walked directory was listed ${lists} times (refreshes)`);
  const names = readdirSync(dir).sort();
  t.equal(names.length, FILES - FILES / 3 + FILES / 3, 'removed, renamed and made names add up');
});

/** Reads a file's 4 KiB pages in a shuffled order with O_DIRECT (each a READ to the daemon), then writes one page through another descriptor and reads it again. */
const RANDOM_PAGES = `
import hashlib, json, mmap, os, random, sys
path, size = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
page = mmap.mmap(-1, 4096)
pages = {}
order = list(range(size // 4096))
random.Random(7).shuffle(order)
for index in order:
    os.preadv(fd, [page], index * 4096)
    pages[index] = bytes(page)
digest = hashlib.sha256(b''.join(pages[index] for index in range(len(order)))).hexdigest()
writer = os.open(path, os.O_WRONLY)
os.pwrite(writer, b'Z' * 4096, 4096 * 300)
os.close(writer)
os.preadv(fd, [page], 4096 * 300)
os.close(fd)
print(json.dumps({'digest': digest, 'after': bytes(page).count(b'Z')}))
`;

t.test('random 4 KiB reads of a file: a 1 MiB window read at random often enough is fetched whole; bytes exact, a write here seen at once', async (t) => {
  const BYTES = 4 << 20;
  const data = Buffer.alloc(BYTES);
  for (let index = 0; index < BYTES; index += 4) data.writeUInt32LE((index * 2654435761) >>> 0, index);
  const path = cluster.at('random.dat');
  writeFileSync(path, data);
  const fetchesBefore = await engineRpcs('obj_fetch');
  const outcome = python<{ digest: string; after: number }>(RANDOM_PAGES, [path, String(BYTES)]);
  const fetches = (await engineRpcs('obj_fetch')) - fetchesBefore;
  t.equal(outcome.digest, createHash('sha256').update(data).digest('hex'), 'every page as written');
  t.ok(fetches < 64, `${fetches} fetches for ${BYTES / 4096} reads of ${BYTES >> 20} windows (one a read without windows)`);
  t.equal(outcome.after, 4096, 'a page written through another descriptor of this mount: read back at once');
});

t.test('sequential reads: the bytes are read in place from the engines\' files on this host and spliced to the kernel; exact', async (t) => {
  const BYTES = 12 << 20;
  const data = randomBytes(BYTES);
  const path = cluster.at('local-read.dat');
  writeFileSync(path, data);
  const placedBefore = await engineSum('tsdaos_placed_bytes_total');
  // O_DIRECT: past the page cache the write filled, so every byte comes from the daemon.
  const digest = shOk(`dd if=${path} bs=1M iflag=direct status=none | sha256sum`).split(' ')[0];
  t.equal(digest, createHash('sha256').update(data).digest('hex'), 'the file as written');
  const placed = (await engineSum('tsdaos_placed_bytes_total')) - placedBefore;
  t.ok(placed >= BYTES - (2 << 20), `${placed} of ${BYTES} bytes answered by place (the first windows may be fetched before the engines' UNIX sockets are known)`);
});

t.test('statfs: df reports the pool size', async (t) => {
  const pool = cluster.json<PoolQuery>('dmg', ['pool', 'query']);
  const capacity = pool.targets.reduce((sum, target) => sum + target.capacityBytes, 0);
  t.equal(capacity, TARGETS * TARGET_CAPACITY_BYTES, 'the pool: 12 targets of 256 MiB');
  const space = statfsSync(cluster.mountPoint);
  t.equal(space.blocks * space.bsize, capacity, 'statfs: blocks × block size = pool capacity');
  const used = pool.targets.reduce((sum, target) => sum + target.usedBytes, 0);
  t.ok(Math.abs(space.bavail * space.bsize - (capacity - used)) < 64 << 20, `available ≈ capacity - used (${space.bavail * space.bsize} vs ${capacity - used})`);
  t.equal(shOk(`df -B1 --output=size ${cluster.mountPoint}`).trim().split('\n')[1]!.trim(), String(capacity), 'df -B1: the same size');
});

t.test('readahead: the mount reads ahead 512 KiB, the largest READ the daemon takes (sysfs of its device)', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { dev } = statSync(cluster.mountPoint);
  const device = `${(dev >>> 8) & 0xfff}:${(dev & 0xff) | ((dev >>> 12) & 0xfff00)}`;
  t.equal(readFileSync(`/sys/class/bdi/${device}/read_ahead_kb`, 'utf8').trim(), '512', `read_ahead_kb of ${device}`);
});

/** One value of a Prometheus text exposition (the first line naming `series`, labels and all), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('metrics: dfuse and the engines serve Prometheus text over plain HTTP/1.1', async (t) => {
  const mountPoint = cluster.newMountPoint('m-metrics');
  const daemon = await cluster.startForeground(mountPoint);
  t.teardown(() => daemon.stop());
  const address = daemon.mounted.metrics;
  t.match(address, /^127\.0\.0\.1:\d+$/, 'the mounted message names the metrics address');
  const BYTES = 300 * 1024;
  writeFileSync(join(mountPoint, 'metrics.dat'), Buffer.alloc(BYTES, 7));
  // O_DIRECT: the reads reach the daemon instead of the page cache the write filled.
  shOk(`dd if=${join(mountPoint, 'metrics.dat')} of=/dev/null bs=64k iflag=direct status=none`);
  t.equal(codeOf(() => statSync(join(mountPoint, 'no-such-name'))), 'ENOENT', 'a missing name');
  const answer = await fetch(`http://${address}/metrics`);
  t.equal(answer.status, 200);
  t.equal(answer.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await answer.text();
  t.equal(sample(text, 'tsdaos_dfuse_requests_total{op="create"}'), 1, 'one CREATE');
  // The writer's close flushes; dd's read-only open was answered with FOPEN_NOFLUSH, so its close sends none.
  t.equal(sample(text, 'tsdaos_dfuse_requests_total{op="flush"}'), 1, 'one FLUSH: the writer\'s close only');
  t.equal(sample(text, 'tsdaos_dfuse_requests_total{op="release"}'), 2, 'both opens released');
  t.ok((sample(text, 'tsdaos_dfuse_requests_total{op="write"}') ?? 0) >= 1, 'WRITEs counted');
  t.equal(sample(text, 'tsdaos_dfuse_write_bytes_sum'), BYTES, 'bytes written');
  t.equal(sample(text, 'tsdaos_dfuse_read_bytes_sum'), BYTES, 'bytes read');
  const reads = sample(text, 'tsdaos_dfuse_read_bytes_count') ?? 0;
  t.ok(reads >= 5, `dd's 64 KiB reads reached the daemon (${reads})`);
  t.equal(sample(text, 'tsdaos_dfuse_read_bytes_bucket{le="65536"}'), reads, 'each in the size buckets up to 64 KiB');
  t.ok((sample(text, 'tsdaos_dfuse_errors_total{op="lookup",errno="ENOENT"}') ?? 0) >= 1, 'the missing name: a lookup answered ENOENT');
  t.ok((sample(text, 'tsdaos_dfuse_nodes') ?? 0) >= 1, 'nodes gauge');
  t.equal(sample(text, 'tsdaos_dfuse_open_files'), 0, 'no file left open');
  t.equal((await fetch(`http://${cluster.dfuseMetrics}/healthz`)).status, 200, 'the tsdaos up mount records its endpoint');
  const engine = await fetch(`http://${cluster.engineAddresses[0]}/metrics`);
  t.equal(engine.status, 200, 'an engine answers a plain HTTP/1.1 scrape');
  t.match(await engine.text(), /tsdaos_rpc_requests_total\{opcode="obj_update"\} \d+/);
  await daemon.stop();
  await t.rejects(fetch(`http://${address}/metrics`), 'the endpoint goes with the daemon');
});

t.test('container dfuse-* attributes: a new mount takes its policy from them; flags override', async (t) => {
  cluster.json('daos', ['cont', 'set-attr', '--attrs', 'dfuse-attr-time:7s,dfuse-dentry-time:2m']);
  const target = cluster.newMountPoint('attrs');
  const fromAttrs = await cluster.startForeground(target);
  t.same(fromAttrs.mounted.policy, { attrSeconds: 7, dentrySeconds: 120, dentryDirSeconds: 120, negativeSeconds: 0, dataCache: 'off' },
    'attr 7 s, dentry 2 m (dir falls back to it), the unset ones off');
  t.same(await fromAttrs.stop(), { code: 0, signal: null });
  const overridden = await cluster.startForeground(target, ['--attr-time', '3']);
  t.equal(overridden.mounted.policy.attrSeconds, 3, '--attr-time beats the attribute');
  t.equal(overridden.mounted.policy.dentrySeconds, 120, 'the other attributes still apply');
  t.same(await overridden.stop(), { code: 0, signal: null });
  const uncached = await cluster.startForeground(target, ['--disable-caching']);
  t.same(uncached.mounted.policy, { attrSeconds: 0, dentrySeconds: 0, dentryDirSeconds: 0, negativeSeconds: 0, dataCache: 'off' }, '--disable-caching');
  t.same(await uncached.stop(), { code: 0, signal: null });
  t.notOk(isMountPoint(target), 'all unmounted');
});

t.test('every engine SIGKILLed: a change on the mount fails with EHOSTUNREACH instead of hanging; tsdaos up brings the engines back and the mount serves again', async (t) => {
  writeFileSync(cluster.at('d/before-outage'), 'kept');
  const { engines } = cluster.json<{ engines: Array<{ rank: number; pid: number | null; running: boolean }> }>('tsdaos', ['status']);
  t.same(engines.map((engine) => engine.running), [true, true, true], 'three engines running');
  for (const engine of engines) process.kill(engine.pid!, 'SIGKILL');
  for (const engine of engines) await waitUntilGone(engine.pid!);
  // With no pool service left to report to, the client stops retrying after one service discovery
  // (~15 s) instead of eight (two minutes): well within the shell's 90 s.
  const failed = sh(`mkdir ${q(cluster.at('d/during-outage'))}`, { timeoutMs: 90_000 });
  t.equal(failed.status, 1, `mkdir exits 1: ${failed.stderr.trim()}`);
  t.match(failed.stderr, /No route to host/, 'EHOSTUNREACH');
  const up = cluster.run('tsdaos', ['up', '--detach', '--no-mount']);
  t.equal(up.status, 0, `tsdaos up restarts the engines: ${up.stderr.trim()}`);
  t.equal(readFileSync(cluster.at('d/before-outage'), 'utf8'), 'kept', 'the mount reads what was written before');
  mkdirSync(cluster.at('d/after-outage'));
  t.ok(statSync(cluster.at('d/after-outage')).isDirectory(), 'and takes changes again');
});

t.test('SIGKILLed daemon: dead mount (ENOTCONN), dfuse on it names fusermount, tsdaos down clears it', async (t) => {
  const target = cluster.newMountPoint('killed');
  const detached = cluster.json<{ pid: number; mountPoint: string }>('tsdaos', ['dfuse', '--mount', target, '--detach']);
  t.equal(detached.mountPoint, target);
  writeFileSync(join(target, 'd/before-kill'), 'x');
  process.kill(detached.pid, 'SIGKILL');
  await waitUntilGone(detached.pid);
  t.ok(isMountPoint(target), 'the mount stays behind');
  t.equal(codeOf(() => statSync(target)), 'ENOTCONN', 'stat of the dead mount -> ENOTCONN');
  const foreground = cluster.run('tsdaos', ['dfuse', '--mount', target]);
  t.equal(foreground.status, 1, 'dfuse on the dead mount: exit 1');
  t.equal(foreground.stderr.trim().split('\n').length, 1, `one line: ${foreground.stderr.trim()}`);
  t.match(foreground.stderr, /fusermount/, 'names fusermount');
  const background = cluster.run('tsdaos', ['dfuse', '--mount', target, '--detach']);
  t.equal(background.status, 1, 'dfuse --detach on the dead mount: exit 1');
  t.match(background.stderr, /fusermount/, `--detach names fusermount too: ${background.stderr.trim()}`);
  const down = cluster.json<{ unmounted: Array<{ mountPoint: string; how: string }>; stopped: Array<{ how: string }> }>('tsdaos', ['down']);
  t.same(down.unmounted.map((entry) => [entry.mountPoint, entry.how]).sort(), [[cluster.mountPoint, 'terminated'], [target, 'cleared']].sort(), 'the live mount terminated, the dead one cleared');
  t.same(down.stopped.map((entry) => entry.how), ['terminated', 'terminated', 'terminated'], 'engines stopped');
  t.same(mountPointsUnder(cluster.root), [], 'nothing mounted under the temp dir');
  t.same(readdirSync(target), [], 'the mount point is an empty directory again');
  const report = await cluster.stop();
  t.same(report.leftover, [], 'teardown finds nothing mounted');
  t.same(report.enginesRunning, [], 'no engine left');
});

/**
 * Waits until `pid` has exited: gone, or a zombie whose threads have all exited (a multithreaded
 * process's leader turns Z before its FUSE threads finish; the mount dies with the last of them).
 */
async function waitUntilGone(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      if (state === 'Z' && readdirSync(`/proc/${pid}/task`).length <= 1) return;
    } catch {
      return;
    }
    await sleep(50);
  }
  throw new Error(`pid ${pid} still alive 10 s after SIGKILL`);
}
