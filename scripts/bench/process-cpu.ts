/**
 * CPU time used by other processes (the engines of a local cluster), read from Linux /proc, so a bench
 * can say where a run's time went and not only how long it took. Elsewhere (no /proc) it reports
 * undefined and the bench leaves the figure out.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** utime + stime of `pid` in milliseconds, or undefined when it cannot be read. */
function processCpuMs(pid: number): number | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the line (utime, stime) are 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Total CPU milliseconds of `pids` so far, or undefined when any of them cannot be read. */
export function cpuMsOf(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const used = processCpuMs(pid);
    if (used === undefined) return undefined;
    total += used;
  }
  return total;
}
