/**
 * Directory listing on a 3-engine in-process cluster: anchors resume where a page ended, each entry
 * once; readdirplus gives attributes (readdirplusHandles also handles, as lookups would give them); anchors survive JSON (another process could continue); anchor
 * split gives one anchor per group of an SX directory; and a 100,000-entry SX directory lists
 * completely, each entry once, serially and with the split anchors in parallel (figures are logged).
 */
import { describe, expect, it, vi } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { buildTree } from '../test/harness/dfs-tree.js';
import { type InProcessCluster } from '../test/harness/in-process-cluster.js';
import { mapBounded } from '../engine/client/index.js';
import { type Credentials, type Dfs, type DfsObject, type DfsStat, type DirAnchor, mountDfs, O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, oidEquals } from './index.js';
import { silentLog } from '../test/harness/in-process-cluster.js';
import { FsError } from './errors.js';
import { InodeTable } from './inode-table.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

const LARGE_ENTRIES = 100_000;
const CREATES_IN_FLIGHT = 64;

/** Every name from `anchor` on, `count` per call. */
async function listAll(fs: Dfs, dir: DfsObject, anchor: DirAnchor | undefined, count: number): Promise<string[]> {
  const names: string[] = [];
  let next = anchor ?? fs.anchorStart();
  while (!next.eof) {
    const page = await fs.readdir(dir, next, count);
    names.push(...page.entries);
    next = page.anchor;
  }
  return names;
}

describe('dfs readdir', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;
  let fs: Dfs;

  useDfsBed('dfs-readdir', (bed) => ({ cluster, pool, fs } = bed));

  it('readdir: pages of 7 over 50 entries -> every entry once, eof at the end', async () => {
    const dir = await fs.mkdir(fs.root, 'pages', 0o755, { oclass: 'SX' });
    const names = Array.from({ length: 50 }, (_, index) => `entry-${index}`);
    await mapBounded(names, 16, async (name) => fs.release(await fs.open(dir, name, O_CREAT | O_EXCL | O_WRONLY)));
    const listed = await listAll(fs, dir, undefined, 7);
    expect(listed.sort()).toEqual([...names].sort());
    fs.release(dir);
  });

  it('readdir: anchor through JSON -> the listing continues where it stopped', async () => {
    await buildTree(fs, Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`/json/n${index}`, ''])));
    const dir = await fs.lookup('/json');
    const first = await fs.readdir(dir, undefined, 8);
    const resumed = JSON.parse(JSON.stringify(first.anchor)) as DirAnchor;
    const rest = await listAll(fs, dir, resumed, 5);
    expect([...first.entries, ...rest].sort()).toEqual(Array.from({ length: 20 }, (_, index) => `n${index}`).sort());
    fs.release(dir);
  });

  it('readdirplus: entries with their attributes', async () => {
    await buildTree(fs, { '/plus/f': 'hello', '/plus/d/': null, '/plus/l': { symlink: 'f' } });
    const dir = await fs.lookup('/plus');
    const page = await fs.readdirplus(dir);
    const byName = Object.fromEntries(page.entries.map((entry) => [entry.name, entry.stat]));
    expect(Object.keys(byName).sort()).toEqual(['d', 'f', 'l']);
    expect([byName['f']!.kind, byName['f']!.size]).toEqual(['file', 5]);
    expect(byName['d']!.kind).toBe('dir');
    expect([byName['l']!.kind, byName['l']!.size]).toEqual(['symlink', 1]);
    expect(page.anchor.eof).toBe(true);
    fs.release(dir);
  });

  it('readdirplus in pages: every entry once, with its kind, size and symlink length', async () => {
    const tree: Record<string, string | null | { symlink: string }> = {};
    for (let index = 0; index < 20; index += 1) {
      tree[`/plus-pages/f${index}`] = 'x'.repeat(index);
      tree[`/plus-pages/l${index}`] = { symlink: `f${index}`.padEnd(index + 2, '/') };
    }
    tree['/plus-pages/d/'] = null;
    await buildTree(fs, tree);
    const dir = await fs.lookup('/plus-pages');
    const stats = new Map<string, DfsStat>();
    const queries = (): number => cluster.requestsTotal('obj_multi_query_max', 'obj_coll_query_max', 'obj_query_max', 'obj_fetch');
    const before = queries();
    let pages = 0;
    let anchor: DirAnchor | undefined;
    do {
      const page = await fs.readdirplus(dir, anchor, 6);
      pages += 1;
      expect(page.entries.length).toBeLessThanOrEqual(6);
      for (const entry of page.entries) {
        expect(stats.has(entry.name), `${entry.name} once`).toBe(false);
        stats.set(entry.name, entry.stat);
      }
      anchor = page.anchor;
    } while (!anchor.eof);
    expect(stats.size).toBe(41);
    expect(queries() - before, 'no fetch per entry, one size query per engine per page').toBeLessThanOrEqual(3 * pages);
    for (let index = 0; index < 20; index += 1) {
      expect([stats.get(`f${index}`)!.kind, stats.get(`f${index}`)!.size]).toEqual(['file', index]);
      expect([stats.get(`l${index}`)!.kind, stats.get(`l${index}`)!.size]).toEqual(['symlink', Math.max(index + 2, `f${index}`.length)]);
    }
    expect(stats.get('d')!.kind).toBe('dir');
    fs.release(dir);
  });

  it('readdirplus: each entry comes with its xattr names, unless it has too many to list', async () => {
    await buildTree(fs, { '/plus-x/bare': '', '/plus-x/tagged': '', '/plus-x/crowded': '' });
    const tagged = await fs.lookup('/plus-x/tagged');
    await fs.setxattr(tagged, 'user.colour', Buffer.from('blue'));
    await fs.setxattr(tagged, 'security.selinux', Buffer.from('label'));
    fs.release(tagged);
    const crowded = await fs.lookup('/plus-x/crowded');
    for (let index = 0; index < 20; index += 1) await fs.setxattr(crowded, `user.n${index}`, Buffer.from('v'));
    fs.release(crowded);
    const dir = await fs.lookup('/plus-x');
    const page = await fs.readdirplus(dir);
    const byName = Object.fromEntries(page.entries.map((entry) => [entry.name, entry.xattrs]));
    expect(byName['bare']).toEqual([]);
    expect([...byName['tagged']!].sort()).toEqual(['security.selinux', 'user.colour']);
    expect(byName['crowded'], 'more akeys than a listing returns: unknown').toBeUndefined();
    fs.release(dir);
  });

  it('readdirplusHandles: each handle is what a lookup gives (object, kind, stat) and works; no search permission -> EACCES', async () => {
    await buildTree(fs, { '/hplus/f': 'hello', '/hplus/d/x': '', '/hplus/l': { symlink: 'f' } });
    const dir = await fs.lookup('/hplus');
    const page = await fs.readdirplusHandles(dir);
    expect(page.anchor.eof).toBe(true);
    expect(page.entries.map((entry) => entry.name).sort()).toEqual(['d', 'f', 'l']);
    for (const entry of page.entries) {
      const looked = await fs.lookupRel(dir, entry.name, O_NOFOLLOW);
      expect([oidEquals(entry.handle.oid, looked.oid), entry.handle.kind], entry.name).toEqual([true, looked.kind]);
      expect(entry.stat, entry.name).toEqual(await fs.ostat(looked));
      fs.release(looked);
    }
    const file = page.entries.find((entry) => entry.name === 'f')!.handle;
    expect((await fs.read(file, 5, 0)).toString()).toBe('hello');
    for (const entry of page.entries) fs.release(entry.handle);
    // Listable (r) but not searchable (no x) by another user: a listing yes, handles no.
    await fs.chmod('/hplus', 0o744);
    const other: Credentials = { uid: 1000, gid: 1000, groups: [] };
    const mount = await mountDfs({ pool, cont: fs.root.mount.cont.uuid, credentials: other, log: silentLog });
    const seen = await mount.lookup('/hplus');
    expect((await mount.readdir(seen)).entries.sort()).toEqual(['d', 'f', 'l']);
    expect(await codeOf(mount.readdirplusHandles(seen))).toBe('EACCES');
    mount.release(seen);
    await mount.unmount();
    fs.release(dir);
  });

  it('readdirplusHandles: the mount out of handles part way through a page (ENFILE) -> none of the page\'s handles stays open', async () => {
    await buildTree(fs, { '/enfile/a': '', '/enfile/b': '', '/enfile/c': '', '/enfile/d': '' });
    const dir = await fs.lookup('/enfile');
    const before = fs.openHandles;
    const original = InodeTable.prototype.acquire;
    let granted = 0;
    const spy = vi.spyOn(InodeTable.prototype, 'acquire').mockImplementation(function (this: InodeTable, oid) {
      if (granted++ === 2) throw new FsError('ENFILE', { detail: 'test: handles run out' });
      original.call(this, oid);
    });
    try {
      expect(await codeOf(fs.readdirplusHandles(dir))).toBe('ENFILE');
    } finally {
      spy.mockRestore();
    }
    expect(granted, 'two handles made before the third failed').toBe(3);
    expect(fs.openHandles, 'the two made were released').toBe(before);
    const page = await fs.readdirplusHandles(dir);
    expect(page.entries.length).toBe(4);
    for (const entry of page.entries) fs.release(entry.handle);
    expect(fs.openHandles).toBe(before);
    fs.release(dir);
  });

  it('readdir: on a file -> ENOTDIR; count 0 -> EINVAL; a foreign anchor -> EINVAL', async () => {
    await buildTree(fs, { '/errs/f': '' });
    const dir = await fs.lookup('/errs');
    const file = await fs.lookup('/errs/f');
    expect(await codeOf(fs.readdir(file))).toBe('ENOTDIR');
    expect(await codeOf(fs.readdir(dir, undefined, 0))).toBe('EINVAL');
    expect(await codeOf(fs.readdir(dir, { group: 99, cursor: null, pinned: false, eof: false }))).toBe('EINVAL');
    fs.release(file);
    fs.release(dir);
  });

  it(`large SX directory: ${LARGE_ENTRIES} entries -> listed completely, each once, serially and split in parallel`, async () => {
    const dir = await fs.mkdir(fs.root, 'large', 0o755, { oclass: 'SX' });
    const names = Array.from({ length: LARGE_ENTRIES }, (_, index) => `file-${index.toString(36)}`);
    const createStart = performance.now();
    await mapBounded(names, CREATES_IN_FLIGHT, async (name) => fs.release(await fs.open(dir, name, O_CREAT | O_EXCL | O_WRONLY, 0o644)));
    const createMs = performance.now() - createStart;

    const serialStart = performance.now();
    const serial = await listAll(fs, dir, undefined, 4096);
    const serialMs = performance.now() - serialStart;
    expect(serial.length).toBe(LARGE_ENTRIES);
    expect(new Set(serial).size).toBe(LARGE_ENTRIES);

    const anchors = await fs.anchorSplit(dir);
    expect(anchors.length).toBe(6);
    const parallelStart = performance.now();
    const parts = await Promise.all(anchors.map((anchor) => listAll(fs, dir, anchor, 4096)));
    const parallelMs = performance.now() - parallelStart;
    const parallel = parts.flat();
    expect(parallel.length).toBe(LARGE_ENTRIES);
    expect(new Set(parallel)).toEqual(new Set(names));
    for (const part of parts) expect(part.length).toBeGreaterThan(0);
    console.log(JSON.stringify({
      bench: 'dfs-large-dir', entries: LARGE_ENTRIES, groups: anchors.length,
      createsPerSecond: Math.round(LARGE_ENTRIES / (createMs / 1000)), listSerialMs: Math.round(serialMs), listSplitParallelMs: Math.round(parallelMs),
    }));
    fs.release(dir);
  }, 120_000);
});
