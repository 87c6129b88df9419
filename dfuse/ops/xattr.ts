/**
 * Extended attributes on the entry. The kernel asks for security.capability before every write to a
 * file (to drop privileges), `ls -l` for security.selinux and system.posix_acl_access of every file; those
 * probes are answered from a per-entry memory of missing names while the entry is cached, from the names a
 * directory listing showed the entry with (listed-xattrs.ts), and an entry this mount created has none
 * until one is set here; setxattr/removexattr through this mount keep all of it exact. A probe the live
 * view's caches can answer is answered at once (knownMissingXattr: no promise, no error object), as it
 * comes once per write. Only these namespaces are answered so: reading them needs no permission on the
 * file, so no access check is skipped.
 */
import { FsError } from '../../dfs/index.js';
import type { MapEntry } from '../inode-map.js';
import { type DfuseState, isLivePath, route } from '../state.js';
import type { View } from '../view.js';
import { onEntry } from './resolve.js';

const PROBED_PREFIXES = ['security.', 'system.posix_acl_'];

function isProbed(name: string): boolean {
  return PROBED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Namespaces an attribute can be set in, as on Linux's local filesystems (the kernel's own checks for
 * trusted.* and user.* ran before the request came). system.* holds POSIX ACLs, which dfuse does not
 * enforce: refusing them makes setfacl say "Operation not supported" instead of storing an ACL that would
 * grant or deny nothing.
 */
const SETTABLE_PREFIXES = ['user.', 'trusted.', 'security.'];

export function setxattr(state: DfuseState, path: string, name: string, value: Buffer, flags: number): Promise<void> {
  if (!SETTABLE_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    return Promise.reject(new FsError('EOPNOTSUPP', { syscall: 'setxattr', path, detail: `namespace of ${name}` }));
  }
  return onEntry(state, path, 'setxattr', async (view, entry, inner) => {
    entry.missingXattrs?.delete(name);
    entry.noXattrs = false;
    await changingXattrs(view, inner, () => view.dfs.setxattr(entry.handle, name, value, flags));
  });
}

/**
 * Runs a change of `path`'s xattrs: what listings showed of them is forgotten before it is sent and again
 * once it is done, so a listing that read the entry before the change and ends after it adds nothing back.
 */
async function changingXattrs(view: View, path: string, change: () => Promise<void>): Promise<void> {
  view.map.forgetListedXattrs(path);
  try {
    await change();
  } finally {
    view.map.forgetListedXattrs(path);
  }
}

/** True when attribute `name` of `path` is known missing from the live view's cache (getxattr would be ENODATA). */
export function knownMissingXattr(state: DfuseState, path: string, name: string): boolean {
  if (!isLivePath(path)) return false;
  const entry = state.live.map.peek(path);
  if (entry !== undefined && isMissingOn(entry, name)) return true;
  return isProbed(name) && state.live.map.listedXattrs(path)?.has(name) === false;
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
      if (error instanceof FsError && error.code === 'ENODATA' && isProbed(name)) (entry.missingXattrs ??= new Set()).add(name);
      throw error;
    }
  });
}

export async function listxattr(state: DfuseState, path: string): Promise<string[]> {
  if ((await route(state, path)).kind === 'snapshot-dir') return [];
  return onEntry(state, path, 'listxattr', async (view, entry) => (entry.noXattrs === true ? [] : view.dfs.listxattr(entry.handle)));
}

export function removexattr(state: DfuseState, path: string, name: string): Promise<void> {
  return onEntry(state, path, 'removexattr', async (view, entry, inner) => {
    await changingXattrs(view, inner, () => view.dfs.removexattr(entry.handle, name));
  });
}
