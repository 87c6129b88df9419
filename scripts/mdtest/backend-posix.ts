/**
 * The POSIX backend: node:fs/promises on paths of any mounted filesystem (tmpfs, ext4, a dfuse mount).
 */
import { mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import type { MdBackend } from './backend.js';

export function openPosixBackend(): MdBackend {
  return {
    async mkdir(path, parents = false) {
      await mkdir(path, { recursive: parents, mode: 0o755 });
    },
    rmdir: (path) => rmdir(path),
    async create(path, data) {
      const file = await open(path, 'wx', 0o644);
      try {
        if (data.length > 0) await file.write(data, 0, data.length, 0);
      } finally {
        await file.close();
      }
    },
    async stat(path) {
      await stat(path);
    },
    async read(path, bytes) {
      const file = await open(path, 'r');
      try {
        if (bytes > 0) await file.read(Buffer.alloc(bytes), 0, bytes, 0);
      } finally {
        await file.close();
      }
    },
    unlink: (path) => unlink(path),
    close: async () => undefined,
  };
}
