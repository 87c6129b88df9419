import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localSocketPath } from './local-socket.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('local socket path', () => {
  it('a fresh random name in the engine directory; sockets of earlier runs are removed, other files kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdaos-local-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'call-0123456789abcdef.sock'), '');
    writeFileSync(join(dir, 'engine.json'), '{}');
    const first = localSocketPath(dir);
    expect(first).toMatch(new RegExp(`^${dir}/call-[0-9a-f]{16}\\.sock$`));
    expect(readdirSync(dir)).toEqual(['engine.json']);
    expect(localSocketPath(dir)).not.toBe(first);
  });

  it('a directory whose socket path would pass the UNIX address limit -> none (the port serves alone)', () => {
    const base = mkdtempSync(join(tmpdir(), 'tsdaos-local-'));
    dirs.push(base);
    const deep = join(base, 'x'.repeat(100));
    mkdirSync(deep);
    expect(localSocketPath(deep)).toBeUndefined();
  });
});
