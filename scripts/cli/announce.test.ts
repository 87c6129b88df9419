import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANNOUNCE_FD_OPTION, announce, announceFdOption } from './announce.js';
import { UsageError, parse } from './command.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdaos-announce-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--announce-fd (daemon side)', () => {
  it('absent: undefined; an open descriptor: itself; a closed or invalid one: a usage error naming it', () => {
    expect(announceFdOption(parse([], ANNOUNCE_FD_OPTION))).toBeUndefined();
    const fd = openSync(join(dir, 'open'), 'w');
    expect(announceFdOption(parse(['--announce-fd', String(fd)], ANNOUNCE_FD_OPTION))).toBe(fd);
    closeSync(fd);
    expect(() => announceFdOption(parse(['--announce-fd', String(fd)], ANNOUNCE_FD_OPTION))).toThrow(new UsageError(`--announce-fd ${fd}: not an open descriptor`));
    expect(() => announceFdOption(parse(['--announce-fd', '1'], ANNOUNCE_FD_OPTION))).toThrow(UsageError);
    expect(() => announceFdOption(parse(['--announce-fd', 'x'], ANNOUNCE_FD_OPTION))).toThrow(UsageError);
  });

  it('announce writes one JSON line and closes the descriptor', () => {
    const path = join(dir, 'line');
    const fd = openSync(path, 'w');
    announce(fd, { event: 'ready', rank: 2 });
    expect(readFileSync(path, 'utf8')).toBe('{"event":"ready","rank":2}\n');
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });
});
