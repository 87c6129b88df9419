/**
 * Extended attributes (DAOS dfs_setxattr / getxattr / listxattr / removexattr): one single-value akey
 * "x:<name>" per attribute under the object's own directory entry, so they move with the entry on
 * rename and vanish with it on remove. Every write requires the entry to exist (an update conditional
 * on the dkey), so a racing remove never leaves attributes without an entry. CREATE is an akey insert
 * (EEXIST), REPLACE an akey update (ENODATA when absent). Reading needs read permission, changing needs
 * write permission or ownership; limits: name 1..255 bytes (ERANGE), value 64 KiB (E2BIG).
 */
import { Der, isEngineError } from '../engine/client/index.js';
import { R_OK, W_OK, isOwnerOrRoot, mayAccess, requireAccess } from './access.js';
import { AKEYS_PER_LIST_MAX } from './constants.js';
import { findEntry } from './entry.js';
import { fsFail } from './errors.js';
import type { DfsObject } from './handle.js';
import { checkXattrValue, xattrKey, xattrNameOfKey } from './layout.js';
import type { DfsMount } from './mount.js';

export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

function requireChangeRight(mount: DfsMount, handle: DfsObject): void {
  mount.assertWritable();
  if (!isOwnerOrRoot(mount.credentials, handle.inode) && !mayAccess(mount.credentials, handle.inode, W_OK)) {
    fsFail('EACCES', `change xattrs of ${handle.name}`);
  }
}

/** ENOENT when the handle's entry is gone, else ENODATA (a condition failed on the attribute itself). */
async function missingCode(mount: DfsMount, handle: DfsObject): Promise<never> {
  const node = await findEntry(mount, handle.entry, handle.name);
  fsFail(node === undefined ? 'ENOENT' : 'ENODATA', `no xattr on ${handle.name}`);
}

/** Sets attribute `name`; flags: 0, XATTR_CREATE (EEXIST if set) or XATTR_REPLACE (ENODATA if not). */
export async function setxattr(mount: DfsMount, handle: DfsObject, name: string, value: Uint8Array, flags: number): Promise<void> {
  const akey = xattrKey(name);
  const bytes = checkXattrValue(value);
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0 || flags === (XATTR_CREATE | XATTR_REPLACE)) fsFail('EINVAL', `xattr flags ${flags}`);
  requireChangeRight(mount, handle);
  const akeyCond = flags === XATTR_CREATE ? 'insert' : flags === XATTR_REPLACE ? 'update' : undefined;
  try {
    await mount.cont.object(handle.entry.dirOid).update({
      dkey: handle.entry.key,
      iods: [{ type: 'single', akey, value: bytes }],
      dkeyCond: 'update',
      ...(akeyCond === undefined ? {} : { akeyCond }),
    });
  } catch (error) {
    if (isEngineError(error, Der.EXIST)) fsFail('EEXIST', `xattr ${name} exists`);
    if (isEngineError(error, Der.NONEXIST)) return missingCode(mount, handle);
    throw error;
  }
}

/** The value of attribute `name`; ENODATA when it is not set. */
export async function getxattr(mount: DfsMount, handle: DfsObject, name: string): Promise<Buffer> {
  const akey = xattrKey(name);
  requireAccess(mount.credentials, handle.inode, R_OK, `read xattrs of ${handle.name}`);
  const [value] = await mount.cont.object(handle.entry.dirOid).fetch({ dkey: handle.entry.key, iods: [{ type: 'single', akey }] });
  if (value === undefined || value.type !== 'single' || value.value === null) return missingCode(mount, handle);
  return value.value;
}

/** The names of every attribute set on the entry. */
export async function listxattr(mount: DfsMount, handle: DfsObject): Promise<string[]> {
  requireAccess(mount.credentials, handle.inode, R_OK, `list xattrs of ${handle.name}`);
  const object = mount.cont.object(handle.entry.dirOid);
  const names: string[] = [];
  let anchor: Parameters<typeof object.listAkeys>[0]['anchor'];
  do {
    const page = await object.listAkeys(anchor === undefined ? { dkey: handle.entry.key, limit: AKEYS_PER_LIST_MAX } : { dkey: handle.entry.key, anchor, limit: AKEYS_PER_LIST_MAX });
    for (const akey of page.keys) {
      const name = xattrNameOfKey(akey);
      if (name !== undefined) names.push(name);
    }
    anchor = page.anchor;
  } while (!anchor.eof);
  return names;
}

/** Removes attribute `name`; ENODATA when it is not set. */
export async function removexattr(mount: DfsMount, handle: DfsObject, name: string): Promise<void> {
  const akey = xattrKey(name);
  requireChangeRight(mount, handle);
  try {
    await mount.cont.object(handle.entry.dirOid).punch({ dkey: handle.entry.key, akeys: [akey], ifExists: true });
  } catch (error) {
    if (isEngineError(error, Der.NONEXIST)) return missingCode(mount, handle);
    throw error;
  }
}
