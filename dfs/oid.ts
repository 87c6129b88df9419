/**
 * Object ids of the namespace: the two well-known objects (superblock: userHi 0, lo 0; root directory:
 * userHi 1, lo 0; the container's allocator never hands out userHi < 16, so neither can collide) and
 * new ids for created entries, drawn from the container handle's allocator (random userHi per handle,
 * lo ranges from the container service: DAOS oid_gen). Files are ARRAY_BYTE objects, directories
 * MULTI_LEXICAL. Symlinks get an oid too (for a stable inode number) but no object is ever written.
 */
import { type ContHandle, ObjType, type Oid } from '../engine/client/index.js';
import { type ObjClassName, objClassByName } from '../engine/placement/object-class.js';
import { makeOid, oidGroupCount } from '../engine/placement/oid.js';
import type { EntryKind } from './inode.js';

export const SUPERBLOCK_USER_HI = 0;
export const ROOT_USER_HI = 1;

/**
 * The superblock's oid: the directory class with its fixed group count, or one group for classes sized
 * to the pool ('max'), so the id does not change when the pool grows: it must be computable before
 * anything is read.
 */
export function superblockOid(dirOclass: ObjClassName): Oid {
  const cls = objClassByName(dirOclass);
  return makeOid({ type: ObjType.MULTI_LEXICAL, cls, groupCount: cls.groups === 'max' ? 1 : cls.groups, userHi: SUPERBLOCK_USER_HI, lo: 0n });
}

/**
 * The root directory's oid for a new filesystem (mkfs): class `dirOclass` sized against the current pool
 * map, like every directory. It is stored in the superblock, so later mounts read it rather than compute it.
 */
export async function newRootOid(cont: ContHandle, dirOclass: ObjClassName): Promise<Oid> {
  // The allocator resolves 'max' classes against the pool map; borrow its group count for the fixed id.
  const sized = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: dirOclass });
  return makeOid({ type: ObjType.MULTI_LEXICAL, cls: objClassByName(dirOclass), groupCount: oidGroupCount(sized), userHi: ROOT_USER_HI, lo: 0n });
}

/** A new oid for an entry of `kind` and class `oclass`. */
export function allocateEntryOid(cont: ContHandle, kind: EntryKind, oclass: ObjClassName): Promise<Oid> {
  return cont.allocOid({ type: kind === 'dir' ? ObjType.MULTI_LEXICAL : ObjType.ARRAY_BYTE, oclass });
}
