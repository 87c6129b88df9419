/**
 * Literal filesystem fixtures for DFS suites (STYLE §7): buildTree(fs, { '/a/': null, '/a/b': 'x',
 * '/l': { symlink: 'a/b' } }) creates directories (trailing '/'), files (content) and symlinks, parents
 * first; dumpTree(fs) lists the whole namespace back in the same shape, so a test can assert a tree.
 * Also a helper that creates a fresh POSIX container and mounts it (formatted).
 */
import type { PoolHandle } from '../../engine/client/index.js';
import { type Dfs, type DfsObject, type MountOptions, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY, mountDfs } from '../../dfs/index.js';
import { silentLog } from './in-process-cluster.js';

export type TreeValue = string | null | { readonly symlink: string };
export type Tree = Record<string, TreeValue>;

function parentAndName(path: string): { parent: string; name: string } {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const slash = trimmed.lastIndexOf('/');
  return { parent: trimmed.slice(0, slash) || '/', name: trimmed.slice(slash + 1) };
}

async function withDir<T>(fs: Dfs, path: string, run: (dir: DfsObject) => Promise<T>): Promise<T> {
  const dir = await fs.lookup(path);
  try {
    return await run(dir);
  } finally {
    fs.release(dir);
  }
}

/** Creates every entry of `tree` (missing parent directories too). */
export async function buildTree(fs: Dfs, tree: Tree): Promise<void> {
  const made = new Set<string>(['/']);
  const ensureDir = async (path: string): Promise<void> => {
    if (made.has(path)) return;
    const { parent, name } = parentAndName(path);
    await ensureDir(parent);
    await withDir(fs, parent, async (dir) => fs.release(await fs.mkdir(dir, name, 0o755)));
    made.add(path);
  };
  for (const [path, value] of Object.entries(tree)) {
    if (path.endsWith('/')) {
      await ensureDir(path.slice(0, -1));
      continue;
    }
    const { parent, name } = parentAndName(path);
    await ensureDir(parent);
    await withDir(fs, parent, async (dir) => {
      if (value !== null && typeof value === 'object') return fs.release(await fs.symlink(dir, name, value.symlink));
      const file = await fs.open(dir, name, O_CREAT | O_EXCL | O_WRONLY, 0o644);
      if (typeof value === 'string' && value.length > 0) await fs.write(file, Buffer.from(value), 0);
      fs.release(file);
    });
  }
}

/** The whole namespace under `path` as a Tree (directories 'name/': null, files their content). */
export async function dumpTree(fs: Dfs, path = '/'): Promise<Tree> {
  const tree: Tree = {};
  const walk = async (dirPath: string): Promise<void> => {
    const names: string[] = [];
    await withDir(fs, dirPath, async (dir) => {
      let anchor = fs.anchorStart();
      while (!anchor.eof) {
        const page = await fs.readdir(dir, anchor);
        names.push(...page.entries);
        anchor = page.anchor;
      }
    });
    for (const name of names.sort()) {
      const childPath = `${dirPath === '/' ? '' : dirPath}/${name}`;
      const child = await fs.lookup(childPath, O_NOFOLLOW);
      try {
        if (child.kind === 'dir') {
          tree[`${childPath}/`] = null;
          await walk(childPath);
        } else if (child.kind === 'symlink') {
          tree[childPath] = { symlink: await fs.readlink(child) };
        } else {
          tree[childPath] = await withDir(fs, dirPath, async (dir) => {
            const file = await fs.open(dir, name, O_RDONLY);
            try {
              return (await fs.read(file, await fs.getSize(file), 0)).toString();
            } finally {
              fs.release(file);
            }
          });
        }
      } finally {
        fs.release(child);
      }
    }
  };
  await walk(path);
  return tree;
}

let containerSerial = 0;

/** Creates a new POSIX container in `pool` and mounts it formatted; caller unmounts. */
export async function freshFs(pool: PoolHandle, options: Partial<MountOptions> & { label?: string } = {}): Promise<Dfs> {
  const label = options.label ?? `fs-${process.pid}-${++containerSerial}`;
  await pool.createContainer({ label });
  return mountDfs({ create: true, log: silentLog, ...options, pool, cont: label });
}

/** A fresh formatted container mounted twice (two clients of one namespace); caller unmounts both. */
export async function freshFsTwice(pool: PoolHandle): Promise<{ a: Dfs; b: Dfs; label: string }> {
  const label = `fs-${process.pid}-${++containerSerial}`;
  const a = await freshFs(pool, { label });
  return { a, b: await mountDfs({ pool, cont: label, log: silentLog }), label };
}
