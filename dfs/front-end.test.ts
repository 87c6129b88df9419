/**
 * What front ends (dfuse) use beyond the POSIX calls, against a 3-engine in-process cluster: creating on
 * behalf of another owner (root mount only; set-group-ID directories still give their group), special
 * files (FIFOs, sockets, devices: inode records with rdev and no object), dup (another handle with other
 * flags, no lookup), createdStat (attributes of a fresh entry without an RPC) and container attributes.
 */
import { describe, expect, it } from 'vitest';
import type { PoolHandle } from '../engine/client/index.js';
import { silentLog } from '../test/harness/in-process-cluster.js';
import { freshFs } from '../test/harness/dfs-tree.js';
import { codeOf } from '../test/harness/fs-error.js';
import { O_CREAT, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFSOCK, mountDfs } from './index.js';
import { useClusterBed } from '../test/harness/dfs-bed.js';

describe('dfs for front ends', () => {
  let pool: PoolHandle;

  useClusterBed('dfs-front', (bed) => ({ pool } = bed));

  it('owner: a root mount creates files, dirs and symlinks owned by the caller it names', async () => {
    const fs = await freshFs(pool, { credentials: { uid: 0, gid: 0, groups: [] } });
    const owner = { uid: 1500, gid: 1600 };
    const file = await fs.open(fs.root, 'f', O_CREAT | O_RDWR, 0o640, { owner });
    const dir = await fs.mkdir(fs.root, 'd', 0o2775, { owner });
    const link = await fs.symlink(fs.root, 'l', 'f', { owner });
    for (const path of ['/f', '/d']) expect(await fs.stat(path)).toMatchObject(owner);
    expect(await fs.stat('/l', O_NOFOLLOW)).toMatchObject(owner);
    // Under a set-group-ID directory the group is the directory's, whoever creates.
    const inner = await fs.mkdir(dir, 'inner', 0o755, { owner: { uid: 7, gid: 8 } });
    expect(await fs.ostat(inner)).toMatchObject({ uid: 7, gid: 1600 });
    for (const handle of [file, dir, link, inner]) fs.release(handle);
    await fs.unmount();
  });

  it('owner: a non-root mount may not name another owner (EPERM) but may name itself', async () => {
    const root = await freshFs(pool, { credentials: { uid: 0, gid: 0, groups: [] }, label: 'front-owner' });
    await root.chmod('/', 0o777);
    const user = await mountDfs({ pool, cont: 'front-owner', credentials: { uid: 1000, gid: 1000, groups: [] }, log: silentLog });
    expect(await codeOf(user.open(user.root, 'theirs', O_CREAT | O_RDWR, 0o644, { owner: { uid: 1500, gid: 1000 } }))).toBe('EPERM');
    user.release(await user.open(user.root, 'mine', O_CREAT | O_RDWR, 0o644, { owner: { uid: 1000, gid: 1000 } }));
    expect(await user.stat('/mine')).toMatchObject({ uid: 1000, gid: 1000 });
    expect((await user.readdir(user.root)).entries).toEqual(['mine']);
    await user.unmount();
    await root.unmount();
  });

  it('mknod: FIFO, socket, char and block devices are entries with a type, rdev and no object', async () => {
    const fs = await freshFs(pool);
    const types = { fifo: S_IFIFO, sock: S_IFSOCK, chr: S_IFCHR, blk: S_IFBLK };
    for (const [name, type] of Object.entries(types)) fs.release(await fs.mknod(fs.root, name, type | 0o640, type === S_IFCHR || type === S_IFBLK ? 0x0103 : 0));
    for (const [name, type] of Object.entries(types)) {
      const stat = await fs.stat(`/${name}`);
      expect(stat.mode & S_IFMT).toBe(type);
      expect(stat.mode & 0o7777).toBe(0o640);
      expect(stat.kind).toBe('special');
      expect(stat.size).toBe(0);
      expect(stat.rdev).toBe(type === S_IFCHR || type === S_IFBLK ? 0x0103 : 0);
    }
    expect((await fs.readdir(fs.root)).entries.sort()).toEqual(['blk', 'chr', 'fifo', 'sock']);
    // Not a regular file: no data I/O; rename and remove work as for any entry.
    const fifo = await fs.lookup('/fifo');
    expect(await codeOf(fs.read(fifo, 10, 0))).toBe('EINVAL');
    fs.release(fifo);
    await fs.rename(fs.root, 'fifo', fs.root, 'fifo2');
    await fs.remove(fs.root, 'fifo2');
    expect(await codeOf(fs.mknod(fs.root, 'reg', 0o100644))).toBe('EINVAL');
    expect(await codeOf(fs.mknod(fs.root, 'chr', S_IFCHR | 0o600, 1))).toBe('EEXIST');
    await fs.unmount();
  });

  it('dup: another handle on the same entry with other flags, checked like open; O_TRUNC truncates', async () => {
    const fs = await freshFs(pool);
    const baseline = fs.openHandles;
    const file = await fs.open(fs.root, 'data', O_CREAT | O_RDWR, 0o644);
    await fs.write(file, Buffer.from('hello world'), 0);
    const reader = await fs.dup(file, O_RDONLY);
    expect((await fs.read(reader, 5, 6)).toString()).toBe('world');
    expect(await codeOf(fs.write(reader, Buffer.from('x'), 0))).toBe('EBADF');
    const truncating = await fs.dup(reader, O_RDWR | O_TRUNC);
    expect(await fs.getSize(file)).toBe(0);
    const dir = await fs.mkdir(fs.root, 'dir');
    expect(await codeOf(fs.dup(dir, O_RDWR))).toBe('EISDIR');
    for (const handle of [file, reader, truncating, dir]) fs.release(handle);
    expect(fs.openHandles).toBe(baseline);
    await fs.unmount();
  });

  it('createdStat: a fresh entry has the attributes a stat from the engines reports', async () => {
    const fs = await freshFs(pool);
    const file = await fs.open(fs.root, 'new', O_CREAT | O_RDWR, 0o600);
    const dir = await fs.mkdir(fs.root, 'newdir', 0o711);
    const link = await fs.symlink(fs.root, 'newlink', 'some/target');
    for (const handle of [file, dir, link]) {
      expect(handle.created).toBe(true);
      const created = fs.createdStat(handle)!;
      const { mtime: _m, ctime: _c, ...asked } = await fs.ostat(handle);
      const { mtime: _m2, ctime: _c2, ...local } = created;
      expect(local).toEqual(asked);
      fs.release(handle);
    }
    expect(fs.createdStat(fs.root)).toBeUndefined();
    const again = await fs.open(fs.root, 'new', O_CREAT | O_RDWR, 0o600);
    expect(again.created).toBe(false);
    expect(fs.createdStat(again)).toBeUndefined();
    fs.release(again);
    await fs.unmount();
  });

  it('containerAttributes: the named attributes that are set, asked of the service', async () => {
    const fs = await freshFs(pool, { label: 'front-attrs' });
    expect(await fs.containerAttributes(['dfuse-attr-time'])).toEqual({});
    const cont = await pool.openContainer('front-attrs');
    await cont.setAttrs({ 'dfuse-attr-time': '30s', other: 'x' });
    expect(await fs.containerAttributes(['dfuse-attr-time', 'dfuse-data-cache'])).toEqual({ 'dfuse-attr-time': '30s' });
    await fs.unmount();
  });
});
