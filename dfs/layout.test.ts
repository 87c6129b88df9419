/**
 * Pure parts of DFS: the entry and superblock encodings (layout.ts), name checks, inode numbers,
 * permission decisions (access.ts) and the Der -> errno switch. No cluster.
 */
import { describe, expect, it } from 'vitest';
import { Der, EngineError } from '../engine/wire/errors.js';
import { R_OK, W_OK, X_OK, mayAccess, requireChown, requireStickyRight } from './access.js';
import { FsError, derToErrno, toFsError } from './errors.js';
import { type Inode, S_IFDIR, S_IFREG } from './inode.js';
import { inoOfOid } from './inode-table.js';
import {
  DFS_MAGIC, INODE_RECORD_BYTES, decodeInode, decodeSuperblock, encodeInode, encodeSuperblock, entryKey, inodeChangeIod,
  superblockFetchIods, xattrKey,
} from './layout.js';
import pino from 'pino';

const inode: Inode = {
  mode: S_IFREG | 0o640,
  oid: { hi: 0x0d01_0006_1234_5678n, lo: 42n },
  atime: { seconds: 1_700_000_000, nanoseconds: 5 },
  mtime: { seconds: 1_700_000_001, nanoseconds: 999_999_999 },
  ctime: { seconds: 1_700_000_002, nanoseconds: 0 },
  mtimeEpoch: 123_456_789,
  chunkSizeBytes: 1 << 20,
  oclass: 'SX',
  uid: 1000,
  gid: 100,
  symlinkBytes: 0,
  unwritten: true,
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FsError);
    return (error as FsError).code;
  }
  throw new Error('expected an FsError');
}

describe('dfs layout', () => {
  it('inode: encode then decode -> same inode, record of INODE_RECORD_BYTES', () => {
    const record = encodeInode(inode);
    expect(record.length).toBe(INODE_RECORD_BYTES);
    expect(decodeInode(record)).toEqual(inode);
  });

  it('inode: a layout 1 record (104 bytes, zeros after) -> not marked unwritten; clearing the mark rewrites only its field', () => {
    const record = encodeInode(inode);
    record.fill(0, 104);
    expect(decodeInode(record)).toEqual({ ...inode, unwritten: false });
    const iod = inodeChangeIod({ unwritten: false });
    if (iod.type !== 'array' || iod.data === null) throw new Error('expected an array iod');
    expect(iod.extents).toEqual([{ index: 104, count: 4 }]);
    expect(iod.data).toEqual(Buffer.alloc(4));
  });

  it('inode: all-zero record -> no entry', () => {
    expect(decodeInode(Buffer.alloc(INODE_RECORD_BYTES))).toBeUndefined();
  });

  it('inode change: mode and mtime -> only those byte ranges, applied over a record gives the new inode', () => {
    const iod = inodeChangeIod({ mode: S_IFREG | 0o600, mtime: { time: { seconds: 7, nanoseconds: 8 }, epoch: 9 } });
    if (iod.type !== 'array' || iod.data === null) throw new Error('expected an array iod');
    expect(iod.extents).toEqual([{ index: 0, count: 4 }, { index: 20, count: 8 }, { index: 48, count: 8 }, { index: 80, count: 8 }]);
    const record = encodeInode(inode);
    let at = 0;
    for (const extent of iod.extents) {
      iod.data.copy(record, extent.index, at, at + extent.count);
      at += extent.count;
    }
    expect(decodeInode(record)).toEqual({ ...inode, mode: S_IFREG | 0o600, mtime: { seconds: 7, nanoseconds: 8 }, mtimeEpoch: 9 });
  });

  it('superblock: encode then decode -> same values (layouts 1 and 2); wrong magic or layout 3 -> reason', () => {
    const sb = { magic: DFS_MAGIC, sbVersion: 2, layoutVersion: 1, chunkSizeBytes: 1 << 20, oclassId: 1, dirOclassId: 1, fileOclassId: 3, modeFlags: 0 };
    const values = encodeSuperblock(sb).map((iod) => ({ type: 'single' as const, value: iod.type === 'single' ? iod.value : null }));
    expect(values).toHaveLength(superblockFetchIods().length);
    expect(decodeSuperblock(values)).toEqual(sb);
    const bad = encodeSuperblock({ ...sb, magic: 1n }).map((iod) => ({ type: 'single' as const, value: iod.type === 'single' ? iod.value : null }));
    expect(typeof decodeSuperblock(bad)).toBe('string');
    const current = encodeSuperblock({ ...sb, layoutVersion: 2 }).map((iod) => ({ type: 'single' as const, value: iod.type === 'single' ? iod.value : null }));
    expect(decodeSuperblock(current)).toEqual({ ...sb, layoutVersion: 2 });
    const future = encodeSuperblock({ ...sb, layoutVersion: 3 }).map((iod) => ({ type: 'single' as const, value: iod.type === 'single' ? iod.value : null }));
    expect(decodeSuperblock(future)).toBe('layout version 3, this library reads 1 and 2');
  });

  it('entry names: empty, dot, dotdot, slash -> EINVAL; 256 bytes -> ENAMETOOLONG; 255 -> ok', () => {
    for (const name of ['', '.', '..', 'a/b', 'nul\0']) expect(codeOf(() => entryKey(name))).toBe('EINVAL');
    expect(codeOf(() => entryKey('x'.repeat(256)))).toBe('ENAMETOOLONG');
    expect(codeOf(() => entryKey('é'.repeat(128)))).toBe('ENAMETOOLONG');
    expect(entryKey('x'.repeat(255)).length).toBe(255);
  });

  it('xattr names: empty -> EINVAL, 256 bytes -> ERANGE', () => {
    expect(codeOf(() => xattrKey(''))).toBe('EINVAL');
    expect(codeOf(() => xattrKey('n'.repeat(256)))).toBe('ERANGE');
    expect(xattrKey('user.a').toString()).toBe('x:user.a');
  });

  it('inode numbers: from hi user bits and lo -> stable, root (userHi 1, lo 0) is 1', () => {
    expect(inoOfOid({ hi: 0x0701_0001_0000_0001n, lo: 0n })).toBe(1n);
    expect(inoOfOid({ hi: 0x0d01_0006_0000_0010n, lo: 5n })).toBe((5n << 32n) | 16n);
    expect(inoOfOid(inode.oid)).toBe(inoOfOid({ ...inode.oid }));
  });

  it('derToErrno: each mapped code -> its errno; NOSPACE -> ENOSPC; unknown -> EIO', () => {
    expect(derToErrno(Der.NONEXIST)).toBe('ENOENT');
    expect(derToErrno(Der.EXIST)).toBe('EEXIST');
    expect(derToErrno(Der.NOSPACE)).toBe('ENOSPC');
    expect(derToErrno(Der.NO_PERM)).toBe('EPERM');
    expect(derToErrno(Der.DATA_LOSS)).toBe('EIO');
    const log = pino({ level: 'silent' });
    const unknown = toFsError(new EngineError(9999 as Der), 'read', '/f', log);
    expect([unknown.code, unknown.syscall, unknown.path]).toEqual(['EIO', 'read', '/f']);
    expect(toFsError(new EngineError(Der.NOSPACE), 'write', '/f', log).code).toBe('ENOSPC');
    expect(toFsError(new TypeError('boom'), 'write', '/f', log).code).toBe('EIO');
  });
});

describe('dfs access', () => {
  const file = { mode: S_IFREG | 0o640, uid: 10, gid: 20 };
  const user = { uid: 10, gid: 1, groups: [] };
  const member = { uid: 11, gid: 1, groups: [20] };
  const other = { uid: 12, gid: 2, groups: [] };
  const root = { uid: 0, gid: 0, groups: [] };

  it('owner/group/other bits: owner rw, group r, other nothing', () => {
    expect(mayAccess(user, file, R_OK | W_OK)).toBe(true);
    expect(mayAccess(member, file, R_OK)).toBe(true);
    expect(mayAccess(member, file, W_OK)).toBe(false);
    expect(mayAccess(other, file, R_OK)).toBe(false);
  });

  it('root: reads and writes anything, executes only with some x bit or a directory', () => {
    expect(mayAccess(root, file, R_OK | W_OK)).toBe(true);
    expect(mayAccess(root, file, X_OK)).toBe(false);
    expect(mayAccess(root, { ...file, mode: S_IFREG | 0o001 }, X_OK)).toBe(true);
    expect(mayAccess(root, { ...file, mode: S_IFDIR }, X_OK)).toBe(true);
  });

  it('chown: owner to a group of theirs -> ok; to another uid or foreign group -> EPERM', () => {
    expect(() => requireChown(member, { ...file, uid: 11 }, undefined, 20)).not.toThrow();
    expect(codeOf(() => requireChown(user, file, 11, undefined))).toBe('EPERM');
    expect(codeOf(() => requireChown(user, file, undefined, 99))).toBe('EPERM');
  });

  it('sticky directory: neither owner -> EPERM', () => {
    const dir = { mode: S_IFDIR | 0o1777, uid: 0, gid: 0 };
    expect(codeOf(() => requireStickyRight(other, dir, file))).toBe('EPERM');
    expect(() => requireStickyRight(user, dir, file)).not.toThrow();
  });
});
