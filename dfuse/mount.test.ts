/** The mount's start check: "mounted" only once the kernel serves the mount (awaitServed). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MountPointError, awaitServed } from './mount.js';

describe('dfuse start', () => {
  it('a mount point the kernel does not serve through FUSE (the mount ended during INIT) is an error, not "mounted"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdaos-served-'));
    try {
      const failure = await awaitServed(dir).then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(MountPointError);
      expect((failure as Error).message).toMatch(/ended as it started \(INIT refused\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
