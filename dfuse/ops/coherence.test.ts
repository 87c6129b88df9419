/**
 * dfuse's path operations against a real DFS mount of a 3-engine in-process cluster, where a stat
 * overlaps changes made through the same mount: the kernel keeps its own size across writes and drops
 * the attributes of a reply that a write overtook, so the daemon must never cache such a reply and hand
 * it out later (the end of an appended file would vanish for the attribute time). Also: a create that
 * finds the name taken (another client made it after the kernel's lookup) reports the file as it is; in a
 * directory made or listed whole here, names are known missing until made or listed here.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dfs, O_APPEND, O_CREAT, O_RDWR } from '../../dfs/index.js';
import { DataCache } from '../data-cache.js';
import { FileTable } from '../file-table.js';
import { SnapshotDir } from '../snapshot-dir.js';
import type { DfuseState } from '../state.js';
import { View } from '../view.js';
import { getattr } from './getattr.js';
import { mkdir } from './mkdir.js';
import { create } from './open.js';
import { readdir } from './readdir.js';
import { release } from './release.js';
import { unlink } from './remove.js';
import { chmod, chown, utimens } from './setattr.js';
import { syncFile } from './sync.js';
import { write } from './write.js';
import { getxattr, knownMissingXattr, setxattr } from './xattr.js';
import { useDfsBed } from '../../test/harness/dfs-bed.js';
import type { InProcessCluster } from '../../test/harness/in-process-cluster.js';

const LINE = Buffer.from(`${'x'.repeat(48)}\n`);

describe('dfuse ops: stats stay true to changes made meanwhile', () => {
  let fs: Dfs;
  let cluster: InProcessCluster;
  let state: DfuseState;

  useDfsBed('dfuse-coherence', (bed) => ({ fs, cluster } = bed));

  beforeAll(async () => {
    const validity = { dentryMs: 60_000, dentryDirMs: 60_000, attrMs: 60_000, negativeMs: 60_000 };
    state = {
      live: new View(fs, validity, ''), snapshots: new SnapshotDir(fs, () => Promise.reject(new Error('no snapshots here')), validity),
      files: new FileTable(), data: new DataCache(), dataCaching: true, multiUser: false, self: { uid: 0, gid: 0 }, log: pino({ level: 'silent' }),
    };
  });

  afterAll(async () => {
    state?.live.map.clear();
  });

  /** What dfuse's request dispatcher does as it answers a request that changes something (listing-reuse.ts); these tests call the ops directly. */
  const changedHere = (): void => state.live.listings.noteChange();

  it('appends answered from write-back while a getattr queries the size: the next getattr has them all', async () => {
    const fh = await create(state, { uid: 0, gid: 0 }, '/log', 0o644);
    let end = 0;
    const append = async (): Promise<void> => {
      end += await write(state, '/log', fh, Buffer.from(LINE), end);
    };
    for (let line = 0; line < 10; line += 1) await append();
    for (let round = 0; round < 5; round += 1) {
      state.live.map.forgetStat('/log');
      const overlapped = getattr(state, '/log');
      // Answered from the write-back buffer at once, while the getattr's size query is on the wire.
      for (let line = 0; line < 5; line += 1) await append();
      const seen = (await overlapped).size;
      expect(seen).toBeLessThanOrEqual(end);
      expect((await getattr(state, '/log')).size).toBe(end);
    }
    await syncFile(state, fh, 'fsync');
    state.live.map.forgetStat('/log');
    expect((await getattr(state, '/log')).size).toBe(end);
    await release(state, fh);
  });

  it("tar's restore after each file (chown, chmod, utimens): the size of writes still buffered, no size query", async () => {
    const queries = (): number => cluster.requestsTotal('obj_query_max', 'obj_coll_query_max', 'obj_multi_query_max');
    const fh = await create(state, { uid: 0, gid: 0 }, '/restored', 0o600);
    const data = Buffer.alloc(300_000, 7);
    await write(state, '/restored', fh, data, 0);
    await write(state, '/restored', fh, data.subarray(0, 1000), data.length);
    await release(state, fh);
    const before = queries();
    const past = { seconds: 1_000_000_000, nanoseconds: 11 };
    await chown(state, '/restored', 12, 34);
    await chmod(state, '/restored', 0o640);
    await utimens(state, '/restored', past, past);
    expect(queries() - before).toBe(0);
    const stat = await getattr(state, '/restored');
    expect([stat.size, stat.uid, stat.gid, stat.mode & 0o7777, stat.mtime]).toEqual([301_000, 12, 34, 0o640, past.seconds * 1000]);
    // The engines agree.
    const stored = await fs.stat('/restored');
    expect([stored.size, stored.uid, stored.mode & 0o7777, stored.mtime]).toEqual([301_000, 12, 0o640, past]);
  });

  it('O_APPEND without the page cache: a write lands at the end as the engines have it, past what another client appended', async () => {
    const validity = { dentryMs: 0, dentryDirMs: 0, attrMs: 0, negativeMs: 0 };
    const uncached: DfuseState = { ...state, live: new View(fs, validity, ''), files: new FileTable(), data: new DataCache(), dataCaching: false };
    const appending = await create(uncached, { uid: 0, gid: 0 }, '/shared-log', 0o644, O_RDWR | O_APPEND);
    const plain = await create(uncached, { uid: 0, gid: 0 }, '/shared-log', 0o644, O_RDWR);
    await write(uncached, '/shared-log', appending, Buffer.alloc(100, 1), 0);
    const other = await fs.lookupRel(fs.root, 'shared-log', O_RDWR);
    await fs.write(other, Buffer.alloc(50, 2), 100);
    fs.release(other);
    // The kernel's idea of the end (100) missed the other client's append.
    await write(uncached, '/shared-log', appending, Buffer.alloc(30, 3), 100);
    await write(uncached, '/shared-log', plain, Buffer.alloc(10, 4), 0);
    await release(uncached, appending);
    await release(uncached, plain);
    const file = await fs.lookupRel(fs.root, 'shared-log');
    const bytes = Buffer.alloc(200);
    const length = await fs.read(file, bytes, 0);
    fs.release(file);
    expect(length).toBe(180);
    expect([bytes[0], bytes[10], bytes[100], bytes[149], bytes[150], bytes[179]]).toEqual([4, 1, 2, 2, 3, 3]);
  });

  it('create of a name another client made since the lookup: the file is opened and its size is its own', async () => {
    const elsewhere = await fs.open(fs.root, 'taken', O_CREAT | O_RDWR, 0o644);
    await fs.write(elsewhere, Buffer.alloc(5000, 7), 0);
    fs.release(elsewhere);
    const fh = await create(state, { uid: 0, gid: 0 }, '/taken', 0o600);
    expect((await getattr(state, '/taken')).size).toBe(5000);
    await release(state, fh);
  });

  it('a directory made here: other names known missing; made here or listed here, never', async () => {
    await mkdir(state, { uid: 0, gid: 0 }, '/known', 0o755);
    expect(state.live.map.missingFor('/known/mine')).toBeGreaterThan(0);
    expect(state.live.map.missingFor('/known/theirs')).toBeGreaterThan(0);
    await release(state, await create(state, { uid: 0, gid: 0 }, '/known/mine', 0o644));
    expect(state.live.map.missingFor('/known/mine'), 'made here').toBe(0);
    const dir = await fs.lookupRel(fs.root, 'known');
    fs.release(await fs.open(dir, 'theirs', O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    expect(state.live.map.missingFor('/known/theirs'), 'made elsewhere: not known yet').toBeGreaterThan(0);
    expect((await readdir(state, '/known')).names).toContain('theirs');
    expect(state.live.map.missingFor('/known/theirs'), 'listed here').toBe(0);
    expect(state.live.map.missingFor('/known/nobody')).toBeGreaterThan(0);
  });

  it('a directory listed whole here: names it did not list are known missing, those made here since are not', async () => {
    const dir = await fs.mkdir(fs.root, 'listed');
    fs.release(await fs.open(dir, 'before', O_CREAT | O_RDWR, 0o644));
    expect(state.live.map.missingFor('/listed/other'), 'never listed: ask the engines').toBe(0);
    expect((await readdir(state, '/listed')).names).toEqual(['.', '..', 'before']);
    expect(state.live.map.missingFor('/listed/before')).toBe(0);
    expect(state.live.map.missingFor('/listed/other')).toBeGreaterThan(0);
    await release(state, await create(state, { uid: 0, gid: 0 }, '/listed/other', 0o644));
    changedHere();
    expect(state.live.map.missingFor('/listed/other'), 'made here after the listing').toBe(0);
    fs.release(await fs.open(dir, 'elsewhere', O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    expect(state.live.map.missingFor('/listed/elsewhere'), 'made elsewhere after the listing: within the negative time').toBeGreaterThan(0);
    expect((await readdir(state, '/listed')).names).toContain('elsewhere');
    expect(state.live.map.missingFor('/listed/elsewhere'), 'listed again').toBe(0);
  });

  it('xattr probes of listed entries: answered from the listing; a change here is seen at once', async () => {
    const dir = await fs.mkdir(fs.root, 'probed');
    for (const name of ['bare', 'labelled']) fs.release(await fs.open(dir, name, O_CREAT | O_RDWR, 0o644));
    const labelled = await fs.lookupRel(dir, 'labelled');
    await fs.setxattr(labelled, 'security.selinux', Buffer.from('label'));
    fs.release(labelled);
    fs.release(dir);
    expect(knownMissingXattr(state, '/probed/bare', 'security.selinux'), 'not listed yet').toBe(false);
    await readdir(state, '/probed');
    expect(knownMissingXattr(state, '/probed/bare', 'security.selinux')).toBe(true);
    expect(knownMissingXattr(state, '/probed/bare', 'system.posix_acl_access')).toBe(true);
    expect(knownMissingXattr(state, '/probed/bare', 'user.other'), 'only names anyone may read are answered so').toBe(false);
    expect(knownMissingXattr(state, '/probed/labelled', 'security.selinux')).toBe(false);
    expect((await getxattr(state, '/probed/labelled', 'security.selinux')).toString()).toBe('label');
    await setxattr(state, '/probed/bare', 'security.selinux', Buffer.from('new'), 0);
    expect(knownMissingXattr(state, '/probed/bare', 'security.selinux'), 'set here').toBe(false);
    expect((await getxattr(state, '/probed/bare', 'security.selinux')).toString()).toBe('new');
  });

  it('a directory listed again while nothing changed here: answered from the first listing, no RPC; after a change, listed anew', async () => {
    const lists = (): number => cluster.requestsTotal('obj_list_dkeys');
    const dir = await fs.mkdir(fs.root, 'listed-again');
    for (const name of ['a', 'b']) fs.release(await fs.open(dir, name, O_CREAT | O_RDWR, 0o644));
    const first = await readdir(state, '/listed-again');
    const before = lists();
    expect(await readdir(state, '/listed-again')).toEqual(first);
    expect(lists() - before).toBe(0);
    fs.release(await fs.open(dir, 'elsewhere', O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    expect((await readdir(state, '/listed-again')).names, 'made elsewhere: not within the times').toEqual(['.', '..', 'a', 'b']);
    changedHere();
    expect((await readdir(state, '/listed-again')).names).toEqual(['.', '..', 'a', 'b', 'elsewhere']);
    expect(lists() - before).toBeGreaterThan(0);
  });

  it('names a readdir listed need no lookup here: the listing cached a handle for each (rm -r unlinks them next)', async () => {
    const fetches = (): number => cluster.requestsTotal('obj_fetch');
    const dir = await fs.mkdir(fs.root, 'listed-handles');
    for (let index = 0; index < 20; index += 1) fs.release(await fs.open(dir, `f${index}`, O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    const listing = await readdir(state, '/listed-handles');
    expect(listing.names.filter((name) => name.startsWith('f'))).toHaveLength(20);
    const before = fetches();
    for (let index = 0; index < 20; index += 1) await unlink(state, `/listed-handles/f${index}`);
    changedHere();
    expect(fetches() - before).toBe(0);
    expect((await readdir(state, '/listed-handles')).names).toEqual(['.', '..']);
  });

  it('a file made here, stat\'ed a while later with attribute caching off: asked of the engines, with what another client wrote since', async () => {
    const view = new View(fs, { dentryMs: 60_000, dentryDirMs: 60_000, attrMs: 0, negativeMs: 60_000 }, '');
    const uncached: DfuseState = { ...state, live: view, files: new FileTable(), data: new DataCache() };
    await release(uncached, await create(uncached, { uid: 0, gid: 0 }, '/made-here', 0o644));
    const other = await fs.lookupRel(fs.root, 'made-here', O_RDWR);
    await fs.write(other, Buffer.alloc(700, 1), 0);
    fs.release(other);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await getattr(uncached, '/made-here')).size).toBe(700);
    view.map.clear();
  });

  it('a name a listing found, its attribute time run out: its stat is asked of the engines, with what another client changed since', async () => {
    const dir = await fs.mkdir(fs.root, 'listed-stats');
    for (const name of ['a', 'b']) fs.release(await fs.open(dir, name, O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    // Attribute caching off (the names trusted as before), and a short attribute time.
    for (const attrMs of [0, 200]) {
      const view = new View(fs, { dentryMs: 60_000, dentryDirMs: 60_000, attrMs, negativeMs: 60_000 }, '');
      const listing: DfuseState = { ...state, live: view, files: new FileTable(), data: new DataCache() };
      expect((await readdir(listing, '/listed-stats')).names).toContain('a');
      const other = await fs.lookupRel(fs.root, 'listed-stats');
      const file = await fs.lookupRel(other, 'a', O_RDWR);
      const size = 1000 + attrMs;
      await fs.write(file, Buffer.alloc(size, 1), 0);
      fs.release(file);
      fs.release(other);
      await new Promise((resolve) => setTimeout(resolve, attrMs + 20));
      expect((await getattr(listing, '/listed-stats/a')).size, `attribute time ${attrMs} ms`).toBe(size);
      view.map.clear();
    }
  });
});
