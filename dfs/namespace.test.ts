/**
 * Namespace operations on a 3-engine in-process cluster: lookup (absolute and relative, '.'/'..',
 * symlinks, ELOOP, O_NOFOLLOW), mkdir, open/create (O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, EISDIR),
 * stat (inode numbers, times), remove (ENOTEMPTY, recursive), racing creates and removes, and whole-tree
 * fixtures built from literals and dumped back.
 */
import { describe, expect, it } from 'vitest';
import { buildTree, dumpTree } from '../test/harness/dfs-tree.js';
import { silentLog } from '../test/harness/in-process-cluster.js';
import {
  type Dfs, FsError, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, mountDfs,
} from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

describe('dfs namespace', () => {
  let fs: Dfs;

  useDfsBed('dfs-ns', (bed) => ({ fs } = bed));

  it('tree: build from literals -> dump gives the same tree', async () => {
    const tree = { '/t1/': null, '/t1/a/': null, '/t1/a/b': 'x', '/t1/a/empty': '', '/t1/c': 'hello', '/t1/l': { symlink: 'a/b' } };
    await buildTree(fs, tree);
    expect(await dumpTree(fs, '/t1')).toEqual({ '/t1/a/': null, '/t1/a/b': 'x', '/t1/a/empty': '', '/t1/c': 'hello', '/t1/l': { symlink: 'a/b' } });
  });

  it('lookup: path with ., .., double slashes -> the entry; trailing slash on a file -> ENOTDIR', async () => {
    await buildTree(fs, { '/t2/d/f': 'data' });
    const file = await fs.lookup('//t2/./d/../d//f');
    expect(file.kind).toBe('file');
    expect(file.name).toBe('f');
    fs.release(file);
    expect(await codeOf(fs.lookup('/t2/d/f/'))).toBe('ENOTDIR');
    expect(await codeOf(fs.lookup('/t2/d/f/x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.lookup('/t2/missing'))).toBe('ENOENT');
    expect(await codeOf(fs.lookup('t2/d'))).toBe('EINVAL');
    const root = await fs.lookup('/..');
    expect(root.ino).toBe(1n);
    fs.release(root);
  });

  it('lookupRel: child of a handle -> entry; not a directory -> ENOTDIR; bad names -> EINVAL/ENAMETOOLONG', async () => {
    await buildTree(fs, { '/t3/f': 'x' });
    const dir = await fs.lookup('/t3');
    const file = await fs.lookupRel(dir, 'f');
    expect(file.parent).toEqual(dir.oid);
    expect(await codeOf(fs.lookupRel(file, 'x'))).toBe('ENOTDIR');
    expect(await codeOf(fs.lookupRel(dir, '..'))).toBe('EINVAL');
    expect(await codeOf(fs.lookupRel(dir, ''))).toBe('EINVAL');
    expect(await codeOf(fs.lookupRel(dir, 'n'.repeat(256)))).toBe('ENAMETOOLONG');
    fs.release(file);
    fs.release(dir);
  });

  it('symlinks: relative, absolute, through directories and .. -> followed; O_NOFOLLOW -> the link itself', async () => {
    await buildTree(fs, {
      '/t4/d/f': 'target', '/t4/rel': { symlink: 'd/f' }, '/t4/abs': { symlink: '/t4/d/f' },
      '/t4/d/up': { symlink: '../d' }, '/t4/dirlink': { symlink: 'd' },
    });
    for (const path of ['/t4/rel', '/t4/abs', '/t4/dirlink/f', '/t4/d/up/up/f']) {
      const handle = await fs.lookup(path);
      expect(handle.kind).toBe('file');
      fs.release(handle);
    }
    const link = await fs.lookup('/t4/rel', O_NOFOLLOW);
    expect(link.kind).toBe('symlink');
    expect(await fs.readlink(link)).toBe('d/f');
    expect(await fs.readlink('/t4/abs')).toBe('/t4/d/f');
    expect((await fs.stat('/t4/rel', O_NOFOLLOW)).size).toBe(3);
    expect((await fs.stat('/t4/rel')).size).toBe(6);
    const dir = await fs.lookup('/t4');
    expect(await codeOf(fs.open(dir, 'rel', O_RDONLY | O_NOFOLLOW))).toBe('ELOOP');
    expect(await codeOf(fs.readlink('/t4/d/f'))).toBe('EINVAL');
    fs.release(dir);
    fs.release(link);
  });

  it('symlinks: a loop -> ELOOP; a chain of 40 -> followed, 41 -> ELOOP', async () => {
    await buildTree(fs, { '/t5/a': { symlink: 'b' }, '/t5/b': { symlink: 'a' }, '/t5/end': 'x', '/t5/l0': { symlink: 'end' } });
    expect(await codeOf(fs.lookup('/t5/a'))).toBe('ELOOP');
    const dir = await fs.lookup('/t5');
    for (let index = 1; index <= 40; index++) fs.release(await fs.symlink(dir, `l${index}`, `l${index - 1}`));
    const end = await fs.lookup('/t5/l39');
    expect(end.kind).toBe('file');
    fs.release(end);
    expect(await codeOf(fs.lookup('/t5/l40'))).toBe('ELOOP');
    expect(await codeOf(fs.symlink(dir, 'empty', ''))).toBe('ENOENT');
    fs.release(dir);
  });

  it('mkdir: new -> directory with the mode; existing -> EEXIST; under a file -> ENOTDIR', async () => {
    const dir = await fs.mkdir(fs.root, 't6', 0o750);
    expect(dir.kind).toBe('dir');
    expect((await fs.stat('/t6')).mode).toBe(S_IFDIR | 0o750);
    expect(await codeOf(fs.mkdir(fs.root, 't6'))).toBe('EEXIST');
    const file = await fs.open(dir, 'f', O_CREAT | O_WRONLY);
    expect(await codeOf(fs.mkdir(file, 'x'))).toBe('ENOTDIR');
    fs.release(file);
    fs.release(dir);
  });

  it('open: O_CREAT|O_EXCL on existing -> EEXIST; O_CREAT alone -> opens it; no O_CREAT on missing -> ENOENT', async () => {
    const dir = await fs.mkdir(fs.root, 't7');
    const created = await fs.open(dir, 'f', O_CREAT | O_EXCL | O_RDWR, 0o600);
    await fs.write(created, Buffer.from('abc'), 0);
    expect(await codeOf(fs.open(dir, 'f', O_CREAT | O_EXCL | O_RDWR))).toBe('EEXIST');
    const reopened = await fs.open(dir, 'f', O_CREAT | O_RDWR);
    expect(reopened.oid).toEqual(created.oid);
    expect(await fs.getSize(reopened)).toBe(3);
    expect(await codeOf(fs.open(dir, 'missing', O_RDONLY))).toBe('ENOENT');
    for (const handle of [created, reopened]) fs.release(handle);
    fs.release(dir);
  });

  it('open: O_TRUNC -> size 0; directory for writing -> EISDIR; O_DIRECTORY on a file -> ENOTDIR', async () => {
    await buildTree(fs, { '/t8/f': 'some bytes', '/t8/d/': null });
    const dir = await fs.lookup('/t8');
    fs.release(await fs.open(dir, 'f', O_WRONLY | O_TRUNC));
    expect((await fs.stat('/t8/f')).size).toBe(0);
    expect(await codeOf(fs.open(dir, 'd', O_RDWR))).toBe('EISDIR');
    expect(await codeOf(fs.open(dir, 'f', O_RDONLY | O_DIRECTORY))).toBe('ENOTDIR');
    expect(await codeOf(fs.open(dir, 'd', O_CREAT | O_RDONLY))).toBe('EISDIR');
    const sub = await fs.open(dir, 'd', O_RDONLY | O_DIRECTORY);
    expect(sub.kind).toBe('dir');
    fs.release(sub);
    const made = await fs.open(dir, 'newdir', O_CREAT | O_EXCL | O_RDONLY, S_IFDIR | 0o700);
    expect(made.mode & S_IFMT).toBe(S_IFDIR);
    fs.release(made);
    fs.release(dir);
  });

  it('create: two clients racing on one name -> exactly one succeeds, the other EEXIST', async () => {
    const dir = await fs.mkdir(fs.root, 't9');
    const second = await freshFsSameCont(fs);
    const dirB = await second.lookup('/t9');
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled([
        fs.open(dir, `race-${round}`, O_CREAT | O_EXCL | O_WRONLY),
        second.open(dirB, `race-${round}`, O_CREAT | O_EXCL | O_WRONLY),
        fs.mkdir(dir, `race-${round}`),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason.code).toBe('EEXIST');
        else (result.value.mount === dir.mount ? fs : second).release(result.value);
      }
    }
    expect((await fs.readdir(dir)).entries).toHaveLength(10);
    second.release(dirB);
    await second.unmount();
    fs.release(dir);
  });

  it('stat: same file by two paths -> same ino; ino differs between files; times move with writes', async () => {
    await buildTree(fs, { '/t10/f': 'x', '/t10/g': 'y', '/t10/l': { symlink: 'f' } });
    const [f, viaLink, g] = await Promise.all([fs.stat('/t10/f'), fs.stat('/t10/l'), fs.stat('/t10/g')]);
    expect(viaLink.ino).toBe(f.ino);
    expect(g.ino).not.toBe(f.ino);
    expect(f.nlink).toBe(1);
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const handle = await fs.lookup('/t10/f', O_RDWR);
    await fs.write(handle, Buffer.from('more'), 1);
    const after = await fs.ostat(handle);
    expect(after.size).toBe(5);
    expect(after.mtime.seconds * 1000 + after.mtime.nanoseconds / 1e6).toBeGreaterThanOrEqual(before);
    expect(after.ctime.seconds * 1000 + after.ctime.nanoseconds / 1e6).toBeGreaterThanOrEqual(before);
    fs.release(handle);
  });

  it('statRel: entry of a handle -> the same attributes as stat(path); symlink followed unless O_NOFOLLOW; errors', async () => {
    await buildTree(fs, { '/t16/f': 'hello', '/t16/d/x': 'x', '/t16/l': { symlink: 'f' } });
    const dir = await fs.lookup('/t16');
    expect(await fs.statRel(dir, 'f')).toEqual(await fs.stat('/t16/f'));
    expect(await fs.statRel(dir, 'd')).toEqual(await fs.stat('/t16/d'));
    expect((await fs.statRel(dir, 'l')).size).toBe(5);
    expect((await fs.statRel(dir, 'l', O_NOFOLLOW)).kind).toBe('symlink');
    expect(await codeOf(fs.statRel(dir, 'missing'))).toBe('ENOENT');
    expect(await codeOf(fs.statRel(dir, '..'))).toBe('EINVAL');
    const file = await fs.lookupRel(dir, 'f');
    expect(await codeOf(fs.statRel(file, 'x'))).toBe('ENOTDIR');
    fs.release(file);
    fs.release(dir);
  });

  it('remove: directory of a wide class (SX) with its one entry in any group -> ENOTEMPTY; emptied -> removed', async () => {
    const wide = await fs.mkdir(fs.root, 't17', 0o755, { oclass: 'SX' });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const sub = await fs.mkdir(wide, name, 0o755, { oclass: 'SX' });
      fs.release(await fs.open(sub, `only-${name}`, O_CREAT | O_EXCL | O_RDWR));
      expect(await codeOf(fs.remove(wide, name))).toBe('ENOTEMPTY');
      await fs.remove(sub, `only-${name}`);
      await fs.remove(wide, name);
      fs.release(sub);
    }
    expect(await dumpTree(fs, '/t17')).toEqual({});
    fs.release(wide);
  });

  it('remove: file -> gone; non-empty dir -> ENOTEMPTY; recursive -> whole subtree gone; missing -> ENOENT', async () => {
    await buildTree(fs, { '/t11/f': 'x', '/t11/d/a/b/c': 'deep', '/t11/d/a/e': 'e', '/t11/d/l': { symlink: 'a' } });
    const dir = await fs.lookup('/t11');
    await fs.remove(dir, 'f');
    expect(await codeOf(fs.lookup('/t11/f'))).toBe('ENOENT');
    expect(await codeOf(fs.remove(dir, 'd'))).toBe('ENOTEMPTY');
    await fs.remove(dir, 'd', { recursive: true });
    expect(await dumpTree(fs, '/t11')).toEqual({});
    expect(await codeOf(fs.remove(dir, 'd'))).toBe('ENOENT');
    fs.release(dir);
  });

  it('remove with like: the probe of the directory seen before counts only while the name still names it', async () => {
    await buildTree(fs, { '/t-like/': null, '/t-like/full/x': 'x', '/t-like/e/': null });
    const parent = await fs.lookup('/t-like');
    const full = await fs.lookup('/t-like/full');
    expect(await codeOf(fs.remove(parent, 'full', { like: full }))).toBe('ENOTEMPTY');
    // 'e' was empty when seen, then replaced by a directory that is not: ENOTEMPTY, not removed.
    const seen = await fs.lookup('/t-like/e');
    await fs.remove(parent, 'e');
    const again = await fs.mkdir(parent, 'e', 0o755);
    fs.release(await fs.open(again, 'y', O_CREAT | O_RDWR, 0o644));
    fs.release(again);
    expect(await codeOf(fs.remove(parent, 'e', { like: seen }))).toBe('ENOTEMPTY');
    expect(await dumpTree(fs, '/t-like/e')).toEqual({ '/t-like/e/y': '' });
    // The directory seen is the one there and empty: removed.
    fs.release(await fs.mkdir(parent, 'empty', 0o755));
    const empty = await fs.lookup('/t-like/empty');
    await fs.remove(parent, 'empty', { like: empty });
    expect(await codeOf(fs.lookup('/t-like/empty'))).toBe('ENOENT');
    for (const handle of [parent, full, seen, empty]) fs.release(handle);
  });

  it('remove: racing removers of one name -> exactly one succeeds, the others ENOENT', async () => {
    const dir = await fs.mkdir(fs.root, 't12');
    for (let round = 0; round < 5; round++) {
      fs.release(await fs.open(dir, 'victim', O_CREAT | O_EXCL | O_WRONLY));
      const results = await Promise.allSettled([fs.remove(dir, 'victim'), fs.remove(dir, 'victim'), fs.remove(dir, 'victim')]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) if (result.status === 'rejected') expect(result.reason.code).toBe('ENOENT');
    }
    fs.release(dir);
  });

  it('remove: then re-create the same name -> a new, empty file', async () => {
    await buildTree(fs, { '/t13/f': 'old contents' });
    const dir = await fs.lookup('/t13');
    const old = await fs.stat('/t13/f');
    await fs.remove(dir, 'f');
    const file = await fs.open(dir, 'f', O_CREAT | O_EXCL | O_RDWR);
    expect(await fs.getSize(file)).toBe(0);
    expect(file.ino).not.toBe(old.ino);
    fs.release(file);
    fs.release(dir);
  });

  it('handles: released -> EBADF; all handles released -> only the root stays open', async () => {
    const dir = await fs.mkdir(fs.root, 't14');
    fs.release(dir);
    expect(await codeOf(fs.readdir(dir))).toBe('EBADF');
    expect(() => fs.release(dir)).toThrow(FsError);
    expect(fs.openHandles).toBe(1);
  });
});

/** A second mount of the container `fs` is on (another client). */
function freshFsSameCont(fs: Dfs): Promise<Dfs> {
  return mountDfs({ pool: fs.root.mount.pool, cont: fs.root.mount.cont.uuid, log: silentLog });
}
