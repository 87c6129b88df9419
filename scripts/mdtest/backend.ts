/**
 * What a worker needs from a filesystem, one call per mdtest operation; paths are absolute ('/'-separated)
 * in the backend's namespace. Implementations: backend-posix.ts (node:fs/promises), backend-dfs.ts (the
 * DFS library, like mdtest's DFS backend). Every call rejects on failure; the worker reports it.
 */
import type { MdtestOptions } from './options.js';

export interface MdBackend {
  /** mkdir; with `parents`, missing ancestors too and an existing directory is fine. */
  mkdir(path: string, parents?: boolean): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** Creates (exclusively) a file and writes `bytes` bytes at offset 0. */
  create(path: string, data: Uint8Array): Promise<void>;
  stat(path: string): Promise<void>;
  /** Opens the file, reads `bytes` bytes from offset 0, closes it. */
  read(path: string, bytes: number): Promise<void>;
  unlink(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBackend(options: MdtestOptions): Promise<MdBackend> {
  if (options.backend === 'DFS') {
    const { openDfsBackend } = await import('./backend-dfs.js');
    return openDfsBackend(options);
  }
  const { openPosixBackend } = await import('./backend-posix.js');
  return openPosixBackend();
}
