/** The low-level session's pure parts: mount options and directory entry encoding (struct fuse_dirent). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlacedBytes } from '../dfs/index.js';
import { adviseWillNeed, encodeDirents, encodeDirentsPlus, lowLevelOptionList } from './fuse-lowlevel.js';

describe('dfuse low-level session', () => {
  it('mount options are explicit; timeouts are not mount options on the low-level API', () => {
    expect(lowLevelOptionList({ fsname: 'tsdaos:p/c', subtype: 'tsdaos', allowOther: true, readOnly: false }))
      .toEqual(['fsname=tsdaos:p/c', 'subtype=tsdaos', 'default_permissions', 'max_read=524288', 'allow_other']);
    expect(lowLevelOptionList({ fsname: 'f', subtype: 's', allowOther: false, readOnly: true }))
      .toEqual(['fsname=f', 'subtype=s', 'default_permissions', 'max_read=524288', 'ro']);
  });

  it('adviseWillNeed: one system call per file part of an open file; memory parts and bad descriptors are not advised', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-advise-'));
    const file = path.join(dir, 'data.blob');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 1));
    const fd = fs.openSync(file, 'r');
    try {
      const later = performance.now() + 60_000;
      expect(adviseWillNeed(new PlacedBytes([Buffer.from('m'), { fd, position: 0, length: 4096 }, { fd, position: 8192, length: 8192 }], later))).toBe(2);
      expect(adviseWillNeed(PlacedBytes.of(Buffer.from('only memory')))).toBe(0);
      expect(adviseWillNeed(new PlacedBytes([{ fd: 1_000_000, position: 0, length: 4096 }], later))).toBe(0);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dirents: 24-byte header + name padded to 8, next offset = index + 1, stops before the size is exceeded', () => {
    const names = ['.', '..', 'file', 'a-longer-name'];
    const inos = [1n, 1n, 0x1_0000_0002n, 7n];
    const modes = [0o040755, 0o040755, 0o100644, 0o120777];
    const entries = names.map((name, index) => ({ name, ino: inos[index]!, mode: modes[index]!, stat: undefined }));
    const all = encodeDirents(entries, 0, 4096);
    expect(all.length).toBe(32 + 32 + 32 + 40);
    const record = (at: number): [bigint, bigint, number, number, string] => {
      const length = all.buffer.readUInt32LE(at + 16);
      return [all.buffer.readBigUInt64LE(at), all.buffer.readBigUInt64LE(at + 8), length, all.buffer.readUInt32LE(at + 20), all.buffer.toString('utf8', at + 24, at + 24 + length)];
    };
    expect(record(64)).toEqual([0x1_0000_0002n, 3n, 4, 8, 'file']);
    expect(record(96)).toEqual([7n, 4n, 13, 10, 'a-longer-name']);
    // From offset 2, in 70 bytes: only 'file' fits (the next record would end at 72).
    const page = encodeDirents(entries, 2, 70);
    expect(page.length).toBe(32);
    expect(page.buffer.toString('utf8', 24, 28)).toBe('file');
    expect(encodeDirents(entries, 4, 4096).length).toBe(0);
  });
});

describe('dfuse readdirplus pages', () => {
  const stat = (ino: bigint, mode: number, size: number) => ({
    mode, uid: 1, gid: 2, size, nlink: 1, ino, rdev: 0, blksize: 4096, blocks: 8, atime: 1_000_500, mtime: 2_000_250, ctime: 3_000_000,
  });
  const entries = [
    { name: '.', ino: 1n, mode: 0o040755, stat: undefined },
    { name: 'file', ino: 9n, mode: 0o100644, stat: stat(9n, 0o100644, 4321) },
    { name: 'dir', ino: 10n, mode: 0o040700, stat: stat(10n, 0o040700, 0) },
  ];

  it('entry_out (node, timeouts, attributes) then the dirent; node ids asked only for entries with attributes that fit', () => {
    const asked: number[] = [];
    const times = (entry: { mode: number }) => ({ attr: 1.5, entry: (entry.mode & 0o170000) === 0o040000 ? 5 : 1 });
    const { buffer, length } = encodeDirentsPlus(entries, 0, 4096, times, (index) => {
      asked.push(index);
      return 100 + index;
    });
    expect(asked).toEqual([1, 2]);
    expect(length).toBe(3 * (128 + 32));
    // '.': node 0, no attributes, dirent at 128.
    expect(buffer.readBigUInt64LE(0)).toBe(0n);
    expect(buffer.toString('utf8', 128 + 24, 128 + 25)).toBe('.');
    const at = 160;
    expect(buffer.readBigUInt64LE(at)).toBe(101n);
    expect([buffer.readBigUInt64LE(at + 16), buffer.readBigUInt64LE(at + 24), buffer.readUInt32LE(at + 32), buffer.readUInt32LE(at + 36)]).toEqual([1n, 1n, 0, 500_000_000]);
    const attr = at + 40;
    expect([buffer.readBigUInt64LE(attr), buffer.readBigUInt64LE(attr + 8), buffer.readBigUInt64LE(attr + 32), buffer.readUInt32LE(attr + 52)]).toEqual([9n, 4321n, 2000n, 250_000_000]);
    expect([buffer.readUInt32LE(attr + 60), buffer.readUInt32LE(attr + 68), buffer.readUInt32LE(attr + 72), buffer.readUInt32LE(attr + 80)]).toEqual([0o100644, 1, 2, 4096]);
    expect([buffer.readBigUInt64LE(at + 128), buffer.readBigUInt64LE(at + 136), buffer.readUInt32LE(at + 148)]).toEqual([9n, 2n, 8]);
    expect(buffer.readBigUInt64LE(320 + 16)).toBe(5n);
    // A page that holds one record: only that entry's node is asked for.
    asked.length = 0;
    expect(encodeDirentsPlus(entries, 1, 200, times, (index) => { asked.push(index); return 1; }).length).toBe(160);
    expect(asked).toEqual([1]);
  });
});
