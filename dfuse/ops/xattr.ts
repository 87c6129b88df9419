/**
 * Extended attributes on the entry. The kernel asks for security.capability before every write to a
 * file (to drop privileges); those probes are answered from a per-entry memory of missing security.*
 * names while the entry is cached, and an entry this mount created has none until one is set here;
 * setxattr/removexattr through this mount keep both exact. A probe the live view's cache can answer is
 * answered at once (knownMissingXattr: no promise, no error object), as it comes once per write.
 */
import { FsError } from '../../dfs/index.js';
import type { MapEntry } from '../inode-map.js';
import { type DfuseState, isLivePath, route } from '../state.js';
import { onEntry } from './resolve.js';

const PROBED_PREFIX = 'security.';

export function setxattr(state: DfuseState, path: string, name: string, value: Buffer, flags: number): Promise<void> {
  return onEntry(state, path, 'setxattr', async (view, entry) => {
    entry.missingXattrs?.delete(name);
    entry.noXattrs = false;
    await view.dfs.setxattr(entry.handle, name, value, flags);
  });
}

/** True when attribute `name` of `path` is known missing from the live view's cache (getxattr would be ENODATA). */
export function knownMissingXattr(state: DfuseState, path: string, name: string): boolean {
  if (!isLivePath(path)) return false;
  const entry = state.live.map.peek(path);
  return entry !== undefined && isMissingOn(entry, name);
}

/** True when the entry's memory says attribute `name` is missing. */
function isMissingOn(entry: MapEntry, name: string): boolean {
  return entry.noXattrs === true || entry.missingXattrs?.has(name) === true;
}

export async function getxattr(state: DfuseState, path: string, name: string): Promise<Buffer> {
  // `.snapshot` itself has no attributes to read (and cannot take any: setxattr there is EROFS).
  if ((await route(state, path)).kind === 'snapshot-dir') throw new FsError('ENODATA', { syscall: 'getxattr', path });
  return onEntry(state, path, 'getxattr', async (view, entry) => {
    if (isMissingOn(entry, name)) throw new FsError('ENODATA', { syscall: 'getxattr', path });
    try {
      return await view.dfs.getxattr(entry.handle, name);
    } catch (error) {
      if (error instanceof FsError && error.code === 'ENODATA' && name.startsWith(PROBED_PREFIX)) (entry.missingXattrs ??= new Set()).add(name);
      throw error;
    }
  });
}

export async function listxattr(state: DfuseState, path: string): Promise<string[]> {
  if ((await route(state, path)).kind === 'snapshot-dir') return [];
  return onEntry(state, path, 'listxattr', async (view, entry) => (entry.noXattrs === true ? [] : view.dfs.listxattr(entry.handle)));
}

export function removexattr(state: DfuseState, path: string, name: string): Promise<void> {
  return onEntry(state, path, 'removexattr', async (view, entry) => {
    await view.dfs.removexattr(entry.handle, name);
  });
}
