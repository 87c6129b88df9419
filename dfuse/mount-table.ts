/**
 * The kernel's mount table as this process sees it (/proc/self/mountinfo, field 5, octal escapes such as
 * \040 undone): which paths are mount points. Used by the cluster scripts, the benchmark and the tests to
 * find and clear mounts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Every mount point in this mount namespace, as absolute paths. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line !== '')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** True when `path` is a mount point (live, or left by a dead daemon). */
export function isMountPoint(path: string): boolean {
  return mountPoints().includes(resolve(path));
}
