/**
 * dfuse daemons of a local cluster: started as their own processes (`dfuse ... ` in the foreground,
 * detached from us), each announcing {"event":"mounted",...} once the mount serves requests
 * (announcement.ts; stdout and stderr go to the daemon's log). Each is recorded in <data dir>/dfuse/<name>.json (mount point, pid, log) so that
 * `tsdaos down` unmounts it: SIGTERM (the daemon unmounts cleanly), then `fusermount -uz` for a mount
 * left behind by a daemon that died.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMountPoint } from '../../dfuse/mount-table.js';
import { ANNOUNCE_FD, awaitAnnouncement, daemonStdio } from './announcement.js';
import { DAEMON_V8_ARGS, daemonEnv, daemonNodeArgs, isRunningAs, stopProcess } from './engine-process.js';

export const DFUSE_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'dfuse.js');
const MOUNTED_TIMEOUT_MS = 60_000;

export interface DfuseSpec {
  readonly systemFile: string;
  readonly pool: string;
  readonly cont: string;
  readonly mountPoint: string;
  /** Further dfuse flags (caching, --read-only, --single-user ...). */
  readonly args?: readonly string[];
}

export interface DfuseRecord {
  readonly mountPoint: string;
  readonly pid: number;
  readonly log: string;
  /** `host:port` of the daemon's Prometheus endpoint (absent with --metrics off). */
  readonly metrics?: string;
}

function recordDir(dataDir: string): string {
  return join(resolve(dataDir), 'dfuse');
}

/** Files of one mount point in the record dir: `<name>.json` (the record) and `<name>.log` (the daemon's output). */
function recordName(dataDir: string, mountPoint: string): string {
  return join(recordDir(dataDir), createHash('sha256').update(mountPoint).digest('hex').slice(0, 16));
}

function recordFile(dataDir: string, mountPoint: string): string {
  return `${recordName(dataDir, mountPoint)}.json`;
}

/**
 * Starts a dfuse daemon for `dataDir`'s cluster and resolves once it has mounted. The daemon is recorded as
 * soon as it runs (so `tsdaos down` finds it even if this launcher dies while it mounts); should it not
 * announce its mount in time, it is stopped and any mount it left is cleared.
 */
export async function spawnDfuse(dataDir: string, spec: DfuseSpec): Promise<DfuseRecord> {
  const mountPoint = resolve(spec.mountPoint);
  mkdirSync(recordDir(dataDir), { recursive: true });
  // Only a missing mount point is created; any other state (busy, a dead daemon's mount) is the daemon's
  // to report, with a message saying what to do.
  if (isMissing(mountPoint)) mkdirSync(mountPoint, { recursive: true });
  const wasMounted = isMountPoint(mountPoint);
  const log = `${recordName(dataDir, mountPoint)}.log`;
  const logFd = openSync(log, 'a');
  const args = [...DAEMON_V8_ARGS, ...daemonNodeArgs(), DFUSE_BIN, '--system', spec.systemFile, '--pool', spec.pool, '--cont', spec.cont, '--mount', mountPoint, '--announce-fd', String(ANNOUNCE_FD), ...(spec.args ?? [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: daemonStdio(logFd), env: daemonEnv() });
  closeSync(logFd);
  const started: DfuseRecord = { mountPoint, pid: child.pid ?? 0, log };
  // A busy mount point the daemon refuses; the record there (the mounted daemon's) stays as it is.
  if (!wasMounted) writeRecord(dataDir, started);
  let metrics: string | undefined;
  try {
    const announced = await awaitAnnouncement(child, {
      timeoutMs: MOUNTED_TIMEOUT_MS,
      timedOut: () => `dfuse did not mount ${mountPoint} within ${MOUNTED_TIMEOUT_MS} ms (see ${log})`,
      ended: (how) => `dfuse ${how} before mounting ${mountPoint}: ${lastLine(log)}`,
    });
    if (announced['event'] !== 'mounted') throw new Error(`dfuse announced ${JSON.stringify(announced)} for ${mountPoint}, not a mount (see ${log})`);
    if (typeof announced['metrics'] === 'string') metrics = announced['metrics'];
  } catch (error) {
    // A mount there before this daemon is another's (the daemon refused it): only the daemon goes. Else the
    // daemon is stopped (it unmounts what it mounted), a mount it left is cleared and its record dropped.
    if (wasMounted) {
      child.kill('SIGKILL');
    } else {
      await unmountDfuse(started).catch(() => undefined);
      rmSync(recordFile(dataDir, mountPoint), { force: true });
    }
    throw error;
  }
  child.unref();
  const record: DfuseRecord = { ...started, ...(metrics === undefined ? {} : { metrics }) };
  writeRecord(dataDir, record);
  return record;
}

function writeRecord(dataDir: string, record: DfuseRecord): void {
  writeFileSync(recordFile(dataDir, record.mountPoint), `${JSON.stringify(record)}\n`);
}

function isMissing(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function lastLine(path: string): string {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  return lines.at(-1) ?? '(no output)';
}

export function dfuseRecords(dataDir: string): DfuseRecord[] {
  const dir = recordDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith('.json')).map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as DfuseRecord);
}

export interface UnmountResult {
  readonly mountPoint: string;
  readonly how: 'terminated' | 'killed' | 'cleared' | 'not-mounted';
}

/** Unmounts one mount point: stops its daemon if alive, clears a stale mount with fusermount -uz. */
export async function unmountDfuse(record: DfuseRecord): Promise<UnmountResult> {
  let how: UnmountResult['how'] = 'not-mounted';
  if (record.pid > 0 && isRunningAs(record.pid, 'dfuse')) {
    const stopped = await stopProcess(record.pid, 15_000);
    if (stopped !== 'not-running') how = stopped;
  }
  if (isMountPoint(record.mountPoint)) {
    const result = spawnSync('fusermount', ['-uz', record.mountPoint], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`fusermount -uz ${record.mountPoint} failed: ${result.stderr.trim()}`);
    if (how === 'not-mounted') how = 'cleared';
  }
  return { mountPoint: record.mountPoint, how };
}

/** Unmounts every dfuse mount recorded for `dataDir` and forgets the records. */
export async function unmountAllDfuse(dataDir: string): Promise<UnmountResult[]> {
  const results: UnmountResult[] = [];
  for (const record of dfuseRecords(dataDir)) {
    results.push(await unmountDfuse(record));
    rmSync(recordFile(dataDir, record.mountPoint), { force: true });
  }
  return results;
}
