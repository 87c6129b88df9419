/** The passthrough daemon's libfuse2 mount options: every one explicit. */
import { describe, expect, it } from 'vitest';
import { FUSE_IO_BYTES_MAX, fuseOptionList } from './passthrough-session.js';

describe('passthrough session', () => {
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
