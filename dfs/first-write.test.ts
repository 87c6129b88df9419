/**
 * The unwritten mark (first-write.ts) on a 3-engine in-process cluster: stat, open and remove of what was
 * never written ask no object; a first write or truncate clears the mark before it writes, so other mounts,
 * stale handles and snapshots still see the right sizes; a directory another mount filled is not removed as
 * empty; containers of DFS layout 1 get no mark.
 */
import { describe, expect, it } from 'vitest';
import { type PoolHandle } from '../engine/client/index.js';
import { SUPERBLOCK_DKEY } from './layout.js';
import { freshFs, freshFsTwice } from '../test/harness/dfs-tree.js';
import { codeOf } from '../test/harness/fs-error.js';
import { type InProcessCluster, silentLog } from '../test/harness/in-process-cluster.js';
import { O_CREAT, O_RDWR, O_WRONLY, mountDfs } from './index.js';
import { useClusterBed } from '../test/harness/dfs-bed.js';

const OBJECT_QUERIES = ['obj_query_max', 'obj_coll_query_max', 'obj_multi_query_max', 'obj_list_dkeys'];
const OBJECT_PUNCHES = ['obj_punch', 'obj_coll_punch'];

describe('dfs unwritten mark', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;

  useClusterBed('dfs-unwritten', (bed) => ({ cluster, pool } = bed));

  it('stat, open and remove of a never-written file or directory ask no object', async () => {
    const mounts = await freshFsTwice(pool);
    const { a, label } = mounts;
    let { b } = mounts;
    const file = await a.open(a.root, 'empty', O_CREAT | O_WRONLY, 0o644);
    expect(file.inode.unwritten).toBe(true);
    a.release(file);
    a.release(await a.mkdir(a.root, 'dir', 0o755));
    const queries = cluster.requestsTotal(...OBJECT_QUERIES);
    expect((await b.stat('/empty')).size).toBe(0);
    expect((await b.stat('/dir')).kind).toBe('dir');
    const opened = await b.lookup('/empty', O_RDWR);
    expect((await b.ostat(opened)).size).toBe(0);
    b.release(opened);
    expect(cluster.requestsTotal(...OBJECT_QUERIES)).toBe(queries);
    // Removing a symlink punches its entry only (no object): the yardstick for the others.
    a.release(await a.symlink(a.root, 'link', 'empty'));
    let punches = cluster.requestsTotal(...OBJECT_PUNCHES);
    await b.remove(b.root, 'link');
    await b.unmount();
    const entryPunch = cluster.requestsTotal(...OBJECT_PUNCHES) - punches;
    b = await mountDfs({ pool, cont: label, log: silentLog });
    punches = cluster.requestsTotal(...OBJECT_PUNCHES);
    await b.remove(b.root, 'empty');
    await b.remove(b.root, 'dir');
    await b.unmount();
    expect(cluster.requestsTotal(...OBJECT_QUERIES)).toBe(queries);
    expect(cluster.requestsTotal(...OBJECT_PUNCHES) - punches).toBe(2 * entryPunch);
    expect(await codeOf(a.stat('/empty'))).toBe('ENOENT');
    await a.unmount();
  });

  it('a write, truncate or hole punch elsewhere clears the mark first: fresh stats, stale handles and snapshots see it', async () => {
    const { a, b } = await freshFsTwice(pool);
    for (const name of ['written', 'truncated']) a.release(await a.open(a.root, name, O_CREAT | O_WRONLY, 0o644));
    const stale = await a.lookup('/written');
    expect(stale.inode.unwritten).toBe(true);
    await a.createSnapshot('before');

    const writer = await b.lookup('/written', O_RDWR);
    expect(await b.write(writer, Buffer.alloc(5000, 1), 0)).toBe(5000);
    b.release(writer);
    const truncated = await b.lookup('/truncated', O_RDWR);
    await b.setattr(truncated, { size: 3 * 1024 * 1024 });
    b.release(truncated);

    expect((await a.stat('/written')).size).toBe(5000);
    expect((await a.ostat(stale)).size).toBe(5000);
    expect(stale.inode.unwritten).toBe(false);
    expect((await a.lookupStat(a.root, 'written', 0, stale)).stat.size).toBe(5000);
    expect((await a.stat('/truncated')).size).toBe(3 * 1024 * 1024);
    a.release(stale);

    const snap = await mountDfs({ pool, cont: a.root.mount.cont.uuid, snapshot: 'before', log: silentLog });
    expect((await snap.stat('/written')).size).toBe(0);
    expect((await snap.stat('/truncated')).size).toBe(0);
    await snap.unmount();
    await b.unmount();
    await a.unmount();
  });

  it('this mount writing through one handle: its other handles on the file stop trusting their mark', async () => {
    const { a, b } = await freshFsTwice(pool);
    const looked = await a.open(a.root, 'f', O_CREAT | O_RDWR, 0o644);
    const other = await a.lookup('/f', O_RDWR);
    await a.write(looked, Buffer.from('hello'), 0);
    expect((await a.ostat(other, { refresh: false })).size).toBe(5);
    a.release(looked);
    a.release(other);
    expect((await b.stat('/f')).size).toBe(5);
    await b.unmount();
    await a.unmount();
  });

  it('a directory filled by another mount is not empty to a mount that saw it unwritten; renames drop the mark', async () => {
    const { a, b } = await freshFsTwice(pool);
    const seen = await a.mkdir(a.root, 'dir', 0o755);
    expect(seen.inode.unwritten).toBe(true);
    const filled = await b.lookup('/dir');
    b.release(await b.open(filled, 'child', O_CREAT | O_WRONLY, 0o644));
    b.release(filled);
    expect(await codeOf(a.remove(a.root, 'dir', { like: seen }))).toBe('ENOTEMPTY');
    a.release(seen);
    const dir = await a.lookup('/dir');
    expect((await a.readdir(dir)).entries).toEqual(['child']);
    a.release(dir);

    a.release(await a.open(a.root, 'moved', O_CREAT | O_WRONLY, 0o644));
    await a.rename(a.root, 'moved', a.root, 'target');
    const target = await b.lookup('/target');
    expect(target.inode.unwritten).toBe(false);
    b.release(target);
    await b.unmount();
    await a.unmount();
  });

  it('a container of DFS layout 1 gets no mark, and its files stat as before', async () => {
    const label = `unwritten-v1-${process.pid}`;
    const formatted = await freshFs(pool, { label });
    const sbOid = formatted.root.mount.sb.oid;
    const cont = formatted.root.mount.cont;
    const version = Buffer.alloc(2);
    version.writeUInt16LE(1, 0);
    await cont.object(sbOid).update({ dkey: SUPERBLOCK_DKEY, iods: [{ type: 'single', akey: Buffer.from('DFS_LAYOUT_VERSION'), value: version }] });
    await formatted.unmount();
    const fs = await mountDfs({ pool, cont: label, log: silentLog });
    const file = await fs.open(fs.root, 'old', O_CREAT | O_RDWR, 0o644);
    expect(file.inode.unwritten).toBe(false);
    await fs.write(file, Buffer.from('abc'), 0);
    fs.release(file);
    expect((await fs.stat('/old')).size).toBe(3);
    await fs.unmount();
  });
});
