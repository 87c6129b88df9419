/** Caching policy from container attributes, command-line overrides and --disable-caching; mount options. */
import { describe, expect, it } from 'vitest';
import { CachePolicyError, DEFAULT_POLICY, NO_CACHING, cachePolicy, parseDuration } from './cache-policy.js';
import { FUSE_IO_BYTES_MAX, fuseOptionList } from './fuse-session.js';

describe('dfuse cache policy', () => {
  it('no attribute set: the DAOS defaults', () => {
    expect(cachePolicy({}, {}, false)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toMatchObject({ attrSeconds: 1, dentrySeconds: 1, dentryDirSeconds: 5, negativeSeconds: 1, dataCache: 'auto' });
  });

  it('any attribute set: unset ones are 0/off, dentry-dir falls back to dentry', () => {
    expect(cachePolicy({ 'dfuse-dentry-time': '2m' }, {}, false)).toEqual({
      attrSeconds: 0, dentrySeconds: 120, dentryDirSeconds: 120, negativeSeconds: 0, dataCache: 'off',
    });
    expect(cachePolicy({ 'dfuse-attr-time': '1h', 'dfuse-data-cache': 'otoc' }, {}, false)).toMatchObject({ attrSeconds: 3600, dataCache: 'auto' });
  });

  it('command-line overrides beat attributes; --disable-caching beats everything', () => {
    expect(cachePolicy({ 'dfuse-attr-time': '10' }, { 'dfuse-attr-time': '0' }, false).attrSeconds).toBe(0);
    expect(cachePolicy({ 'dfuse-attr-time': '10' }, {}, true)).toEqual(NO_CACHING);
    expect(cachePolicy({}, { 'dfuse-data-cache': 'off' }, false).dataCache).toBe('off');
    expect(cachePolicy({}, { 'dfuse-data-cache': '10m' }, false).dataCache).toBe('auto');
  });

  it('durations: seconds or s/m/h/d; anything else is a clear error', () => {
    expect([parseDuration('30', 'x'), parseDuration('1.5s', 'x'), parseDuration('2d', 'x')]).toEqual([30, 1.5, 172_800]);
    expect(() => parseDuration('soon', 'dfuse-attr-time')).toThrow(CachePolicyError);
    expect(() => cachePolicy({ 'dfuse-attr-time': '-1' }, {}, false)).toThrow(/dfuse-attr-time: not a duration/);
  });

  it('mount options are explicit: use_ino, timeouts, big_writes with 128 KiB requests, permissions', () => {
    const list = fuseOptionList({
      fsname: 'tsdaos:p/c', subtype: 'tsdaos', attrTimeout: 1, entryTimeout: 2, negativeTimeout: 3, dataCache: 'auto',
      allowOther: true, defaultPermissions: true, readOnly: false, opTimeoutMs: 1000,
    });
    for (const option of ['use_ino', 'readdir_ino', 'attr_timeout=1', 'entry_timeout=2', 'negative_timeout=3', 'big_writes',
      `max_write=${FUSE_IO_BYTES_MAX}`, `max_read=${FUSE_IO_BYTES_MAX}`, 'default_permissions', 'auto_cache', 'allow_other']) {
      expect(list).toContain(option);
    }
    const off = fuseOptionList({
      fsname: 'f', subtype: 's', attrTimeout: 0, entryTimeout: 0, negativeTimeout: 0, dataCache: 'off',
      allowOther: false, defaultPermissions: true, readOnly: true, opTimeoutMs: 1000,
    });
    expect(off).toContain('direct_io');
    expect(off).toContain('ro');
    expect(off).not.toContain('allow_other');
  });
});
