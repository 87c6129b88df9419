/**
 * The superblock: formatting a POSIX container (mkfs) and reading its superblock and root entry at mount.
 * mkfs inserts the root entry first and the superblock last, both conditionally, so a superblock that
 * exists always has a root, and of two racing mkfs exactly one succeeds (the other: EEXIST).
 * Reading never writes; a container without a valid superblock is EINVAL with the reason.
 */
import { type ContHandle, Der, type Oid, isEngineError } from '../engine/client/index.js';
import type { ObjClassName } from '../engine/placement/object-class.js';
import { CHUNK_SIZE_BYTES_DEFAULT } from './constants.js';
import { fsFail } from './errors.js';
import { type Inode, S_IFDIR, timespecNow } from './inode.js';
import {
  DFS_LAYOUT_VERSION, DFS_MAGIC, DFS_SB_VERSION, ROOT_ENTRY_DKEY, SUPERBLOCK_DKEY, decodeEntry, decodeSuperblock, encodeSuperblock,
  entryFetchIods, inodeIod, oclassId, oclassOfId, superblockFetchIods,
} from './layout.js';
import { newRootOid, superblockOid } from './oid.js';

/** Consistency mode: 'relaxed' renames without a transaction, 'balanced' with one (DAOS DFS_BALANCED). */
export type DfsMode = 'relaxed' | 'balanced';

const MODE_FLAGS: Record<DfsMode, number> = { relaxed: 0, balanced: 4 };

export interface Superblock {
  readonly oid: Oid;
  readonly chunkSizeBytes: number;
  readonly oclass: ObjClassName;
  readonly dirOclass: ObjClassName;
  readonly fileOclass: ObjClassName;
  readonly mode: DfsMode;
  /** DFS layout version the container was formatted with (layout.ts). */
  readonly layoutVersion: number;
  /** The root directory's entry (stored in the superblock object under dkey "/"). */
  readonly root: Inode;
}

export interface MkfsOptions {
  /** Default: the container's chunkSizeBytes property, else 1 MiB. */
  readonly chunkSizeBytes?: number;
  /** Defaults: the container's oclass / dirOclass / fileOclass properties. */
  readonly oclass?: ObjClassName;
  readonly dirOclass?: ObjClassName;
  readonly fileOclass?: ObjClassName;
  readonly mode?: DfsMode;
  /** Owner and permission bits of the root directory; default: this process's uid/gid, 0755. */
  readonly uid?: number;
  readonly gid?: number;
  readonly rootPermissions?: number;
}

function processId(which: 'uid' | 'gid'): number {
  const get = which === 'uid' ? process.getuid : process.getgid;
  return get === undefined ? 0 : get();
}

/**
 * Formats `cont` as a POSIX namespace: root entry, then superblock. EROFS on a read-only handle, EINVAL
 * when the container's layout is not POSIX or an option is out of range, EEXIST when a superblock exists.
 */
export async function mkfs(cont: ContHandle, options: MkfsOptions = {}): Promise<Superblock> {
  if (cont.readOnly) fsFail('EROFS', 'container handle is read-only');
  if (cont.props.layout !== 'POSIX') fsFail('EINVAL', `container layout is ${cont.props.layout}, not POSIX`);
  const chunkSizeBytes = options.chunkSizeBytes ?? (cont.props.chunkSizeBytes > 0 ? cont.props.chunkSizeBytes : CHUNK_SIZE_BYTES_DEFAULT);
  if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes < 1) fsFail('EINVAL', `chunk size ${chunkSizeBytes}`);
  const dirOclass = options.dirOclass ?? cont.props.dirOclass;
  // The superblock's id follows the container property (mount computes it before reading anything).
  const sbOid = superblockOid(cont.props.dirOclass);
  const now = timespecNow();
  const root: Inode = {
    mode: S_IFDIR | ((options.rootPermissions ?? 0o755) & 0o7777),
    oid: await newRootOid(cont, dirOclass),
    atime: now, mtime: now, ctime: now, mtimeEpoch: 0, chunkSizeBytes: 0, oclass: undefined,
    uid: options.uid ?? processId('uid'), gid: options.gid ?? processId('gid'), symlinkBytes: 0, unwritten: false,
  };
  const sb: Superblock = {
    oid: sbOid, chunkSizeBytes, dirOclass, root, layoutVersion: DFS_LAYOUT_VERSION,
    oclass: options.oclass ?? cont.props.oclass, fileOclass: options.fileOclass ?? cont.props.fileOclass, mode: options.mode ?? 'relaxed',
  };
  const object = cont.object(sbOid);
  try {
    await object.update({ dkey: ROOT_ENTRY_DKEY, iods: [inodeIod(root)], dkeyCond: 'insert' });
  } catch (error) {
    // An earlier or racing mkfs wrote the root; the superblock insert below decides who formatted.
    if (!isEngineError(error, Der.EXIST)) throw error;
  }
  const layout = {
    magic: DFS_MAGIC, sbVersion: DFS_SB_VERSION, layoutVersion: DFS_LAYOUT_VERSION, chunkSizeBytes,
    oclassId: oclassId(sb.oclass), dirOclassId: oclassId(dirOclass), fileOclassId: oclassId(sb.fileOclass), modeFlags: MODE_FLAGS[sb.mode],
  };
  try {
    await object.update({ dkey: SUPERBLOCK_DKEY, iods: encodeSuperblock(layout), dkeyCond: 'insert' });
  } catch (error) {
    if (isEngineError(error, Der.EXIST)) fsFail('EEXIST', `container ${cont.label ?? cont.uuid} already holds a DFS superblock`);
    throw error;
  }
  return sb;
}

/** The superblock and root entry of `cont`; EINVAL (with the reason) when there is no valid superblock. */
export async function readSuperblock(cont: ContHandle): Promise<Superblock> {
  const sb = await findSuperblock(cont);
  if (sb === undefined) fsFail('EINVAL', `container ${cont.label ?? cont.uuid} has no DFS superblock (format it with mkfs, or mount with { create: true })`);
  return sb;
}

/** The superblock and root entry of `cont`; undefined when it has none; EINVAL when it is not valid. */
export async function findSuperblock(cont: ContHandle): Promise<Superblock | undefined> {
  const name = cont.label ?? cont.uuid;
  const dirOclass = cont.props.dirOclass;
  const object = cont.object(superblockOid(dirOclass));
  const [sbValues, rootValues] = await Promise.all([
    object.fetch({ dkey: SUPERBLOCK_DKEY, iods: superblockFetchIods() }),
    object.fetch({ dkey: ROOT_ENTRY_DKEY, iods: entryFetchIods() }),
  ]);
  if (sbValues.every((value) => value.type === 'single' && value.value === null)) return undefined;
  const layout = decodeSuperblock(sbValues);
  if (typeof layout === 'string') fsFail('EINVAL', `container ${name}: ${layout}`);
  const root = decodeEntry(rootValues).inode;
  if (root === undefined) fsFail('EINVAL', `container ${name}: superblock without a root directory entry`);
  const classes = [oclassOfId(layout.oclassId), oclassOfId(layout.dirOclassId), oclassOfId(layout.fileOclassId)];
  const [oclass, storedDirOclass, fileOclass] = classes;
  if (oclass === undefined || storedDirOclass === undefined || fileOclass === undefined) fsFail('EINVAL', `container ${name}: unknown object class in superblock`);
  const mode: DfsMode = layout.modeFlags === MODE_FLAGS.balanced ? 'balanced' : 'relaxed';
  return {
    oid: object.oid, chunkSizeBytes: layout.chunkSizeBytes, oclass, dirOclass: storedDirOclass, fileOclass, mode,
    layoutVersion: layout.layoutVersion, root,
  };
}
