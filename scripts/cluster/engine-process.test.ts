import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_V8_ARGS, daemonEnv, daemonNodeArgs } from './engine-process.js';

const saved = { ...process.env };
afterEach(() => {
  for (const name of ['TSDAOS_NODE_ARGS', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('daemon spawn settings', () => {
  it('daemonEnv: malloc settings that keep bulk buffers for reuse, under the caller\'s own values', () => {
    delete process.env['MALLOC_MMAP_THRESHOLD_'];
    delete process.env['MALLOC_TRIM_THRESHOLD_'];
    expect(daemonEnv()).toMatchObject({ MALLOC_MMAP_THRESHOLD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) });
    process.env['MALLOC_TRIM_THRESHOLD_'] = '4096';
    expect(daemonEnv()['MALLOC_TRIM_THRESHOLD_']).toBe('4096');
    expect(daemonEnv()['PATH']).toBe(process.env['PATH']);
  });

  it('DAEMON_V8_ARGS: flags this node accepts (an unknown V8 flag would be ignored with a warning)', () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of DAEMON_V8_ARGS) expect(options).toContain(flag.replace(/^--no-/, '--').replace(/=.*/, ''));
  });

  it('daemonNodeArgs: TSDAOS_NODE_ARGS split on blanks; none when unset', () => {
    delete process.env['TSDAOS_NODE_ARGS'];
    expect(daemonNodeArgs()).toEqual([]);
    process.env['TSDAOS_NODE_ARGS'] = '  --cpu-prof   --cpu-prof-dir=/tmp/p ';
    expect(daemonNodeArgs()).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  });
});
