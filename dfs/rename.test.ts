/**
 * Rename on a 3-engine in-process cluster, in both modes (one transaction across directories, and the
 * relaxed conditional insert + punch): within and across directories, replacing files and empty
 * directories, noReplace, exchange, kind mismatches, a directory into its own subtree, renaming onto
 * itself, EXDEV across mounts of different containers, racing renames to one target, and handles of
 * moved entries.
 */
import { describe, expect, it } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { buildTree, dumpTree, freshFs } from '../test/harness/dfs-tree.js';
import { type Dfs, O_CREAT, O_EXCL, O_RDWR, O_WRONLY } from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

const MODES = [
  { name: 'transactions', transactions: true },
  { name: 'relaxed', transactions: false },
] as const;

describe.each(MODES)('dfs rename ($name)', ({ transactions }) => {
  let pool: PoolHandle;
  let fs: Dfs;

  useDfsBed('dfs-rename', (bed) => ({ pool, fs } = bed), { transactions });

  async function within<T>(path: string, run: (dir: Awaited<ReturnType<Dfs['lookup']>>) => Promise<T>): Promise<T> {
    const dir = await fs.lookup(path);
    try {
      return await run(dir);
    } finally {
      fs.release(dir);
    }
  }

  it('same directory: file -> new name, contents and ino kept', async () => {
    await buildTree(fs, { '/r1/a': 'contents' });
    const before = await fs.stat('/r1/a');
    await within('/r1', (dir) => fs.rename(dir, 'a', dir, 'b'));
    expect(await dumpTree(fs, '/r1')).toEqual({ '/r1/b': 'contents' });
    expect((await fs.stat('/r1/b')).ino).toBe(before.ino);
  });

  it('across directories: a subtree -> moved whole', async () => {
    await buildTree(fs, { '/r2/src/d/f': 'x', '/r2/src/d/g/h': 'y', '/r2/dst/': null });
    const src = await fs.lookup('/r2/src');
    const dst = await fs.lookup('/r2/dst');
    await fs.rename(src, 'd', dst, 'moved');
    expect(await dumpTree(fs, '/r2')).toEqual({
      '/r2/src/': null, '/r2/dst/': null, '/r2/dst/moved/': null, '/r2/dst/moved/f': 'x', '/r2/dst/moved/g/': null, '/r2/dst/moved/g/h': 'y',
    });
    fs.release(src);
    fs.release(dst);
  });

  it('over an existing file -> replaced, the old object gone; noReplace -> EEXIST', async () => {
    await buildTree(fs, { '/r3/a': 'new', '/r3/b': 'old', '/r3/c': 'c' });
    await within('/r3', async (dir) => {
      expect(await codeOf(fs.rename(dir, 'a', dir, 'b', { noReplace: true }))).toBe('EEXIST');
      const old = await fs.lookup('/r3/b');
      await fs.rename(dir, 'a', dir, 'b');
      expect(await dumpTree(fs, '/r3')).toEqual({ '/r3/b': 'new', '/r3/c': 'c' });
      expect(await codeOf(fs.ostat(old))).toBe('ENOENT');
      fs.release(old);
    });
  });

  it('kind mismatches: dir over file -> ENOTDIR; file over dir -> EISDIR; over non-empty dir -> ENOTEMPTY; over empty dir -> ok', async () => {
    await buildTree(fs, { '/r4/d/': null, '/r4/f': 'x', '/r4/full/x': 'x', '/r4/empty/': null, '/r4/d2/k': 'k' });
    await within('/r4', async (dir) => {
      expect(await codeOf(fs.rename(dir, 'd', dir, 'f'))).toBe('ENOTDIR');
      expect(await codeOf(fs.rename(dir, 'f', dir, 'd'))).toBe('EISDIR');
      expect(await codeOf(fs.rename(dir, 'd', dir, 'full'))).toBe('ENOTEMPTY');
      await fs.rename(dir, 'd2', dir, 'empty');
    });
    expect(await dumpTree(fs, '/r4')).toEqual({ '/r4/d/': null, '/r4/f': 'x', '/r4/full/': null, '/r4/full/x': 'x', '/r4/empty/': null, '/r4/empty/k': 'k' });
  });

  it('a directory into its own subtree -> EINVAL; missing source -> ENOENT; bad names -> EINVAL', async () => {
    await buildTree(fs, { '/r5/a/b/c/': null });
    const root = await fs.lookup('/r5');
    const deep = await fs.lookup('/r5/a/b/c');
    expect(await codeOf(fs.rename(root, 'a', deep, 'x'))).toBe('EINVAL');
    const a = await fs.lookup('/r5/a');
    expect(await codeOf(fs.rename(root, 'a', a, 'self'))).toBe('EINVAL');
    expect(await codeOf(fs.rename(root, 'missing', root, 'x'))).toBe('ENOENT');
    expect(await codeOf(fs.rename(root, 'a', root, '..'))).toBe('EINVAL');
    for (const handle of [root, deep, a]) fs.release(handle);
  });

  it('onto itself -> nothing changes', async () => {
    await buildTree(fs, { '/r6/a': 'same' });
    await within('/r6', (dir) => fs.rename(dir, 'a', dir, 'a'));
    expect(await dumpTree(fs, '/r6')).toEqual({ '/r6/a': 'same' });
  });

  it('exchange: two entries across directories -> swapped; a missing one -> ENOENT', async () => {
    await buildTree(fs, { '/r7/x/a': 'A', '/r7/y/b/inner': 'B' });
    const x = await fs.lookup('/r7/x');
    const y = await fs.lookup('/r7/y');
    await fs.rename(x, 'a', y, 'b', { exchange: true });
    expect(await dumpTree(fs, '/r7')).toEqual({ '/r7/x/': null, '/r7/x/a/': null, '/r7/x/a/inner': 'B', '/r7/y/': null, '/r7/y/b': 'A' });
    expect(await codeOf(fs.rename(x, 'a', y, 'none', { exchange: true }))).toBe('ENOENT');
    fs.release(x);
    fs.release(y);
  });

  it('a handle open across its rename: its entry is gone (ENOENT) until updateParent names the new one', async () => {
    await buildTree(fs, { '/r12/a': 'abcdef', '/r12/sub/': null });
    const dir = await fs.lookup('/r12');
    const sub = await fs.lookup('/r12/sub');
    const file = await fs.open(dir, 'a', O_RDWR);
    await fs.rename(dir, 'a', sub, 'b');
    expect(await codeOf(fs.setattr(file, { size: 2 }))).toBe('ENOENT');
    expect(() => fs.updateParent(file, file, 'b')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    fs.updateParent(file, sub, 'b');
    expect([file.name, file.parent]).toEqual(['b', sub.oid]);
    await fs.setattr(file, { size: 3 });
    expect(await dumpTree(fs, '/r12')).toEqual({ '/r12/sub/': null, '/r12/sub/b': 'abc' });
    for (const handle of [dir, sub, file]) fs.release(handle);
  });

  it('symlink -> moved as a link; target unchanged', async () => {
    await buildTree(fs, { '/r8/t': 'T', '/r8/l': { symlink: '/r8/t' }, '/r8/sub/': null });
    const dir = await fs.lookup('/r8');
    const sub = await fs.lookup('/r8/sub');
    await fs.rename(dir, 'l', sub, 'l2');
    expect(await fs.readlink('/r8/sub/l2')).toBe('/r8/t');
    fs.release(dir);
    fs.release(sub);
  });

  it('across containers -> EXDEV', async () => {
    const other = await freshFs(pool, { transactions });
    await buildTree(fs, { '/r9/a': 'a' });
    const dir = await fs.lookup('/r9');
    expect(await codeOf(fs.rename(dir, 'a', other.root, 'a'))).toBe('EXDEV');
    fs.release(dir);
    await other.unmount();
  });

  it('racing renames of different sources to one target -> exactly one entry there, each source gone', async () => {
    const dir = await fs.mkdir(fs.root, 'r10');
    const otherDir = await fs.mkdir(fs.root, 'r10b');
    for (let round = 0; round < 5; round++) {
      for (const name of ['p', 'q']) fs.release(await fs.open(name === 'p' ? dir : otherDir, `${name}${round}`, O_CREAT | O_EXCL | O_WRONLY));
      const results = await Promise.allSettled([
        fs.rename(dir, `p${round}`, dir, `target${round}`),
        fs.rename(otherDir, `q${round}`, dir, `target${round}`),
      ]);
      for (const result of results) if (result.status === 'rejected') expect(['ENOENT', 'EBUSY']).toContain(result.reason.code);
      expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
      const names = [...(await fs.readdir(dir)).entries, ...(await fs.readdir(otherDir)).entries];
      expect(names.filter((name) => name === `target${round}`)).toHaveLength(1);
      const survivors = names.filter((name) => name.endsWith(String(round)) && name !== `target${round}`);
      expect(survivors.length).toBe(results.filter((result) => result.status === 'rejected').length);
    }
    fs.release(dir);
    fs.release(otherDir);
  });

  it('racing renames of one source -> exactly one wins, the other ENOENT', async () => {
    const dir = await fs.mkdir(fs.root, 'r11');
    for (let round = 0; round < 5; round++) {
      fs.release(await fs.open(dir, `s${round}`, O_CREAT | O_EXCL | O_WRONLY));
      const results = await Promise.allSettled([
        fs.rename(dir, `s${round}`, dir, `a${round}`),
        fs.rename(dir, `s${round}`, fs.root, `b-r11-${round}`),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) if (result.status === 'rejected') expect(result.reason.code).toBe('ENOENT');
      const inDir = (await fs.readdir(dir)).entries.filter((name) => name.endsWith(String(round)));
      const inRoot = (await fs.readdir(fs.root)).entries.filter((name) => name === `b-r11-${round}`);
      expect(inDir.length + inRoot.length).toBe(1);
    }
    fs.release(dir);
  });
});
