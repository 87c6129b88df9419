/**
 * dfuse end to end with coreutils and other real tools on a real mount of a 3-engine local cluster:
 * cp -r of a tree crossing the 1 MiB chunk size, mv, rm -r, ln -s, touch -d, chmod, truncate, fallocate,
 * dd, find, du, df, stat inode numbers, mkfifo, xattrs, tar round trips, read-after-write, open files that
 * lose their name, the errno of every common failure, multi-user ownership and permissions (as nobody),
 * EROFS under .snapshot and EPERM for hard links. One cluster for the whole suite; all work happens under
 * <mount>/w.
 */
import { appendFileSync, chmodSync, fchmodSync, fchownSync, fstatSync, futimesSync, linkSync, lstatSync, mkdirSync, openSync, closeSync, readFileSync, readSync, readdirSync, renameSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { startDfuseCluster, testDownLeavesNothing } from '../harness/dfuse-mount.js';
import { codeOf, nodeAs, python, quote as q, sh, shOk } from '../harness/shell.js';
import { digestTree, patternBytes, sha256 } from '../harness/tree-digest.js';

const MiB = 1 << 20;
const NOBODY_UID = 65534;

const cluster = await startDfuseCluster(t, { prefix: 'coreutils' });
const at = (relative: string): string => cluster.at(join('w', relative));

/** The source tree, on local disk: a multi-MiB file, files at the 1 MiB chunk boundary, an empty file, a symlink. */
const SOURCE_FILES: Readonly<Record<string, Buffer>> = {
  'docs/readme.txt': Buffer.from('hello, dfuse\n'),
  'docs/empty': Buffer.alloc(0),
  'data/big.bin': patternBytes(3 * MiB + 12_345, 1),
  'data/one-mib.bin': patternBytes(MiB, 2),
  'data/one-mib-plus-one.bin': patternBytes(MiB + 1, 3),
  'data/nested/deep/leaf.txt': Buffer.from('leaf\n'),
};
const SOURCE_LINK = { path: 'docs/link', target: 'readme.txt' };
const source = join(cluster.root, 'src');
for (const [path, data] of Object.entries(SOURCE_FILES)) {
  mkdirSync(dirname(join(source, path)), { recursive: true });
  writeFileSync(join(source, path), data);
}
symlinkSync(SOURCE_LINK.target, join(source, SOURCE_LINK.path));
/** Where cp -r puts the tree on the mount (later tests read it). */
const copied = at('copy/into/here/tree');

t.test('mkdir -p and cp -r: a tree with multi-MiB, chunk-boundary and empty files -> the same tree on the mount', async (t) => {
  shOk(`mkdir -p ${q(dirname(copied))}`);
  t.ok(statSync(dirname(copied)).isDirectory(), 'mkdir -p made every level');
  t.equal(sh(`mkdir -p ${q(dirname(copied))}`).status, 0, 'mkdir -p of an existing path succeeds');
  shOk(`cp -r ${q(source)} ${q(copied)}`);
  t.same(digestTree(copied), digestTree(source), 'every path, kind, size, sha256 and link target equal');
  t.equal(statSync(join(copied, 'docs/empty')).size, 0, 'the empty file is empty');
  t.equal(sh(`cmp ${q(join(source, 'data/big.bin'))} ${q(join(copied, 'data/big.bin'))}`).status, 0, 'cmp: big file identical');
});

t.test('read after write through the mount: new bytes at once; stat right after append -> new size', async (t) => {
  mkdirSync(at('rw'));
  const file = at('rw/log');
  let expected = Buffer.alloc(0);
  for (const [index, length] of [1, 4095, 131_073, MiB + 1].entries()) {
    const chunk = patternBytes(length, 10 + index);
    appendFileSync(file, chunk);
    expected = Buffer.concat([expected, chunk]);
    t.equal(statSync(file).size, expected.length, `size right after appending ${length} bytes`);
    t.ok(readFileSync(file).equals(expected), `content right after appending ${length} bytes`);
  }
  const shell = shOk(`printf abc >> log && stat -c %s log && tail -c 3 log`, { cwd: at('rw') }).split('\n');
  t.same(shell.slice(0, 2), [String(expected.length + 3), 'abc'], 'shell: append, stat, tail in a row');
  const writer = openSync(file, 'r+');
  const reader = openSync(file, 'r');
  try {
    writeSync(writer, Buffer.from('XYZ'), 0, 3, 5000);
    const seen = Buffer.alloc(3);
    t.equal(readSync(reader, seen, 0, 3, 5000), 3);
    t.equal(seen.toString(), 'XYZ', 'a write through one fd is read through another at once');
  } finally {
    closeSync(writer);
    closeSync(reader);
  }
});

t.test('mv: a file and a directory across directories -> moved with content, old names gone', async (t) => {
  shOk(`mkdir -p a/dir/sub b && printf one > a/file.txt && printf two > a/dir/x && printf three > a/dir/sub/y`, { cwd: makeDir('mv') });
  shOk('mv a/file.txt b/renamed.txt && mv a/dir b/', { cwd: at('mv') });
  t.same(readdirSync(at('mv/a')), [], 'source directory empty');
  t.same(digestTree(at('mv/b')).map((entry) => entry.path), ['dir', 'dir/sub', 'dir/sub/y', 'dir/x', 'renamed.txt']);
  t.equal(readFileSync(at('mv/b/renamed.txt'), 'utf8'), 'one');
  t.equal(readFileSync(at('mv/b/dir/sub/y'), 'utf8'), 'three', 'content below a moved directory');
  t.equal(codeOf(() => statSync(at('mv/a/file.txt'))), 'ENOENT', 'old file name gone');
  t.equal(codeOf(() => statSync(at('mv/a/dir/x'))), 'ENOENT', 'old directory name gone');
  shOk('mv b/renamed.txt b/dir/sub/ && mv b/dir b/moved', { cwd: at('mv') });
  t.equal(readFileSync(at('mv/b/moved/sub/renamed.txt'), 'utf8'), 'one', 'moved again, into a renamed directory');
});

t.test('renameat2: RENAME_NOREPLACE onto an existing name -> EEXIST and nothing moves; RENAME_EXCHANGE swaps two files', async (t) => {
  const dir = makeDir('renameat2');
  writeFileSync(join(dir, 'x'), 'ex');
  writeFileSync(join(dir, 'y'), 'why');
  // glibc's renameat2 through ctypes: [errno, ...] for NOREPLACE onto y, EXCHANGE of x and y, NOREPLACE onto a new name.
  const program = `
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
def renameat2(a, b, flags):
    return 0 if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags) == 0 else ctypes.get_errno()
d = sys.argv[1]
print(json.dumps([renameat2(d + '/x', d + '/y', 1), renameat2(d + '/x', d + '/y', 2), renameat2(d + '/y', d + '/z', 1)]))`;
  const [noReplace, exchange, noReplaceFree] = python<number[]>(program, [dir]);
  t.equal(noReplace, 17, 'NOREPLACE onto an existing name -> EEXIST');
  t.equal(exchange, 0, 'EXCHANGE succeeds');
  t.equal(noReplaceFree, 0, 'NOREPLACE onto a free name succeeds');
  t.same(readdirSync(dir).sort(), ['x', 'z']);
  t.equal(readFileSync(join(dir, 'x'), 'utf8'), 'why', 'exchanged: x holds what y held');
  t.equal(readFileSync(join(dir, 'z'), 'utf8'), 'ex', 'y (the old x) moved to z');
});

t.test('open files that lose their name: unlinked, renamed, exchanged -> the descriptor still reads, writes, truncates, sets xattrs', async (t) => {
  const dir = makeDir('open-moved');
  // Each case works through a descriptor opened before its file was unlinked, renamed or exchanged.
  const program = `
import ctypes, json, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
def opened(name, data):
    fd = os.open(d + '/' + name, os.O_CREAT | os.O_RDWR, 0o644); os.write(fd, data); return fd
out = {}
fd = opened('gone', b'unlinked data')
os.unlink(d + '/gone')
out['unlinkedNlink'] = os.fstat(fd).st_nlink
os.ftruncate(fd, 8); os.pwrite(fd, b'!', 8)
out['unlinkedRead'] = os.pread(fd, 100, 0).decode()
out['whileOpen'] = sorted(os.listdir(d))
os.close(fd)
# The kernel sends RELEASE after close(2) returns: give the daemon up to 5 s to remove the hidden name.
for _ in range(100):
    out['afterClose'] = sorted(os.listdir(d))
    if not out['afterClose']: break
    time.sleep(0.05)
fd = opened('before', b'renamed data')
os.rename(d + '/before', d + '/after')
os.ftruncate(fd, 7); os.setxattr(fd, 'user.moved', b'yes'); os.close(fd)
out['movedXattr'] = os.getxattr(d + '/after', 'user.moved').decode()
fx = opened('x', b'xxxx'); fy = opened('y', b'yyyy')
out['exchange'] = libc.renameat2(-100, (d + '/x').encode(), -100, (d + '/y').encode(), 2)
os.ftruncate(fx, 1); os.ftruncate(fy, 2); os.close(fx); os.close(fy)
print(json.dumps(out))`;
  const out = python<Record<string, unknown>>(program, [dir]);
  t.equal(out.unlinkedNlink, 0, 'fstat of an unlinked open file: no link left');
  t.equal(out.unlinkedRead, 'unlinked!', 'ftruncate and pwrite through its descriptor, then read back');
  t.match(out.whileOpen, [/^\.fuse_hidden/], 'while open, it lives on under a hidden name (as libfuse does)');
  t.same(out.afterClose, [], 'its last close removes it (once the kernel sent RELEASE)');
  t.equal(readFileSync(join(dir, 'after'), 'utf8'), 'renamed', 'ftruncate through a descriptor opened before the rename reached the new name');
  t.equal(out.movedXattr, 'yes', 'and so did fsetxattr');
  t.equal(out.exchange, 0, 'RENAME_EXCHANGE succeeds');
  t.equal(readFileSync(join(dir, 'y'), 'utf8'), 'x', 'the file opened as x, truncated through its descriptor, is now y');
  t.equal(readFileSync(join(dir, 'x'), 'utf8'), 'yy', 'the file opened as y is now x');
});

t.test('stat: inode numbers stable, unique across files, the same through a rename and a symlink', async (t) => {
  const dir = makeDir('ino');
  shOk('mkdir sub && for i in 1 2 3 4 5 6 7 8 9 10; do printf "$i" > f$i; done', { cwd: dir });
  const first = shOk('stat -c "%n %i" f* sub', { cwd: dir });
  const second = shOk('stat -c "%n %i" f* sub', { cwd: dir });
  t.equal(second, first, 'two stats give the same numbers');
  const numbers = first.trim().split('\n').map((line) => line.split(' ')[1]!);
  t.equal(new Set(numbers).size, 11, 'unique across the 10 files and the directory');
  t.equal(statSync(join(dir, 'f5'), { bigint: true }).ino.toString(), numbers[5], 'node sees the same 64-bit number as stat');
  const before = shOk('stat -c %i f5', { cwd: dir }).trim();
  shOk('mv f5 sub/five && ln -s sub/five via-link', { cwd: dir });
  t.equal(shOk('stat -c %i sub/five', { cwd: dir }).trim(), before, 'rename keeps the inode number');
  t.equal(shOk('stat -L -c %i via-link', { cwd: dir }).trim(), before, 'through a symlink: the same number');
  t.not(shOk('stat -c %i via-link', { cwd: dir }).trim(), before, 'the symlink itself has its own number');
  const tree = shOk(`find ${q(copied)} -printf '%i\\n'`).trim().split('\n');
  t.equal(new Set(tree).size, tree.length, 'unique across the copied tree');
});

t.test('ln -s: readlink gives the target exactly; the link resolves', async (t) => {
  const dir = makeDir('symlink');
  shOk(`ln -s ${q('../copy/into/here/tree/docs/readme.txt')} rel && ln -s /nonexistent/target dangling`, { cwd: dir });
  t.equal(shOk('readlink rel', { cwd: dir }), '../copy/into/here/tree/docs/readme.txt\n');
  t.equal(readFileSync(join(dir, 'rel'), 'utf8'), 'hello, dfuse\n', 'reads through the link');
  t.equal(shOk('stat -c %F rel', { cwd: dir }), 'symbolic link\n');
  t.equal(lstatSync(join(dir, 'dangling')).size, '/nonexistent/target'.length, 'lstat size is the target length');
  t.equal(codeOf(() => statSync(join(dir, 'dangling'))), 'ENOENT', 'a dangling link does not resolve');
  t.equal(codeOf(() => symlinkSync('x', join(dir, 'rel'))), 'EEXIST', 'ln -s over an existing name');
});

t.test('touch -d: stat shows the given mtime (to the millisecond); -m and -a change one time only', async (t) => {
  const dir = makeDir('touch');
  shOk(`touch -d '2001-02-03 04:05:06.250 UTC' new-file && mkdir d && touch -d '1999-12-31 23:59:59 UTC' d`, { cwd: dir });
  t.equal(shOk('stat -c %Y new-file', { cwd: dir }), '981173106\n', 'seconds');
  t.equal(statSync(join(dir, 'new-file')).mtimeMs, 981173106250, 'milliseconds');
  t.equal(statSync(join(dir, 'new-file')).size, 0, 'touch created an empty file');
  t.equal(shOk('stat -c %Y d', { cwd: dir }), '946684799\n', 'a directory');
  // utimensat with one time UTIME_OMIT: the other time changes, the omitted one stays.
  shOk(`touch -m -d '2002-01-01 00:00:00 UTC' new-file`, { cwd: dir });
  t.equal(shOk('stat -c "%X %Y" new-file', { cwd: dir }), '981173106 1009843200\n', 'touch -m -d: mtime only');
  shOk(`touch -a -d '2003-01-01 00:00:00 UTC' new-file`, { cwd: dir });
  t.equal(shOk('stat -c "%X %Y" new-file', { cwd: dir }), '1041379200 1009843200\n', 'touch -a -d: atime only');
  shOk('touch -m new-file', { cwd: dir });
  t.ok(Math.abs(statSync(join(dir, 'new-file')).mtimeMs - Date.now()) < 60_000, 'touch -m: mtime now');
  // Truncating an empty file changes no data, yet (as on Linux) moves its mtime.
  shOk(`touch -m -d '2002-01-01 00:00:00 UTC' new-file && : > new-file`, { cwd: dir });
  t.ok(Math.abs(statSync(join(dir, 'new-file')).mtimeMs - Date.now()) < 60_000, ': > empty file: mtime now');
});

t.test('chmod, chown, futimes on a file open for writing: size, appended data and times kept', async (t) => {
  const file = join(makeDir('setattr-open'), 'f');
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, 'abc');
    fchmodSync(fd, 0o600);
    t.equal(fstatSync(fd).size, 3, 'fstat right after fchmod: the written size');
    writeSync(fd, 'def');
    fchownSync(fd, 0, 0);
    t.equal(statSync(file).size, 6, 'stat right after fchown: the written size');
    writeSync(fd, 'ghi');
    futimesSync(fd, 1_000_000_000, 1_000_000_000);
  } finally {
    closeSync(fd);
  }
  t.equal(readFileSync(file, 'utf8'), 'abcdefghi', 'O_APPEND writes after each change land at the end');
  t.equal(statSync(file).mtimeMs, 1_000_000_000_000, 'the mtime set after the last write stays');
});

t.test('chmod: the mode bits set are the ones stat shows', async (t) => {
  const dir = makeDir('chmod');
  shOk('printf x > f && mkdir d && chmod 640 f && chmod 700 d', { cwd: dir });
  t.equal(shOk('stat -c %a f d', { cwd: dir }), '640\n700\n');
  shOk('chmod u+x,o+r f && chmod 1777 d', { cwd: dir });
  t.equal(shOk('stat -c %a f d', { cwd: dir }), '744\n1777\n', 'symbolic modes and the sticky bit');
  t.equal(statSync(join(dir, 'f')).mode & 0o7777, 0o744, 'node agrees');
});

t.test('truncate: shrink keeps the prefix, grow adds zeros, across chunk boundaries', async (t) => {
  const file = join(makeDir('truncate'), 'f');
  const data = patternBytes(MiB + MiB / 2, 20);
  writeFileSync(file, data);
  shOk(`truncate -s 100000 ${q(file)}`);
  t.ok(readFileSync(file).equals(data.subarray(0, 100_000)), 'shrunk: the first 100000 bytes');
  shOk(`truncate -s 3M ${q(file)}`);
  const grown = readFileSync(file);
  t.equal(grown.length, 3 * MiB, 'grown to 3 MiB');
  t.ok(grown.subarray(0, 100_000).equals(data.subarray(0, 100_000)), 'prefix kept');
  t.ok(grown.subarray(100_000).equals(Buffer.alloc(3 * MiB - 100_000)), 'the rest reads as zeros (old bytes past the shrink do not come back)');
  shOk(`truncate -s 0 ${q(file)}`);
  t.equal(statSync(file).size, 0, 'truncated to empty');
});

t.test('fallocate: -p punches a hole across a chunk boundary (size kept), -l grows, -z zeroes and grows, -c -> unsupported', async (t) => {
  const file = join(makeDir('fallocate'), 'f');
  const data = patternBytes(2 * MiB, 21);
  writeFileSync(file, data);
  const [holeAt, holeLength] = [MiB - 4096, 8192];
  shOk(`fallocate -p -o ${holeAt} -l ${holeLength} ${q(file)}`);
  const punched = readFileSync(file);
  t.equal(punched.length, 2 * MiB, 'punching keeps the size');
  t.ok(punched.subarray(holeAt, holeAt + holeLength).equals(Buffer.alloc(holeLength)), 'the hole reads as zeros');
  t.ok(punched.subarray(0, holeAt).equals(data.subarray(0, holeAt)), 'the bytes before it are kept');
  t.ok(punched.subarray(holeAt + holeLength).equals(data.subarray(holeAt + holeLength)), 'and the bytes after it');
  shOk(`fallocate -l ${3 * MiB} ${q(file)}`);
  t.equal(statSync(file).size, 3 * MiB, 'mode 0 past the end grows the file');
  shOk(`fallocate -z -o ${3 * MiB - 10} -l 20 ${q(file)}`);
  const zeroed = readFileSync(file);
  t.equal(zeroed.length, 3 * MiB + 10, 'zero range past the end grows the file to its end');
  t.ok(zeroed.subarray(2 * MiB).equals(Buffer.alloc(MiB + 10)), 'and all of it past the old data reads as zeros');
  const collapse = sh(`fallocate -c -o 0 -l 4096 ${q(file)}`);
  t.not(collapse.status, 0, 'collapse range fails');
  t.match(collapse.stderr, /not supported/, '... as not supported');
  t.equal(statSync(file).size, 3 * MiB + 10, 'and changes nothing');
});

t.test('dd: bs=1M, odd block sizes, seek with notrunc and past the end', async (t) => {
  const dir = makeDir('dd');
  const big = join(source, 'data/big.bin');
  shOk(`dd if=${q(big)} of=whole bs=1M status=none`, { cwd: dir });
  t.equal(sha256(readFileSync(join(dir, 'whole'))), sha256(SOURCE_FILES['data/big.bin']!), 'bs=1M copy identical');
  shOk(`dd if=${q(big)} of=odd bs=4099 count=300 status=none`, { cwd: dir });
  t.ok(readFileSync(join(dir, 'odd')).equals(SOURCE_FILES['data/big.bin']!.subarray(0, 4099 * 300)), 'bs=4099 count=300');
  const base = patternBytes(20_000, 21);
  const patch = patternBytes(777, 22);
  writeFileSync(join(dir, 'patched'), base);
  writeFileSync(join(cluster.root, 'patch'), patch);
  shOk(`dd if=${q(join(cluster.root, 'patch'))} of=patched bs=777 seek=7 conv=notrunc status=none`, { cwd: dir });
  const expected = Buffer.from(base);
  patch.copy(expected, 777 * 7);
  t.ok(readFileSync(join(dir, 'patched')).equals(expected), 'seek=7 conv=notrunc overwrote 777 bytes at 5439');
  shOk(`dd if=${q(join(cluster.root, 'patch'))} of=holey bs=1M seek=2 status=none`, { cwd: dir });
  const holey = readFileSync(join(dir, 'holey'));
  t.equal(holey.length, 2 * MiB + 777, 'seek past the end');
  t.ok(holey.subarray(0, 2 * MiB).equals(Buffer.alloc(2 * MiB)), 'the hole reads as zeros');
  t.ok(holey.subarray(2 * MiB).equals(patch), 'the data after the hole');
});

t.test('find: every name of the copied tree listed exactly, with its type', async (t) => {
  const listed = shOk(`find . -printf '%y %P\\n'`, { cwd: copied }).trim().split('\n').sort();
  t.same(listed, [
    'd ', 'd data', 'd data/nested', 'd data/nested/deep', 'd docs',
    'f data/big.bin', 'f data/nested/deep/leaf.txt', 'f data/one-mib-plus-one.bin', 'f data/one-mib.bin',
    'f docs/empty', 'f docs/readme.txt', 'l docs/link',
  ]);
  t.same(shOk(`find . -name '*.bin' -size +1024k | sort`, { cwd: copied }).trim().split('\n'), ['./data/big.bin', './data/one-mib-plus-one.bin'], '-size +1024k');
  t.same(shOk('find . -empty -type f', { cwd: copied }).trim().split('\n'), ['./docs/empty'], '-empty');
});

t.test('du: apparent size is the sum of the sizes; disk usage covers the data', async (t) => {
  const fileBytes = Object.values(SOURCE_FILES).reduce((sum, data) => sum + data.length, 0);
  const dirBytes = digestTree(copied).filter((entry) => entry.kind === 'dir').reduce((sum, entry) => sum + statSync(join(copied, entry.path)).size, statSync(copied).size);
  const apparent = Number(shOk(`du -sb ${q(copied)}`).split('\t')[0]);
  t.equal(apparent, fileBytes + SOURCE_LINK.target.length + dirBytes, 'du -sb: files + link + directories');
  const kib = Number(shOk(`du -sk ${q(copied)}`).split('\t')[0]);
  t.ok(kib >= Math.ceil(fileBytes / 1024), `du -sk ${kib} KiB covers ${fileBytes} bytes`);
  const bigKib = Number(shOk(`du -k ${q(join(copied, 'data/big.bin'))}`).split('\t')[0]);
  t.equal(bigKib, Math.ceil(SOURCE_FILES['data/big.bin']!.length / 1024), 'one file: its size in KiB, rounded up');
});

t.test('df: the mount is listed with a non-zero size', async (t) => {
  const line = shOk(`df -P -k ${q(cluster.mountPoint)}`).trim().split('\n')[1]!.split(/\s+/);
  t.match(line[0], /^tsdaos:tank\/posix$/, 'filesystem name');
  t.equal(line[5], cluster.mountPoint, 'mounted on');
  t.ok(Number(line[1]) > 0, `size ${line[1]} KiB`);
  t.ok(Number(line[3]) > 0, `available ${line[3]} KiB`);
});

t.test('mkfifo: a named pipe (type p) the kernel carries data through', async (t) => {
  const dir = makeDir('fifo');
  shOk('mkfifo pipe', { cwd: dir });
  t.equal(shOk('stat -c %F pipe', { cwd: dir }), 'fifo\n');
  t.equal(shOk('ls -l pipe', { cwd: dir })[0], 'p', 'ls shows type p');
  t.ok(statSync(join(dir, 'pipe')).isFIFO());
  t.equal(shOk('(printf through > pipe &) && cat pipe', { cwd: dir, timeoutMs: 20_000 }), 'through');
});

const XATTR_PROGRAM = `
import errno, json, os, struct, sys
path = sys.argv[1]
def code(call):
    try:
        call()
        return 'OK'
    except OSError as error:
        return errno.errorcode[error.errno]
os.setxattr(path, 'user.color', b'blue')
os.setxattr(path, 'user.empty', b'')
os.setxattr(path, 'user.large', bytes(range(256)) * 16)
out = {'color': os.getxattr(path, 'user.color').decode(), 'empty': len(os.getxattr(path, 'user.empty')),
       'large': os.getxattr(path, 'user.large') == bytes(range(256)) * 16, 'list': sorted(os.listxattr(path))}
os.setxattr(path, 'user.color', b'green', os.XATTR_REPLACE)
out['replaced'] = os.getxattr(path, 'user.color').decode()
os.removexattr(path, 'user.color')
out['listAfterRemove'] = sorted(os.listxattr(path))
out['removed'] = code(lambda: os.getxattr(path, 'user.color'))
out['never'] = code(lambda: os.getxattr(path, 'user.never-set'))
out['removeMissing'] = code(lambda: os.removexattr(path, 'user.never-set'))
out['createExisting'] = code(lambda: os.setxattr(path, 'user.empty', b'x', os.XATTR_CREATE))
out['replaceMissing'] = code(lambda: os.setxattr(path, 'user.never-set', b'x', os.XATTR_REPLACE))
out['otherNamespace'] = code(lambda: os.setxattr(path, 'bogus.name', b'x'))
# A valid ACL (version 2; user::rw- group::r-- other::r--): the kernel parses it before passing it on.
acl = struct.pack('<I' + 'HHI' * 3, 2, 0x01, 6, 0xffffffff, 0x04, 4, 0xffffffff, 0x20, 4, 0xffffffff)
out['acl'] = code(lambda: os.setxattr(path, 'system.posix_acl_access', acl))
print(json.dumps(out))
`;

interface XattrOutcome {
  color: string; empty: number; large: boolean; list: string[]; replaced: string; listAfterRemove: string[];
  removed: string; never: string; removeMissing: string; createExisting: string; replaceMissing: string;
  otherNamespace: string; acl: string;
}

t.test('xattrs: set, get, list, replace, remove; a missing name -> ENODATA; other namespaces and ACLs -> EOPNOTSUPP', async (t) => {
  const dir = makeDir('xattr');
  writeFileSync(join(dir, 'file'), 'x');
  for (const path of [join(dir, 'file'), dir]) {
    const outcome = python<XattrOutcome>(XATTR_PROGRAM, [path]);
    t.same(outcome, {
      color: 'blue', empty: 0, large: true, list: ['user.color', 'user.empty', 'user.large'], replaced: 'green',
      listAfterRemove: ['user.empty', 'user.large'], removed: 'ENODATA', never: 'ENODATA', removeMissing: 'ENODATA',
      createExisting: 'EEXIST', replaceMissing: 'ENODATA', otherNamespace: 'ENOTSUP', acl: 'ENOTSUP',
    }, path === dir ? 'on a directory' : 'on a file');
  }
});

t.test('tar: a tree archived on the mount and extracted elsewhere on it -> every file equal', async (t) => {
  const dir = makeDir('tar');
  shOk(`tar -cf archive.tar -C ${q(dirname(copied))} tree && mkdir out && tar -xf archive.tar -C out`, { cwd: dir });
  const listed = shOk('tar -tf archive.tar', { cwd: dir }).trim().split('\n').map((name) => name.replace(/\/$/, '')).sort();
  t.same(listed, ['tree', ...digestTree(source).map((entry) => `tree/${entry.path}`)].sort(), 'every name archived');
  t.same(digestTree(join(dir, 'out/tree')), digestTree(source), 'extracted: every sha256 and link target equal to the source');
  const mtime = (path: string): number => Math.floor(statSync(path).mtimeMs / 1000);
  t.equal(mtime(join(dir, 'out/tree/data/big.bin')), mtime(join(copied, 'data/big.bin')), 'tar restored the mtime');
});

t.test('rm -r: the tree is gone and its parent lists only what is left', async (t) => {
  shOk('rm -r out', { cwd: at('tar') });
  t.equal(codeOf(() => statSync(at('tar/out'))), 'ENOENT');
  t.same(readdirSync(at('tar')), ['archive.tar']);
  shOk(`rm -r ${q(at('copy'))}`);
  t.equal(codeOf(() => statSync(copied)), 'ENOENT', 'a deeper tree with MiB files');
  t.notOk(readdirSync(at('')).includes('copy'), 'gone from its parent listing');
});

t.test('errors: ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR with the right errno', async (t) => {
  const dir = makeDir('errors');
  mkdirSync(join(dir, 'full/inner'), { recursive: true });
  mkdirSync(join(dir, 'empty-dir'));
  writeFileSync(join(dir, 'file'), 'x');
  const path = (name: string): string => join(dir, name);
  t.same({
    read: codeOf(() => readFileSync(path('missing'))),
    statDeep: codeOf(() => statSync(path('missing/a/b'))),
    unlink: codeOf(() => unlinkSync(path('missing'))),
    rmdir: codeOf(() => rmdirSync(path('missing'))),
    rename: codeOf(() => renameSync(path('missing'), path('other'))),
  }, { read: 'ENOENT', statDeep: 'ENOENT', unlink: 'ENOENT', rmdir: 'ENOENT', rename: 'ENOENT' }, 'ENOENT');
  t.same({
    mkdirDir: codeOf(() => mkdirSync(path('full'))),
    mkdirFile: codeOf(() => mkdirSync(path('file'))),
    exclusive: codeOf(() => closeSync(openSync(path('file'), 'wx'))),
  }, { mkdirDir: 'EEXIST', mkdirFile: 'EEXIST', exclusive: 'EEXIST' }, 'EEXIST');
  t.equal(codeOf(() => rmdirSync(path('full'))), 'ENOTEMPTY', 'rmdir of a non-empty directory');
  t.ok(['ENOTEMPTY', 'EEXIST'].includes(codeOf(() => renameSync(path('empty-dir'), path('full')))), 'rename onto a non-empty directory');
  t.same({
    stat: codeOf(() => statSync(path('file/x'))),
    rmdir: codeOf(() => rmdirSync(path('file'))),
    mkdir: codeOf(() => mkdirSync(path('file/x'))),
    readdir: codeOf(() => readdirSync(path('file'))),
    rename: codeOf(() => renameSync(path('empty-dir'), path('file'))),
  }, { stat: 'ENOTDIR', rmdir: 'ENOTDIR', mkdir: 'ENOTDIR', readdir: 'ENOTDIR', rename: 'ENOTDIR' }, 'ENOTDIR');
  t.same({
    read: codeOf(() => readFileSync(path('full'))),
    unlink: codeOf(() => unlinkSync(path('full'))),
    openWrite: codeOf(() => openSync(path('full'), 'w')),
    rename: codeOf(() => renameSync(path('file'), path('empty-dir'))),
  }, { read: 'EISDIR', unlink: 'EISDIR', openWrite: 'EISDIR', rename: 'EISDIR' }, 'EISDIR');
  t.equal(sh('mkdir full', { cwd: dir }).status, 1, 'coreutils mkdir fails too');
  t.same(digestTree(dir).map((entry) => entry.path), ['empty-dir', 'file', 'full', 'full/inner'], 'nothing changed by the failures');
});

const TRY_PROGRAM = `
const fs = require('node:fs');
const [op, path] = process.argv.slice(1);
const calls = {
  write: () => fs.writeFileSync(path, 'by nobody'), mkdir: () => fs.mkdirSync(path), unlink: () => fs.unlinkSync(path),
  read: () => fs.readFileSync(path), chmod: () => fs.chmodSync(path, 0o777),
};
try { calls[op](); console.log('OK'); } catch (error) { console.log(error.code); }
`;

t.test('permissions as nobody: EACCES in a root 755 dir; owner of what it creates in a 777 dir', async (t) => {
  const dir = makeDir('perm');
  shOk('mkdir -m 755 root-only && mkdir open && chmod 777 open && printf secret > root-only/f && chmod 600 root-only/f', { cwd: dir });
  const as = (op: string, path: string): string => nodeAs('nobody', TRY_PROGRAM, [op, join(dir, path)]);
  t.same({
    write: as('write', 'root-only/new'), mkdir: as('mkdir', 'root-only/new-dir'), unlink: as('unlink', 'root-only/f'),
    read: as('read', 'root-only/f'), chmod: as('chmod', 'root-only/f'),
  }, { write: 'EACCES', mkdir: 'EACCES', unlink: 'EACCES', read: 'EACCES', chmod: 'EPERM' }, 'nobody refused by the kernel');
  t.equal(readFileSync(join(dir, 'root-only/f'), 'utf8'), 'secret', 'the root file is unchanged');
  t.same(readdirSync(join(dir, 'root-only')), ['f'], 'nothing created');
  t.equal(as('write', 'open/mine'), 'OK', 'nobody writes in a 777 dir');
  t.equal(as('mkdir', 'open/my-dir'), 'OK');
  for (const name of ['open/mine', 'open/my-dir']) {
    const stat = statSync(join(dir, name));
    t.equal(stat.uid, NOBODY_UID, `${name}: owned by nobody`);
  }
  t.equal(shOk('stat -c %U open/mine', { cwd: dir }), 'nobody\n');
  t.equal(readFileSync(join(dir, 'open/mine'), 'utf8'), 'by nobody', 'root reads what nobody wrote');
});

t.test('.snapshot: writing into a snapshot or into .snapshot itself -> EROFS', async (t) => {
  writeFileSync(at('rw/snap-me'), 'before');
  cluster.json('daos', ['cont', 'create-snap', '--snap', 'cu1']);
  const snapped = cluster.at('.snapshot/cu1/w/rw');
  t.equal(readFileSync(join(snapped, 'snap-me'), 'utf8'), 'before', 'the snapshot reads');
  t.same({
    overwrite: codeOf(() => writeFileSync(join(snapped, 'snap-me'), 'after')),
    create: codeOf(() => writeFileSync(join(snapped, 'new'), 'x')),
    mkdir: codeOf(() => mkdirSync(join(snapped, 'new-dir'))),
    unlink: codeOf(() => unlinkSync(join(snapped, 'snap-me'))),
    rename: codeOf(() => renameSync(join(snapped, 'snap-me'), join(snapped, 'moved'))),
    chmod: codeOf(() => chmodSync(join(snapped, 'snap-me'), 0o600)),
  }, { overwrite: 'EROFS', create: 'EROFS', mkdir: 'EROFS', unlink: 'EROFS', rename: 'EROFS', chmod: 'EROFS' }, 'inside a snapshot');
  t.same({
    mkdir: codeOf(() => mkdirSync(cluster.at('.snapshot/new-dir'))),
    create: codeOf(() => writeFileSync(cluster.at('.snapshot/new-file'), 'x')),
  }, { mkdir: 'EROFS', create: 'EROFS' }, 'directly in .snapshot');
  t.equal(readFileSync(join(snapped, 'snap-me'), 'utf8'), 'before', 'the snapshot is unchanged');
});

t.test('ln: a hard link -> EPERM, and no new name', async (t) => {
  const dir = makeDir('hardlink');
  writeFileSync(join(dir, 'file'), 'x');
  t.equal(sh('ln file link', { cwd: dir }).status, 1, 'ln exits 1');
  t.equal(codeOf(() => linkSync(join(dir, 'file'), join(dir, 'link'))), 'EPERM', 'link(2) -> EPERM');
  t.same(readdirSync(dir), ['file']);
});

testDownLeavesNothing(t, cluster);

/** Makes <mount>/w/<name> and returns it. */
function makeDir(name: string): string {
  mkdirSync(at(name), { recursive: true });
  return at(name);
}
