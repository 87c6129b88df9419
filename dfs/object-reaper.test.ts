/**
 * The objects of removed entries are punched after the remove answers (object-reaper.ts): on a 3-engine
 * in-process cluster, the objects behind removed files and directories, and behind a file replaced by a
 * rename, hold no data once the mount has been unmounted (unmount drains the reaper); a burst of removes
 * is punched in full, in batches (one RPC per engine each); the names are gone at once.
 */
import { describe, expect, it } from 'vitest';
import { type ContHandle, type Oid, type PoolHandle } from '../engine/client/index.js';
import { freshFs } from '../test/harness/dfs-tree.js';
import { codeOf } from '../test/harness/fs-error.js';
import { type Dfs, O_CREAT, O_RDWR } from './index.js';
import { useClusterBed } from '../test/harness/dfs-bed.js';
import type { InProcessCluster } from '../test/harness/in-process-cluster.js';

describe('dfs object reaper', () => {
  let pool: PoolHandle;
  let cluster: InProcessCluster;

  useClusterBed('dfs-reaper', (bed) => ({ pool, cluster } = bed));

  /** Creates `name` in the root with `bytes` of data; returns its oid. */
  async function fileWithData(fs: Dfs, name: string, bytes: number): Promise<Oid> {
    const file = await fs.open(fs.root, name, O_CREAT | O_RDWR, 0o644);
    await fs.write(file, Buffer.alloc(bytes, 7), 0);
    const oid = file.oid;
    fs.release(file);
    return oid;
  }

  async function sizeOf(cont: ContHandle, oid: Oid): Promise<number> {
    return cont.array(oid).getSize();
  }

  it('remove and rename over: names gone at once, objects empty once the mount drained its reaper', async () => {
    const label = `reaper-${process.pid}`;
    const fs = await freshFs(pool, { label });
    const cont = await pool.openContainer(label);
    const removed = await fileWithData(fs, 'removed', 3 * 1024 * 1024);
    const replaced = await fileWithData(fs, 'replaced', 5000);
    await fileWithData(fs, 'source', 10);
    const dir = await fs.mkdir(fs.root, 'dir', 0o755);
    const dirOid = dir.oid;
    fs.release(await fs.open(dir, 'child', O_CREAT | O_RDWR, 0o644));
    fs.release(dir);
    expect((await cont.object(dirOid).listDkeys({ limit: 10 })).keys).toHaveLength(1);
    const burst = await Promise.all(Array.from({ length: 40 }, (_, index) => fileWithData(fs, `burst${index}`, 100 + index)));
    expect(await sizeOf(cont, removed)).toBe(3 * 1024 * 1024);

    const punches = (): number[] => [cluster.requestsTotal('obj_multi_punch'), cluster.requestsTotal('obj_coll_punch')];
    const before = punches();
    await fs.remove(fs.root, 'removed');
    await fs.rename(fs.root, 'source', fs.root, 'replaced');
    await fs.remove(fs.root, 'dir', { recursive: true });
    await Promise.all(burst.map((_, index) => fs.remove(fs.root, `burst${index}`)));
    expect(await codeOf(fs.lookup('/removed'))).toBe('ENOENT');
    expect(await codeOf(fs.lookup('/dir'))).toBe('ENOENT');
    expect((await fs.stat('/replaced')).size).toBe(10);

    await fs.unmount();
    const [batched, single] = punches().map((count, index) => count - before[index]!);
    // The objects went in a few batches of one RPC per engine each, none was punched alone.
    expect(batched).toBeGreaterThan(0);
    expect(batched).toBeLessThanOrEqual(3 * 6);
    expect(single).toBe(0);
    expect(await sizeOf(cont, removed)).toBe(0);
    expect(await sizeOf(cont, replaced)).toBe(0);
    for (const oid of burst) expect(await sizeOf(cont, oid)).toBe(0);
    // A directory object keeps its entries as dkeys: punched, it lists none (its child's entry went with it).
    expect((await cont.object(dirOid).listDkeys({ limit: 10 })).keys).toEqual([]);
    await cont.close();
  });
});
