/**
 * The DFS format at rest: the one place superblock values, directory entries (the inode record inline in
 * the dirent), symlink targets and xattr keys are encoded and decoded. Nothing else writes these bytes.
 *
 * Superblock object, dkey "DFS_SB_METADATA", one single value per akey (little-endian integers):
 *   DFS_MAGIC u64 0xda05df50da05df50 · DFS_SB_VERSION u16 · DFS_LAYOUT_VERSION u16 · DFS_CHUNK_SIZE u64 ·
 *   DFS_OBJ_CLASS / DFS_DIR_OBJ_CLASS / DFS_FILE_OBJ_CLASS u32 (OCLASS_IDS) · DFS_MODE u32 (0 relaxed, 4 balanced)
 * The root directory's entry lives in the superblock object under dkey "/".
 *
 * A directory entry: dkey = the name (1..255 bytes UTF-8, no '/', not '.' or '..'); akey "DFS_INODE" = an
 * array of 1-byte records 0..INODE_RECORD_BYTES (so setattr rewrites only the fields it changes); akey
 * "DFS_SLINK" = the symlink target (single value); akeys "x:<name>" = one xattr each (single value).
 *
 * | off | size | field (little-endian)                  | off | size | field                          |
 * |   0 |   4  | mode (type + permission bits)          |  56 |   8  | ctime ns                       |
 * |   4 |  16  | oid (hi, lo big-endian, as oid.ts)     |  64 |   4  | uid                            |
 * |  20 |   8  | mtime s                                |  68 |   4  | gid                            |
 * |  28 |   8  | ctime s                                |  72 |   8  | symlink target bytes           |
 * |  36 |   8  | chunk size (0 = default; special: rdev)|  80 |   8  | object epoch when mtime was set|
 * |  44 |   4  | object class id (0 = default)          |  88 |   8  | atime s                        |
 * |  48 |   8  | mtime ns                               |  96 |   8  | atime ns                       |
 * |     |      |                                        | 104 |   4  | 1 = object never written (v2)  |
 *
 * Layout 2 added the "unwritten" field (first-write.ts): a layout 1 record reads 0 there (its fetch
 * returns zeros past byte 104), which means "may hold data", so layout 1 containers keep working unchanged;
 * a mount only sets the field on containers formatted with layout 2, which older libraries refuse.
 */
import { OID_BYTES, oidFromBytes, oidToBytes } from '../engine/placement/oid.js';
import type { ObjClassName } from '../engine/placement/object-class.js';
import type { FetchIodBody, FetchValueBody, RecordMatchBody, UpdateIodBody } from '../engine/client/index.js';
import { NAME_BYTES_MAX, PATH_BYTES_MAX, XATTR_NAME_BYTES_MAX, XATTR_VALUE_BYTES_MAX } from './constants.js';
import { fsFail } from './errors.js';
import type { Inode, Timespec } from './inode.js';

export const SUPERBLOCK_DKEY = Buffer.from('DFS_SB_METADATA');
export const ROOT_ENTRY_DKEY = Buffer.from('/');
export const DFS_MAGIC = 0xda05df50da05df50n;
export const DFS_SB_VERSION = 2;
/** Version of this entry format written by mkfs (tsdaos DFS layout 2: the 108-byte record above). */
export const DFS_LAYOUT_VERSION = 2;
/** The first layout whose entries may carry the unwritten mark. */
export const DFS_LAYOUT_UNWRITTEN = 2;
/** Layouts this library reads. */
const DFS_LAYOUTS_READ = [1, 2];

export const INODE_AKEY = Buffer.from('DFS_INODE');
export const SYMLINK_AKEY = Buffer.from('DFS_SLINK');
export const XATTR_AKEY_PREFIX = 'x:';
export const INODE_RECORD_BYTES = 108;

/** Object class ids stored in superblock and inode records; index = id, 0 = "the default". */
export const OCLASS_IDS: readonly (ObjClassName | undefined)[] = [undefined, 'S1', 'S2', 'SX', 'RP_2G1', 'RP_3G1', 'RP_2GX', 'RP_3GX'];

/** The superblock's values at rest. */
export interface SuperblockLayout {
  readonly magic: bigint;
  readonly sbVersion: number;
  readonly layoutVersion: number;
  readonly chunkSizeBytes: number;
  readonly oclassId: number;
  readonly dirOclassId: number;
  readonly fileOclassId: number;
  readonly modeFlags: number;
}

/** Byte ranges of the inode record's fields (offset, size). */
export const INODE_FIELDS_LAYOUT = {
  mode: [0, 4], oid: [4, 16], mtimeSeconds: [20, 8], ctimeSeconds: [28, 8], chunkSizeBytes: [36, 8], oclassId: [44, 4],
  mtimeNanoseconds: [48, 8], ctimeNanoseconds: [56, 8], uid: [64, 4], gid: [68, 4], symlinkBytes: [72, 8],
  mtimeEpoch: [80, 8], atimeSeconds: [88, 8], atimeNanoseconds: [96, 8], unwritten: [104, 4],
} as const satisfies Record<string, readonly [number, number]>;

type InodeField = keyof typeof INODE_FIELDS_LAYOUT;

const SB_AKEYS = {
  magic: 'DFS_MAGIC', sbVersion: 'DFS_SB_VERSION', layoutVersion: 'DFS_LAYOUT_VERSION', chunkSizeBytes: 'DFS_CHUNK_SIZE',
  oclassId: 'DFS_OBJ_CLASS', dirOclassId: 'DFS_DIR_OBJ_CLASS', fileOclassId: 'DFS_FILE_OBJ_CLASS', modeFlags: 'DFS_MODE',
} as const satisfies Record<keyof SuperblockLayout, string>;
const SB_WIDTHS: Record<keyof SuperblockLayout, 2 | 4 | 8> = {
  magic: 8, sbVersion: 2, layoutVersion: 2, chunkSizeBytes: 8, oclassId: 4, dirOclassId: 4, fileOclassId: 4, modeFlags: 4,
};
const SB_FIELDS = Object.keys(SB_AKEYS) as (keyof SuperblockLayout)[];

export function oclassId(name: ObjClassName | undefined): number {
  const id = OCLASS_IDS.indexOf(name);
  if (id < 0) fsFail('EINVAL', `no object class id for ${String(name)}`);
  return id;
}

/** The class of a stored id; undefined for 0 ("default") and for ids this version does not know. */
export function oclassOfId(id: number): ObjClassName | undefined {
  return OCLASS_IDS[id];
}

function writeUnsigned(target: Buffer, offset: number, width: number, value: number | bigint): void {
  if (width === 2) target.writeUInt16LE(Number(value), offset);
  else if (width === 4) target.writeUInt32LE(Number(value), offset);
  else target.writeBigUInt64LE(BigInt(value), offset);
}

function readUnsigned(source: Buffer, offset: number, width: number): number {
  if (width === 2) return source.readUInt16LE(offset);
  if (width === 4) return source.readUInt32LE(offset);
  return Number(source.readBigUInt64LE(offset));
}

/** The superblock as single-value iods (one update). */
export function encodeSuperblock(sb: SuperblockLayout): UpdateIodBody[] {
  return SB_FIELDS.map((field) => {
    const value = Buffer.alloc(SB_WIDTHS[field]);
    writeUnsigned(value, 0, SB_WIDTHS[field], sb[field]);
    return { type: 'single', akey: Buffer.from(SB_AKEYS[field]), value };
  });
}

/** The fetch iods for the whole superblock, in the order decodeSuperblock expects. */
export function superblockFetchIods(): FetchIodBody[] {
  return SB_FIELDS.map((field) => ({ type: 'single', akey: Buffer.from(SB_AKEYS[field]) }));
}

/** The superblock from its fetched values, or the reason it is not a valid one. */
export function decodeSuperblock(values: readonly FetchValueBody[]): SuperblockLayout | string {
  const decoded: Partial<Record<keyof SuperblockLayout, number | bigint>> = {};
  for (const [index, field] of SB_FIELDS.entries()) {
    const value = values[index];
    if (value === undefined || value.type !== 'single' || value.value === null) return `superblock has no ${SB_AKEYS[field]}`;
    if (value.value.length !== SB_WIDTHS[field]) return `superblock ${SB_AKEYS[field]} is ${value.value.length} bytes`;
    decoded[field] = field === 'magic' ? value.value.readBigUInt64LE(0) : readUnsigned(value.value, 0, SB_WIDTHS[field]);
  }
  const sb = decoded as SuperblockLayout;
  if (sb.magic !== DFS_MAGIC) return `bad superblock magic 0x${sb.magic.toString(16)}`;
  if (sb.sbVersion !== DFS_SB_VERSION) return `superblock version ${sb.sbVersion}, this library reads ${DFS_SB_VERSION}`;
  if (!DFS_LAYOUTS_READ.includes(sb.layoutVersion)) return `layout version ${sb.layoutVersion}, this library reads ${DFS_LAYOUTS_READ.join(' and ')}`;
  return sb;
}

function writeField(record: Buffer, field: InodeField, value: number | bigint): void {
  const [offset, width] = INODE_FIELDS_LAYOUT[field];
  writeUnsigned(record, offset, width, value);
}

function readField(record: Buffer, field: InodeField): number {
  const [offset, width] = INODE_FIELDS_LAYOUT[field];
  return readUnsigned(record, offset, width);
}

/** The whole inode record. */
export function encodeInode(inode: Inode): Buffer {
  const record = Buffer.alloc(INODE_RECORD_BYTES);
  writeField(record, 'mode', inode.mode);
  oidToBytes(inode.oid).copy(record, INODE_FIELDS_LAYOUT.oid[0]);
  writeField(record, 'chunkSizeBytes', inode.chunkSizeBytes);
  writeField(record, 'oclassId', oclassId(inode.oclass));
  writeField(record, 'uid', inode.uid);
  writeField(record, 'gid', inode.gid);
  writeField(record, 'symlinkBytes', inode.symlinkBytes);
  writeField(record, 'mtimeEpoch', inode.mtimeEpoch);
  writeField(record, 'unwritten', inode.unwritten ? 1 : 0);
  writeTime(record, 'mtime', inode.mtime);
  writeTime(record, 'ctime', inode.ctime);
  writeTime(record, 'atime', inode.atime);
  return record;
}

function writeTime(record: Buffer, which: 'mtime' | 'ctime' | 'atime', time: Timespec): void {
  writeField(record, `${which}Seconds`, time.seconds);
  writeField(record, `${which}Nanoseconds`, time.nanoseconds);
}

function readTime(record: Buffer, which: 'mtime' | 'ctime' | 'atime'): Timespec {
  return { seconds: readField(record, `${which}Seconds`), nanoseconds: readField(record, `${which}Nanoseconds`) };
}

/** The inode from a fetched record; undefined when the record is all zeros (no entry). */
export function decodeInode(record: Buffer): Inode | undefined {
  if (record.length !== INODE_RECORD_BYTES || readField(record, 'mode') === 0) return undefined;
  const [oidOffset] = INODE_FIELDS_LAYOUT.oid;
  return {
    mode: readField(record, 'mode'),
    oid: oidFromBytes(record.subarray(oidOffset, oidOffset + OID_BYTES)),
    atime: readTime(record, 'atime'),
    mtime: readTime(record, 'mtime'),
    ctime: readTime(record, 'ctime'),
    mtimeEpoch: readField(record, 'mtimeEpoch'),
    chunkSizeBytes: readField(record, 'chunkSizeBytes'),
    oclass: oclassOfId(readField(record, 'oclassId')),
    uid: readField(record, 'uid'),
    gid: readField(record, 'gid'),
    symlinkBytes: readField(record, 'symlinkBytes'),
    unwritten: readField(record, 'unwritten') === 1,
  };
}

/** Which stored fields a setattr may change. */
export interface InodeChange {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly atime?: Timespec;
  /** With the object epoch at the moment of the change. */
  readonly mtime?: { readonly time: Timespec; readonly epoch: number };
  readonly ctime?: Timespec;
  /** Only ever cleared (first-write.ts). */
  readonly unwritten?: false;
}

/** An array iod that rewrites only the fields in `change` (one extent per field). */
export function inodeChangeIod(change: InodeChange): UpdateIodBody {
  const record = Buffer.alloc(INODE_RECORD_BYTES);
  const fields: InodeField[] = [];
  const set = (field: InodeField, value: number): void => {
    writeField(record, field, value);
    fields.push(field);
  };
  if (change.mode !== undefined) set('mode', change.mode);
  if (change.uid !== undefined) set('uid', change.uid);
  if (change.gid !== undefined) set('gid', change.gid);
  if (change.unwritten === false) set('unwritten', 0);
  for (const which of ['atime', 'ctime'] as const) {
    const time = change[which];
    if (time !== undefined) {
      set(`${which}Seconds`, time.seconds);
      set(`${which}Nanoseconds`, time.nanoseconds);
    }
  }
  if (change.mtime !== undefined) {
    set('mtimeSeconds', change.mtime.time.seconds);
    set('mtimeNanoseconds', change.mtime.time.nanoseconds);
    set('mtimeEpoch', change.mtime.epoch);
  }
  return { type: 'array', akey: INODE_AKEY, recordSize: 1, ...fieldRecords(record, fields) };
}

/** The byte ranges of `fields` in `record` as extents (ascending, one per field) and their bytes, in order. */
function fieldRecords(record: Buffer, fields: readonly InodeField[]): { extents: Array<{ index: number; count: number }>; data: Buffer } {
  const ranges = fields.map((field) => INODE_FIELDS_LAYOUT[field]).sort((a, b) => a[0] - b[0]);
  return {
    extents: ranges.map(([index, count]) => ({ index, count })),
    data: Buffer.concat(ranges.map(([offset, width]) => record.subarray(offset, offset + width))),
  };
}

/** The iod writing a whole inode record. */
export function inodeIod(inode: Inode): UpdateIodBody {
  return { type: 'array', akey: INODE_AKEY, recordSize: 1, extents: [{ index: 0, count: INODE_RECORD_BYTES }], data: encodeInode(inode) };
}

/**
 * The records that identify what an entry names, for a compare-and-punch (entry.ts): its object id and
 * unwritten mark as `inode` has them.
 */
export function entryIdentity(inode: Inode): RecordMatchBody {
  return { akey: INODE_AKEY, recordSize: 1, ...fieldRecords(encodeInode(inode), ['oid', 'unwritten']) };
}

/**
 * The records a setattr's checks and answer rest on, for a compare-and-update (attr.ts): the object the
 * entry names, its type and permission bits, owner and group as `inode` has them, and its unwritten mark
 * when `withMark`.
 */
export function entryGuard(inode: Inode, withMark: boolean): RecordMatchBody {
  const fields: InodeField[] = withMark ? ['oid', 'mode', 'uid', 'gid', 'unwritten'] : ['oid', 'mode', 'uid', 'gid'];
  return { akey: INODE_AKEY, recordSize: 1, ...fieldRecords(encodeInode(inode), fields) };
}

/** Iods that fetch an entry in one RPC: its inode record, then its symlink target. */
export function entryFetchIods(): FetchIodBody[] {
  return [
    { type: 'array', akey: INODE_AKEY, recordSize: 1, extents: [{ index: 0, count: INODE_RECORD_BYTES }] },
    { type: 'single', akey: SYMLINK_AKEY },
  ];
}

/** The inode and symlink target from entryFetchIods() values; undefined inode when there is no entry. */
export function decodeEntry(values: readonly FetchValueBody[]): { inode: Inode | undefined; symlinkTarget: string | undefined } {
  const [record, target] = values;
  const inode = record !== undefined && record.type === 'array' ? decodeInode(record.data) : undefined;
  const symlinkTarget = target !== undefined && target.type === 'single' && target.value !== null ? target.value.toString('utf8') : undefined;
  return { inode, symlinkTarget };
}

/** The symlink target as a single-value iod. */
export function symlinkIod(target: string): UpdateIodBody {
  return { type: 'single', akey: SYMLINK_AKEY, value: Buffer.from(target, 'utf8') };
}

/**
 * The dkey of entry `name`: ENAMETOOLONG past 255 bytes; EINVAL for '', '.', '..' and names holding
 * '/' or NUL.
 */
export function entryKey(name: string): Buffer {
  if (name === '' || name === '.' || name === '..') fsFail('EINVAL', `invalid entry name ${JSON.stringify(name)}`);
  if (name.includes('/') || name.includes('\0')) fsFail('EINVAL', 'entry name holds / or NUL');
  const key = Buffer.from(name, 'utf8');
  if (key.length > NAME_BYTES_MAX) fsFail('ENAMETOOLONG', `entry name of ${key.length} bytes`);
  return key;
}

/** Checks a symlink target: ENOENT when empty, ENAMETOOLONG past PATH_BYTES_MAX. Returns its length in bytes. */
export function checkSymlinkTarget(target: string): number {
  const bytes = Buffer.byteLength(target, 'utf8');
  if (bytes === 0) fsFail('ENOENT', 'empty symlink target');
  if (bytes > PATH_BYTES_MAX) fsFail('ENAMETOOLONG', `symlink target of ${bytes} bytes`);
  return bytes;
}

/** The akey of xattr `name`: EINVAL when empty, ERANGE past 255 bytes. */
export function xattrKey(name: string): Buffer {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) fsFail('EINVAL', 'empty xattr name');
  if (bytes > XATTR_NAME_BYTES_MAX) fsFail('ERANGE', `xattr name of ${bytes} bytes`);
  return Buffer.from(`${XATTR_AKEY_PREFIX}${name}`, 'utf8');
}

/** The xattr name an akey holds, or undefined for akeys that are not xattrs. */
export function xattrNameOfKey(akey: Buffer): string | undefined {
  const text = akey.toString('utf8');
  return text.startsWith(XATTR_AKEY_PREFIX) ? text.slice(XATTR_AKEY_PREFIX.length) : undefined;
}

/** Checks an xattr value: E2BIG past 64 KiB. */
export function checkXattrValue(value: Uint8Array): Buffer {
  if (value.length > XATTR_VALUE_BYTES_MAX) fsFail('E2BIG', `xattr value of ${value.length} bytes`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
