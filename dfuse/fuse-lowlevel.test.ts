/** The low-level session's pure parts: mount options and directory entry encoding (struct fuse_dirent). */
import { describe, expect, it } from 'vitest';
import { encodeDirents, lowLevelOptionList } from './fuse-lowlevel.js';

describe('dfuse low-level session', () => {
  it('mount options are explicit; timeouts are not mount options on the low-level API', () => {
    expect(lowLevelOptionList({ fsname: 'tsdaos:p/c', subtype: 'tsdaos', allowOther: true, readOnly: false }))
      .toEqual(['fsname=tsdaos:p/c', 'subtype=tsdaos', 'default_permissions', 'allow_other']);
    expect(lowLevelOptionList({ fsname: 'f', subtype: 's', allowOther: false, readOnly: true })).toEqual(['fsname=f', 'subtype=s', 'default_permissions', 'ro']);
  });

  it('dirents: 24-byte header + name padded to 8, next offset = index + 1, stops before the size is exceeded', () => {
    const names = ['.', '..', 'file', 'a-longer-name'];
    const inos = [1n, 1n, 0x1_0000_0002n, 7n];
    const modes = [0o040755, 0o040755, 0o100644, 0o120777];
    const all = encodeDirents(names, inos, modes, 0, 4096);
    expect(all.length).toBe(32 + 32 + 32 + 40);
    const record = (at: number): [bigint, bigint, number, number, string] => {
      const length = all.buffer.readUInt32LE(at + 16);
      return [all.buffer.readBigUInt64LE(at), all.buffer.readBigUInt64LE(at + 8), length, all.buffer.readUInt32LE(at + 20), all.buffer.toString('utf8', at + 24, at + 24 + length)];
    };
    expect(record(64)).toEqual([0x1_0000_0002n, 3n, 4, 8, 'file']);
    expect(record(96)).toEqual([7n, 4n, 13, 10, 'a-longer-name']);
    // From offset 2, in 70 bytes: only 'file' fits (the next record would end at 72).
    const page = encodeDirents(names, inos, modes, 2, 70);
    expect(page.length).toBe(32);
    expect(page.buffer.toString('utf8', 24, 28)).toBe('file');
    expect(encodeDirents(names, inos, modes, 4, 4096).length).toBe(0);
  });
});
