/**
 * remove() with a handle on what the caller saw (RemoveOptions.like) on a 3-engine in-process cluster: an
 * unchanged file, symlink or never-written directory goes with one compare-and-punch and no read; a name
 * another mount renamed away (and reused), replaced or filled since is read again, so no live object is punched and a
 * filled directory is not removed as empty; a sticky directory always reads the entry.
 */
import { describe, expect, it } from 'vitest';
import { type PoolHandle } from '../engine/client/index.js';
import { freshFsTwice } from '../test/harness/dfs-tree.js';
import { codeOf } from '../test/harness/fs-error.js';
import { type InProcessCluster } from '../test/harness/in-process-cluster.js';
import { type Dfs, O_CREAT, O_NOFOLLOW, O_RDWR, O_WRONLY } from './index.js';
import { useClusterBed } from '../test/harness/dfs-bed.js';

describe('dfs remove of what the caller saw', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;

  useClusterBed('dfs-remove-unread', (bed) => ({ cluster, pool } = bed));

  async function writeFile(fs: Dfs, name: string, text: string): Promise<void> {
    const file = await fs.open(fs.root, name, O_CREAT | O_RDWR, 0o644);
    await fs.write(file, Buffer.from(text), 0);
    fs.release(file);
  }

  async function readFile(fs: Dfs, path: string): Promise<string> {
    const file = await fs.lookup(path);
    try {
      return (await fs.read(file, 100, 0)).toString();
    } finally {
      fs.release(file);
    }
  }

  it('unchanged file, symlink and never-written directory: removed without reading the entry', async () => {
    const { a, b } = await freshFsTwice(pool);
    await writeFile(a, 'file', 'data');
    a.release(await a.symlink(a.root, 'link', 'file'));
    a.release(await a.mkdir(a.root, 'dir', 0o755));
    const seen = await Promise.all(['/file', '/link', '/dir'].map((path) => a.lookup(path, O_NOFOLLOW)));
    const before = cluster.requestsTotal('obj_fetch');
    for (const [index, name] of ['file', 'link', 'dir'].entries()) await a.remove(a.root, name, { like: seen[index]! });
    expect(cluster.requestsTotal('obj_fetch')).toBe(before);
    for (const handle of seen) a.release(handle);
    for (const path of ['/file', '/link', '/dir']) expect(await codeOf(b.stat(path))).toBe('ENOENT');
    await b.unmount();
    await a.unmount();
  });

  it('a name renamed away or replaced elsewhere is read again: the live object is kept, the current entry removed', async () => {
    const { a, b } = await freshFsTwice(pool);
    await writeFile(a, 'moved', 'moved data');
    await writeFile(a, 'replaced', 'old');
    await writeFile(a, 'other', 'new data');
    const movedSeen = await a.lookup('/moved');
    const replacedSeen = await a.lookup('/replaced');
    await b.rename(b.root, 'moved', b.root, 'elsewhere');
    await writeFile(b, 'moved', 'a new file');
    await b.rename(b.root, 'other', b.root, 'replaced');

    await a.remove(a.root, 'moved', { like: movedSeen });
    expect(await codeOf(b.stat('/moved'))).toBe('ENOENT');
    await a.remove(a.root, 'replaced', { like: replacedSeen });
    expect(await codeOf(b.stat('/replaced'))).toBe('ENOENT');
    a.release(movedSeen);
    a.release(replacedSeen);
    await a.unmount();
    // The reaper of mount a has drained: the renamed file's object still holds its data.
    expect(await readFile(b, '/elsewhere')).toBe('moved data');
    await b.unmount();
  });

  it('a directory seen empty but filled elsewhere since, and any entry of a sticky directory, are read first', async () => {
    const { a, b } = await freshFsTwice(pool);
    const seen = await a.mkdir(a.root, 'dir', 0o755);
    const filled = await b.lookup('/dir');
    b.release(await b.open(filled, 'child', O_CREAT | O_WRONLY, 0o644));
    b.release(filled);
    expect(await codeOf(a.remove(a.root, 'dir', { like: seen }))).toBe('ENOTEMPTY');
    a.release(seen);

    const sticky = await a.mkdir(a.root, 'sticky', 0o1777);
    a.release(await a.open(sticky, 'f', O_CREAT | O_WRONLY, 0o644));
    const f = await a.lookup('/sticky/f');
    const before = cluster.requestsTotal('obj_fetch');
    await a.remove(sticky, 'f', { like: f });
    expect(cluster.requestsTotal('obj_fetch')).toBeGreaterThan(before);
    a.release(f);
    a.release(sticky);
    await b.unmount();
    await a.unmount();
  });
});
