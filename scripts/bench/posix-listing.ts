/**
 * The listing case of the POSIX bench: `ls -l` of the small-files directory fio has just filled (5,000
 * written files of 4 KiB), with the kernel's caches dropped first, so a FUSE target's daemon answers the
 * listing with every entry's attributes and `ls`'s xattr probes of each entry (security.selinux,
 * system.posix_acl_access). Rate: entries listed per second, the `ls` process's whole run.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './bench-env.js';
import { dropCaches } from './drop-caches.js';
import { runCommand } from './posix-command.js';

export const LISTING_CASE = 'ls-l-small-files';
const LISTING_TIMEOUT_MS = 120_000;

export async function runListing(dir: string, params: Record<string, string | number>, progress: (line: string) => void): Promise<BenchResult> {
  const cachesDropped = dropCaches();
  progress(`${params['target']}: ls -l of the small files${cachesDropped ? ' (caches dropped)' : ''}`);
  const started = performance.now();
  const { stdout } = await runCommand('ls', ['-l', join(dir, 'small')], { timeoutMs: LISTING_TIMEOUT_MS });
  const seconds = (performance.now() - started) / 1000;
  const entries = stdout.split('\n').filter((line) => line !== '' && !line.startsWith('total ')).length;
  if (entries === 0) throw new Error('ls -l listed no entry');
  return {
    bench: 'posix', case: LISTING_CASE, params: { ...params, tool: 'ls', cachesDropped: cachesDropped ? 'yes' : 'no' },
    ops: entries, seconds, opsPerSecond: Math.round(entries / seconds), latencyUsP50: 0, latencyUsP99: 0,
  };
}
