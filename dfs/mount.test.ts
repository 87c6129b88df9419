/**
 * Superblock, mkfs and mount against a 3-engine in-process cluster: formatting writes a superblock the
 * next mount reads, mkfs twice is EEXIST, an unformatted container is EINVAL unless mounted with create,
 * mounting by system file and pool label, unknown names, unmount.
 */
import { describe, expect, it } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { type InProcessCluster, silentLog } from '../test/harness/in-process-cluster.js';
import { type Dfs, O_CREAT, O_WRONLY, mkfs, mountDfs } from './index.js';
import { codeOf } from '../test/harness/fs-error.js';
import { useClusterBed } from '../test/harness/dfs-bed.js';

describe('dfs mount', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;

  useClusterBed('dfs-mount', (bed) => ({ cluster, pool } = bed));

  it('mkfs: then mount -> root is an empty directory owned by the formatter', async () => {
    await pool.createContainer({ label: 'm1' });
    const cont = await pool.openContainer('m1');
    await mkfs(cont, { uid: 1234, gid: 99, rootPermissions: 0o750 });
    const fs = await mountDfs({ pool, cont: 'm1', log: silentLog });
    const stat = await fs.stat('/');
    expect(stat.kind).toBe('dir');
    expect(stat.mode & 0o7777).toBe(0o750);
    expect([stat.uid, stat.gid]).toEqual([1234, 99]);
    expect(stat.ino).toBe(1n);
    expect((await fs.readdir(fs.root)).entries).toEqual([]);
    await fs.unmount();
  });

  it('mkfs: twice -> EEXIST', async () => {
    await pool.createContainer({ label: 'm2' });
    const cont = await pool.openContainer('m2');
    await mkfs(cont);
    expect(await codeOf(mkfs(cont))).toBe('EEXIST');
  });

  it('mkfs: two racing -> exactly one succeeds, the other EEXIST', async () => {
    await pool.createContainer({ label: 'm3' });
    const cont = await pool.openContainer('m3');
    const results = await Promise.allSettled([mkfs(cont), mkfs(cont)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason.code).toBe('EEXIST');
  });

  it('mount: unformatted container -> EINVAL', async () => {
    await pool.createContainer({ label: 'm4' });
    expect(await codeOf(mountDfs({ pool, cont: 'm4', log: silentLog }))).toBe('EINVAL');
  });

  it('mount: create on an empty container -> formats it; a second create mount reuses it', async () => {
    await pool.createContainer({ label: 'm5' });
    const first = await mountDfs({ pool, cont: 'm5', create: true, log: silentLog });
    fsCheck(first);
    const dir = await first.mkdir(first.root, 'kept');
    first.release(dir);
    const second = await mountDfs({ pool, cont: 'm5', create: true, log: silentLog });
    expect((await second.readdir(second.root)).entries).toEqual(['kept']);
    await Promise.all([first.unmount(), second.unmount()]);
  });

  it('mount: by system file and pool label -> works, unmount closes its own pool connection', async () => {
    await pool.createContainer({ label: 'm6' });
    const fs = await mountDfs({ system: cluster.system, pool: cluster.poolLabel, cont: 'm6', create: { chunkSizeBytes: 4096 }, log: silentLog });
    const file = await fs.open(fs.root, 'f', O_CREAT | O_WRONLY, 0o644);
    expect(file.inode.chunkSizeBytes).toBe(4096);
    fs.release(file);
    await fs.unmount();
    expect(await codeOf(fs.stat('/'))).toBe('EBADF');
  });

  it('mkfs: replicated classes other than the container defaults -> mount finds them, entries use them', async () => {
    await pool.createContainer({ label: 'm8' });
    const cont = await pool.openContainer('m8');
    await mkfs(cont, { dirOclass: 'RP_2G1', fileOclass: 'RP_3GX', chunkSizeBytes: 8192 });
    const fs = await mountDfs({ pool, cont: 'm8', log: silentLog });
    const dir = await fs.mkdir(fs.root, 'd');
    const file = await fs.open(dir, 'f', O_CREAT | O_WRONLY);
    await fs.write(file, Buffer.alloc(20_000, 3), 0);
    expect(file.inode.oclass).toBe('RP_3GX');
    expect(file.inode.chunkSizeBytes).toBe(8192);
    expect((await fs.stat('/d/f')).size).toBe(20_000);
    fs.release(file);
    fs.release(dir);
    await fs.unmount();
  });

  it('mount: unknown container -> ENOENT', async () => {
    expect(await codeOf(mountDfs({ pool, cont: 'no-such-cont', log: silentLog }))).toBe('ENOENT');
  });

  it('mount: non-POSIX container with create -> EINVAL', async () => {
    await pool.createContainer({ label: 'm7', props: { layout: 'HDF5' } });
    expect(await codeOf(mountDfs({ pool, cont: 'm7', create: true, log: silentLog }))).toBe('EINVAL');
  });
});

function fsCheck(fs: Dfs): void {
  expect(fs.readOnly).toBe(false);
  expect(fs.openHandles).toBe(1);
}
