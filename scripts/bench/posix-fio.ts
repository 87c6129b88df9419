/**
 * The fio rows of the POSIX benchmark: sequential write then read of one file (1 MiB blocks), random 4 KiB
 * writes then reads over a second file, and many small 4 KiB files each created, written once and closed
 * (create_on_open, so creation is inside the timed run). psync, buffered (--direct=0), one job. Every job
 * has a runtime cap, so a slow target shortens the run rather than stalling it. The page cache is dropped
 * before each read job (as root), so reads of just-written data reach the filesystem behind the mount.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './bench-env.js';
import { runCommand } from './posix-command.js';
import { dropCaches } from './drop-caches.js';

export interface FioSizes {
  readonly seqBytes: number;
  readonly randBytes: number;
  readonly smallFiles: number;
  /** Cap per job (fio --runtime without --time_based: stops at the size or the cap, whichever first). */
  readonly runtimeSecondsMax: number;
}

export const FIO_CASES = ['fio-seq-write', 'fio-seq-read', 'fio-rand-write-4k', 'fio-rand-read-4k', 'fio-small-files-4k'] as const;
export type FioCase = (typeof FIO_CASES)[number];

const MIB = 1 << 20;
const SEQ_BLOCK_BYTES = MIB;
const RAND_BLOCK_BYTES = 4096;
const SMALL_FILE_BYTES = 4096;
/** fio's own start-up and the end_fsync come on top of the runtime cap. */
const FIO_SLACK_MS = 120_000;

interface FioJob {
  readonly case: FioCase;
  readonly direction: 'read' | 'write';
  readonly blockBytes: number;
  /** Bytes the job moves when the runtime cap does not stop it first. */
  readonly sizeBytes: number;
  readonly dropCachesFirst: boolean;
  readonly args: string[];
}

function fioJobs(dir: string, sizes: FioSizes): FioJob[] {
  const common = ['--ioengine=psync', '--direct=0', '--numjobs=1', `--runtime=${sizes.runtimeSecondsMax}`, '--output-format=json'];
  const seq = [`--directory=${dir}`, '--filename=seq.dat', `--bs=${SEQ_BLOCK_BYTES}`, `--size=${sizes.seqBytes}`, ...common];
  const rand = [`--directory=${dir}`, '--filename=rand.dat', `--bs=${RAND_BLOCK_BYTES}`, `--size=${sizes.randBytes}`, ...common];
  const small = [
    `--directory=${join(dir, 'small')}`, `--nrfiles=${sizes.smallFiles}`, `--filesize=${SMALL_FILE_BYTES}`, `--size=${sizes.smallFiles * SMALL_FILE_BYTES}`,
    `--bs=${SMALL_FILE_BYTES}`, '--openfiles=1', '--create_on_open=1', '--file_service_type=sequential', ...common,
  ];
  return [
    { case: 'fio-seq-write', direction: 'write', blockBytes: SEQ_BLOCK_BYTES, sizeBytes: sizes.seqBytes, dropCachesFirst: false, args: ['--name=seq-write', '--rw=write', '--end_fsync=1', ...seq] },
    { case: 'fio-seq-read', direction: 'read', blockBytes: SEQ_BLOCK_BYTES, sizeBytes: sizes.seqBytes, dropCachesFirst: true, args: ['--name=seq-read', '--rw=read', ...seq] },
    { case: 'fio-rand-write-4k', direction: 'write', blockBytes: RAND_BLOCK_BYTES, sizeBytes: sizes.randBytes, dropCachesFirst: false, args: ['--name=rand-write', '--rw=randwrite', '--end_fsync=1', ...rand] },
    { case: 'fio-rand-read-4k', direction: 'read', blockBytes: RAND_BLOCK_BYTES, sizeBytes: sizes.randBytes, dropCachesFirst: true, args: ['--name=rand-read', '--rw=randread', ...rand] },
    { case: 'fio-small-files-4k', direction: 'write', blockBytes: SMALL_FILE_BYTES, sizeBytes: sizes.smallFiles * SMALL_FILE_BYTES, dropCachesFirst: false, args: ['--name=small-files', '--rw=write', ...small] },
  ];
}

/** The fields of fio's JSON we read (one job, one direction). */
interface FioDirectionJson {
  readonly io_bytes: number;
  readonly total_ios: number;
  readonly runtime: number;
  readonly clat_ns: { readonly percentile?: Record<string, number> };
}

interface FioJobJson {
  readonly error: number;
  readonly read: FioDirectionJson;
  readonly write: FioDirectionJson;
}

/** fio may print warnings before its JSON document: parse from the first brace. */
function parseFioJob(stdout: string): FioJobJson {
  const document = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs?: FioJobJson[] };
  const job = document.jobs?.[0];
  if (job === undefined) throw new Error('fio printed no job');
  if (job.error !== 0) throw new Error(`fio job failed with error ${job.error}`);
  return job;
}

function toResult(job: FioJob, json: FioJobJson, params: Record<string, string | number>, sizes: FioSizes): BenchResult {
  const side = json[job.direction];
  const seconds = side.runtime / 1000;
  if (side.total_ios === 0 || seconds <= 0) throw new Error(`fio ${job.case}: no I/O completed`);
  const percentile = (key: string): number => Math.round((side.clat_ns.percentile?.[key] ?? 0) / 1000);
  return {
    bench: 'posix',
    case: job.case,
    params: { ...params, tool: 'fio', blockBytes: job.blockBytes, sizeBytes: job.sizeBytes, runtimeSecondsMax: sizes.runtimeSecondsMax },
    ops: side.total_ios,
    seconds,
    opsPerSecond: Math.round(side.total_ios / seconds),
    bytesPerSecond: Math.round(side.io_bytes / seconds),
    latencyUsP50: percentile('50.000000'),
    latencyUsP99: percentile('99.000000'),
  };
}

/** Runs the five fio jobs in `dir` in order (reads follow the writes that made their files). */
export async function runFio(dir: string, sizes: FioSizes, params: Record<string, string | number>, progress: (line: string) => void): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // fio wants --directory to exist; the small files get their own so they are not listed with the big ones.
  mkdirSync(join(dir, 'small'));
  for (const job of fioJobs(dir, sizes)) {
    const cachesDropped = job.dropCachesFirst ? dropCaches() : false;
    progress(`${params['target']}: ${job.case}${cachesDropped ? ' (page cache dropped)' : ''}`);
    const { stdout } = await runCommand('fio', job.args, { timeoutMs: sizes.runtimeSecondsMax * 1000 + FIO_SLACK_MS });
    const result = toResult(job, parseFioJob(stdout), params, sizes);
    results.push(job.dropCachesFirst ? { ...result, params: { ...result.params, cachesDropped: cachesDropped ? 'yes' : 'no' } } : result);
  }
  return results;
}
