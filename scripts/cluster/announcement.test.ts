import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ANNOUNCE_FD, awaitAnnouncement, daemonStdio } from './announcement.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdaos-announce-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A node child running `script` with the daemon stdio (output to `log`). */
function daemon(script: string, log: string): ChildProcess {
  const logFd = openSync(log, 'a');
  const child = spawn(process.execPath, ['-e', script], { stdio: daemonStdio(logFd) });
  closeSync(logFd);
  children.push(child);
  return child;
}

const wait = {
  timeoutMs: 10_000,
  timedOut: () => 'timed out',
  ended: (how: string) => `daemon ${how}`,
};

describe('daemon announcement on its own descriptor', () => {
  it('the line on fd 3 is the announcement; stdout and stderr, before and after it, go to the log', async () => {
    const log = join(dir, 'ok.log');
    const child = daemon(`
      console.log('{');
      console.log('[gc] Scavenge 4.1 -> 3.6 MB');
      console.error('a warning');
      require('node:fs').writeSync(${ANNOUNCE_FD}, JSON.stringify({ event: 'mounted', metrics: '127.0.0.1:40001' }) + '\\n');
      require('node:fs').closeSync(${ANNOUNCE_FD});
      setTimeout(() => { console.log('printed later'); process.exit(0); }, 100);
    `, log);
    await expect(awaitAnnouncement(child, wait)).resolves.toEqual({ event: 'mounted', metrics: '127.0.0.1:40001' });
    await new Promise((resolve) => child.once('exit', resolve));
    expect(child.exitCode).toBe(0);
    const printed = readFileSync(log, 'utf8');
    for (const line of ['{', '[gc] Scavenge 4.1 -> 3.6 MB', 'a warning', 'printed later']) expect(printed).toContain(`${line}\n`);
  });

  it('an exit before any announcement rejects with the exit status', async () => {
    const child = daemon(`console.error('cannot mount'); process.exit(3);`, join(dir, 'exit.log'));
    await expect(awaitAnnouncement(child, wait)).rejects.toThrow('daemon exited (3)');
  });

  it('a descriptor closed without a line, the daemon still running, rejects once the wait for an exit is over', async () => {
    const child = daemon(`require('node:fs').closeSync(${ANNOUNCE_FD}); setTimeout(() => {}, 30_000);`, join(dir, 'closed.log'));
    await expect(awaitAnnouncement(child, wait)).rejects.toThrow('daemon closed its announcement descriptor without a line');
    expect(child.exitCode).toBeNull();
  });

  it('a line that is not a JSON object rejects, quoting it', async () => {
    const child = daemon(`require('node:fs').writeSync(${ANNOUNCE_FD}, 'ready\\n'); setTimeout(() => {}, 30_000);`, join(dir, 'garbled.log'));
    await expect(awaitAnnouncement(child, wait)).rejects.toThrow('daemon announced something that is not a JSON object: "ready"');
  });

  it('silence past the timeout rejects with the timeout message', async () => {
    const child = daemon(`setTimeout(() => {}, 30_000);`, join(dir, 'silent.log'));
    await expect(awaitAnnouncement(child, { ...wait, timeoutMs: 300 })).rejects.toThrow('timed out');
  });
});
