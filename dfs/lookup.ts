/**
 * Name resolution (DAOS dfs_lookup / dfs_lookup_rel): one fetch per path component, from the root or from
 * a directory handle. Paths are absolute; '' and '.' components are skipped, '..' goes back up the chain
 * of directories walked (never above the root). Every directory passed through needs search (X)
 * permission. A symlink met before the last component is always followed, the last one unless `follow`
 * is false (O_NOFOLLOW); at most SYMLINK_FOLLOW_MAX symlinks per resolution, then ELOOP. Absolute
 * targets restart at the mount root; relative ones continue from the symlink's directory.
 */
import { requireAccess, X_OK } from './access.js';
import { PATH_BYTES_MAX, SYMLINK_FOLLOW_MAX } from './constants.js';
import { childRef, getEntry } from './entry.js';
import { fsFail } from './errors.js';
import type { PathNode } from './handle.js';
import { S_IFDIR, S_IFLNK, S_IFMT, kindOfMode } from './inode.js';
import type { DfsMount } from './mount.js';

/** A resolved entry and the directories leading to it (root first). */
export interface Resolved {
  readonly node: PathNode;
  readonly ancestors: PathNode[];
}

export function isDirNode(node: PathNode): boolean {
  return (node.inode.mode & S_IFMT) === S_IFDIR;
}

export function isSymlinkNode(node: PathNode): boolean {
  return (node.inode.mode & S_IFMT) === S_IFLNK;
}

/** Symlinks and special files are inode records only: they have an oid (an inode number) but no object. */
export function hasObject(node: PathNode): boolean {
  const kind = kindOfMode(node.inode.mode);
  return kind === 'file' || kind === 'dir';
}

/** The components of an absolute path; EINVAL for relative paths, ENAMETOOLONG past PATH_BYTES_MAX. */
export function splitPath(path: string): string[] {
  if (Buffer.byteLength(path, 'utf8') > PATH_BYTES_MAX) fsFail('ENAMETOOLONG', `path of more than ${PATH_BYTES_MAX} bytes`);
  if (!path.startsWith('/')) fsFail('EINVAL', `path ${JSON.stringify(path)} is not absolute`);
  return path.split('/');
}

/**
 * Walks `components` from the directory on top of `stack` (which starts at the root); returns the stack
 * with the resolved entry on top. ENOENT, ENOTDIR (a component under a non-directory), EACCES, ELOOP.
 */
export async function walk(mount: DfsMount, start: readonly PathNode[], components: readonly string[], follow: boolean): Promise<PathNode[]> {
  const stack = [...start];
  const queue = [...components];
  let followed = 0;
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const dir = stack[stack.length - 1]!;
    if (!isDirNode(dir)) fsFail('ENOTDIR', `${dir.name} is not a directory`);
    requireAccess(mount.credentials, dir.inode, X_OK, `search ${dir.name}`);
    const child = await getEntry(mount, childRef(dir.inode.oid, name), name);
    if (isSymlinkNode(child) && (queue.length > 0 || follow)) {
      if (++followed > SYMLINK_FOLLOW_MAX) fsFail('ELOOP', `more than ${SYMLINK_FOLLOW_MAX} symlinks`);
      const target = child.symlinkTarget ?? '';
      if (target.startsWith('/')) stack.splice(1);
      queue.unshift(...target.split('/'));
      continue;
    }
    stack.push(child);
  }
  return stack;
}

function resolvedOf(stack: PathNode[]): Resolved {
  const node = stack.pop()!;
  return { node, ancestors: stack };
}

/** Resolves an absolute path from the mount root; a trailing '/' requires a directory (ENOTDIR). */
export async function resolvePath(mount: DfsMount, path: string, follow: boolean): Promise<Resolved> {
  const components = splitPath(path);
  const stack = await walk(mount, [mount.root], components, follow);
  const resolved = resolvedOf(stack);
  if (path.length > 1 && path.endsWith('/') && !isDirNode(resolved.node)) fsFail('ENOTDIR', `${path} is not a directory`);
  return resolved;
}

/**
 * Resolves one entry `name` of the directory reached through `dirChain` (root first, the directory last);
 * follows a final symlink when `follow`.
 */
export async function resolveChild(mount: DfsMount, dirChain: readonly PathNode[], name: string, follow: boolean): Promise<Resolved> {
  childRef(dirChain[dirChain.length - 1]!.inode.oid, name);
  return resolvedOf(await walk(mount, dirChain, [name], follow));
}
