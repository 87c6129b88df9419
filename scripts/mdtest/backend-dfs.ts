/**
 * The DFS backend, like mdtest's: each worker mounts the container with the DFS library and works on
 * handles. Parent directories are looked up once and cached (as mdtest's DFS backend keeps a hash of
 * parent handles); a removed directory's cached handles are released. Every operation goes through its
 * parent's handle, stat included (dfs_stat with a parent), so no operation re-reads the path from the
 * root. Directories and files are created with the classes of --dir-oclass / --file-oclass, if given.
 */
import { type CreateOptions, type Dfs, type DfsObject, FsError, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, mountDfs } from '../../dfs/index.js';
import type { MdBackend } from './backend.js';
import type { MdtestOptions } from './options.js';
import { readSystemFile } from '../../engine/system/system-file.js';
import { UsageError } from '../cli/command.js';

function split(path: string): { parent: string; name: string } {
  const at = path.lastIndexOf('/');
  return { parent: at <= 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

class DfsBackend implements MdBackend {
  readonly #dfs: Dfs;
  readonly #dirs = new Map<string, DfsObject>();
  readonly #dirOptions: CreateOptions;
  readonly #fileOptions: CreateOptions;

  constructor(dfs: Dfs, classes: { dir: CreateOptions; file: CreateOptions }) {
    this.#dfs = dfs;
    this.#dirOptions = classes.dir;
    this.#fileOptions = classes.file;
  }

  async #dir(path: string): Promise<DfsObject> {
    if (path === '/') return this.#dfs.root;
    const cached = this.#dirs.get(path);
    if (cached !== undefined) return cached;
    const handle = await this.#dfs.lookup(path);
    this.#dirs.set(path, handle);
    return handle;
  }

  #forget(path: string): void {
    for (const [key, handle] of this.#dirs) {
      if (key === path || key.startsWith(`${path}/`)) {
        this.#dfs.release(handle);
        this.#dirs.delete(key);
      }
    }
  }

  async mkdir(path: string, parents = false): Promise<void> {
    if (!parents) {
      const { parent, name } = split(path);
      this.#dfs.release(await this.#dfs.mkdir(await this.#dir(parent), name, 0o755, this.#dirOptions));
      return;
    }
    let current = '/';
    for (const name of path.split('/').filter((part) => part !== '')) {
      const next = current === '/' ? `/${name}` : `${current}/${name}`;
      try {
        this.#dfs.release(await this.#dfs.mkdir(await this.#dir(current), name, 0o755, this.#dirOptions));
      } catch (error) {
        if (!(error instanceof FsError) || error.code !== 'EEXIST') throw error;
      }
      current = next;
    }
  }

  async rmdir(path: string): Promise<void> {
    this.#forget(path);
    const { parent, name } = split(path);
    await this.#dfs.remove(await this.#dir(parent), name);
  }

  async create(path: string, data: Uint8Array): Promise<void> {
    const { parent, name } = split(path);
    const file = await this.#dfs.open(await this.#dir(parent), name, O_CREAT | O_EXCL | O_RDWR, 0o644, this.#fileOptions);
    try {
      if (data.length > 0) await this.#dfs.write(file, data, 0);
    } finally {
      this.#dfs.release(file);
    }
  }

  async stat(path: string): Promise<void> {
    const { parent, name } = split(path);
    await this.#dfs.statRel(await this.#dir(parent), name);
  }

  async read(path: string, bytes: number): Promise<void> {
    const { parent, name } = split(path);
    const file = await this.#dfs.open(await this.#dir(parent), name, O_RDONLY);
    try {
      if (bytes > 0) await this.#dfs.read(file, bytes, 0);
    } finally {
      this.#dfs.release(file);
    }
  }

  async unlink(path: string): Promise<void> {
    const { parent, name } = split(path);
    await this.#dfs.remove(await this.#dir(parent), name);
  }

  async close(): Promise<void> {
    for (const handle of this.#dirs.values()) this.#dfs.release(handle);
    this.#dirs.clear();
    await this.#dfs.unmount();
  }
}

export async function openDfsBackend(options: MdtestOptions): Promise<MdBackend> {
  const target = options.dfs;
  if (target === undefined) throw new UsageError('-a DFS needs a DFS target');
  const system = readSystemFile(target.systemFile);
  const pool = target.pool ?? system.defaultPool;
  const cont = target.cont ?? system.defaultCont;
  if (pool === undefined || cont === undefined) throw new UsageError('no --pool/--cont given and the system has no defaults');
  const classes = {
    dir: target.dirOclass === undefined ? {} : { oclass: target.dirOclass },
    file: target.fileOclass === undefined ? {} : { oclass: target.fileOclass },
  };
  return new DfsBackend(await mountDfs({ system, pool, cont }), classes);
}

