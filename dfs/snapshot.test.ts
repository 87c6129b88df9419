/**
 * Snapshots, read-only mounts, statfs and a full pool on in-process clusters: a snapshot mount shows the
 * namespace and data as they were, every change through it (or through a readOnly mount) is EROFS;
 * statfs reflects capacity and use; writing past a small pool's capacity is ENOSPC.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { buildTree, dumpTree, freshFs } from '../test/harness/dfs-tree.js';
import { type InProcessCluster, silentLog, startInProcessCluster } from '../test/harness/in-process-cluster.js';
import { type Dfs, FsError, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, W_OK, mountDfs } from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

describe('dfs snapshots and read-only mounts', () => {
  let pool: PoolHandle;
  let fs: Dfs;
  let snap: Dfs;

  useDfsBed('dfs-snap', (bed) => ({ pool, fs } = bed));

  beforeAll(async () => {
    await buildTree(fs, { '/d/f': 'version one', '/d/g': 'g', '/l': { symlink: 'd/f' } });
    await fs.createSnapshot('s1');
    const dir = await fs.lookup('/d');
    const file = await fs.open(dir, 'f', O_RDWR | O_TRUNC);
    await fs.write(file, Buffer.from('version two, longer'), 0);
    fs.release(file);
    await fs.remove(dir, 'g');
    fs.release(await fs.open(dir, 'h', O_CREAT | O_WRONLY));
    fs.release(dir);
    snap = await mountDfs({ pool, cont: fs.root.mount.cont.uuid, snapshot: 's1', log: silentLog });
  });

  afterAll(async () => {
    await snap?.unmount();
  });

  it('snapshot mount: tree and data as they were at the snapshot; live mount sees the changes', async () => {
    expect(snap.readOnly).toBe(true);
    expect(snap.snapshot?.name).toBe('s1');
    expect(await dumpTree(snap)).toEqual({ '/d/': null, '/d/f': 'version one', '/d/g': 'g', '/l': { symlink: 'd/f' } });
    expect(await dumpTree(fs)).toEqual({ '/d/': null, '/d/f': 'version two, longer', '/d/h': '', '/l': { symlink: 'd/f' } });
    expect((await snap.stat('/l')).size).toBe(11);
  });

  it('snapshot mount: every change -> EROFS', async () => {
    const dir = await snap.lookup('/d');
    const file = await snap.open(dir, 'f', O_RDONLY);
    const changes: (() => Promise<unknown>)[] = [
      () => snap.open(dir, 'new', O_CREAT | O_WRONLY),
      () => snap.open(dir, 'f', O_WRONLY),
      () => snap.mkdir(dir, 'x'),
      () => snap.symlink(dir, 's', 'f'),
      () => snap.remove(dir, 'f'),
      () => snap.rename(dir, 'f', dir, 'f2'),
      () => snap.setattr(file, { mode: 0o600 }),
      () => snap.chmod('/d/f', 0o600),
      () => snap.setxattr(file, 'user.a', Buffer.from('a')),
      () => snap.removexattr(file, 'user.a'),
      () => snap.access('/d/f', W_OK),
      () => snap.createSnapshot('nested'),
    ];
    for (const change of changes) expect(await codeOf(change())).toBe('EROFS');
    expect(await codeOf(snap.write(file, Buffer.from('x'), 0))).toBe('EROFS');
    const opened = await snap.open(dir, 'f', O_CREAT | O_RDONLY);
    expect((await snap.read(opened, 100, 0)).toString()).toBe('version one');
    for (const handle of [file, opened, dir]) snap.release(handle);
  });

  it('readOnly mount: reads work, changes -> EROFS', async () => {
    const ro = await mountDfs({ pool, cont: fs.root.mount.cont.uuid, readOnly: true, log: silentLog });
    expect((await ro.stat('/d/f')).size).toBe(19);
    expect(await codeOf(ro.mkdir(ro.root, 'x'))).toBe('EROFS');
    const dir = await ro.lookup('/d');
    const file = await ro.open(dir, 'f', O_RDWR).catch((error: unknown) => error);
    expect((file as FsError).code).toBe('EROFS');
    ro.release(dir);
    await ro.unmount();
  });

  it('snapshots: listed oldest first; unknown snapshot mount -> ENOENT', async () => {
    await fs.createSnapshot('s2');
    expect((await fs.listSnapshots()).map((entry) => entry.name)).toEqual(['s1', 's2']);
    expect(await codeOf(mountDfs({ pool, cont: fs.root.mount.cont.uuid, snapshot: 'nope', log: silentLog }))).toBe('ENOENT');
    await fs.destroySnapshot('s2');
    expect((await fs.listSnapshots()).map((entry) => entry.name)).toEqual(['s1']);
  });

  it('statfs: unlimited pool -> unlimited, used bytes grow with data', async () => {
    const before = await fs.statfs();
    expect(before.unlimited).toBe(true);
    expect(before.nameBytesMax).toBe(255);
    const file = await fs.open(fs.root, 'space', O_CREAT | O_WRONLY);
    await fs.write(file, randomBytes(2 * 1024 * 1024), 0);
    fs.release(file);
    const after = await fs.statfs();
    expect(after.usedBytes).toBeGreaterThan(before.usedBytes);
    expect(after.freeBytes).toBeGreaterThan(0);
  });
});

describe('dfs on a small pool', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;
  let fs: Dfs;
  const capacityBytesPerTarget = 4 * 1024 * 1024;

  beforeAll(async () => {
    cluster = await startInProcessCluster({ prefix: 'dfs-full', capacityBytesPerTarget });
    pool = await cluster.connect();
    fs = await freshFs(pool);
  });

  afterAll(async () => {
    await fs?.unmount();
    await pool?.disconnect();
    await cluster?.stop();
  });

  it('statfs: total = capacity of all targets, free shrinks with data', async () => {
    const stat = await fs.statfs();
    expect(stat.unlimited).toBe(false);
    expect(stat.totalBytes).toBe(6 * capacityBytesPerTarget);
    expect(stat.freeBytes).toBeLessThanOrEqual(stat.totalBytes);
    expect(stat.blocks).toBe(Math.floor(stat.totalBytes / stat.blockSizeBytes));
  });

  it('write: past the pool capacity -> ENOSPC', async () => {
    const file = await fs.open(fs.root, 'big', O_CREAT | O_WRONLY, 0o644, { oclass: 'SX' });
    expect(await codeOf(fs.write(file, randomBytes(40 * 1024 * 1024), 0))).toBe('ENOSPC');
    fs.release(file);
  });
});
