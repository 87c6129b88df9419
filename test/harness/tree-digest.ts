/**
 * What a directory tree holds, as one comparable value: every entry below it (sorted relative paths)
 * with its kind, and for files their size and sha256, for symlinks their target. Two trees are equal
 * when their digests are deepEqual. Also deterministic file contents to build fixtures from.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export type TreeEntry =
  | { readonly path: string; readonly kind: 'file'; readonly size: number; readonly sha256: string }
  | { readonly path: string; readonly kind: 'dir' }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string }
  | { readonly path: string; readonly kind: 'other'; readonly mode: number };

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every entry below `root` (not root itself), sorted by path. */
export function digestTree(root: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(root, path);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) entries.push({ path, kind: 'symlink', target: readlinkSync(full) });
      else if (stat.isDirectory()) {
        entries.push({ path, kind: 'dir' });
        walk(path);
      } else if (stat.isFile()) {
        const data = readFileSync(full);
        entries.push({ path, kind: 'file', size: data.length, sha256: sha256(data) });
      } else entries.push({ path, kind: 'other', mode: stat.mode });
    }
  };
  walk('');
  return entries;
}

/** `length` bytes that differ from any other seed's and are not all one value (xorshift32). */
export function patternBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let index = 0; index < length; index += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}
