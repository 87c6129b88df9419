/**
 * The tool rows of the POSIX benchmark: what people run on a filesystem, on a tree shaped like a source
 * checkout (makeToolTree: directories two levels deep, files of 256 B to 128 KiB, log-uniform, from a fixed
 * seed, made once per run): `tar x` of it (each file created, written, closed, then its owner, mode and
 * times restored: three setattrs), `md5sum` of every file with the kernel's caches dropped (lookups, opens,
 * reads of cold files), whose sums must equal the source's, and `rm -r` of it. Rate: entries (files and
 * directories) per second of the tool's whole run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './bench-env.js';
import { dropCaches } from './drop-caches.js';
import { runCommand } from './posix-command.js';
import { SeededRandom } from '../fsx/seeded-random.js';

export interface ToolSizes {
  /** Top-level directories, each with `subdirs` directories of `filesPerDir` files. */
  readonly dirs: number;
  readonly subdirs: number;
  readonly filesPerDir: number;
}

export const TOOL_CASES = ['tar-extract', 'md5sum-cold', 'rm-recursive'] as const;

/** The tree as made: its tarball, its entry count, and md5sum's output for it (sorted paths). */
export interface ToolTree {
  readonly tarball: string;
  readonly entries: number;
  readonly files: number;
  readonly bytes: number;
  readonly sums: string;
}

const FILE_BYTES_MIN = 256;
const FILE_BYTES_MAX = 128 * 1024;
const SEED = 0x5eed;
const TOOL_TIMEOUT_MS = 300_000;
/** md5sum of every file under the current directory, in path order (the same text for equal trees). */
const MD5_ALL = 'find . -type f -print0 | sort -z | xargs -0 md5sum';

/** Writes the tree under `workDir`/tool-src, its tarball beside it, and sums it. */
export async function makeToolTree(workDir: string, sizes: ToolSizes): Promise<ToolTree> {
  const source = join(workDir, 'tool-src');
  // Seeded: the same sizes and bytes on every machine.
  const seeded = new SeededRandom(SEED);
  const random = (): number => seeded.next();
  let files = 0;
  let bytes = 0;
  for (let dir = 0; dir < sizes.dirs; dir += 1) {
    for (let sub = 0; sub < sizes.subdirs; sub += 1) {
      const path = join(source, `pkg-${dir}`, `mod-${sub}`);
      mkdirSync(path, { recursive: true });
      for (let file = 0; file < sizes.filesPerDir; file += 1) {
        const size = Math.round(Math.exp(Math.log(FILE_BYTES_MIN) + random() * Math.log(FILE_BYTES_MAX / FILE_BYTES_MIN)));
        const data = Buffer.alloc(size);
        for (let index = 0; index < size; index += 4) data.writeUInt32LE((random() * 0x100000000) >>> 0, Math.min(index, size - 4));
        writeFileSync(join(path, `file-${file}.src`), data);
        files += 1;
        bytes += size;
      }
    }
  }
  const tarball = join(workDir, 'tool-src.tar');
  await runCommand('tar', ['cf', tarball, '-C', source, '.'], { timeoutMs: TOOL_TIMEOUT_MS });
  const { stdout: sums } = await runCommand('sh', ['-c', `cd '${source}' && ${MD5_ALL}`], { timeoutMs: TOOL_TIMEOUT_MS });
  rmSync(source, { recursive: true, force: true });
  return { tarball, entries: files + sizes.dirs * (1 + sizes.subdirs), files, bytes, sums };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function result(name: (typeof TOOL_CASES)[number], tool: string, entries: number, seconds: number, params: Record<string, string | number>): BenchResult {
  return {
    bench: 'posix', case: name, params: { ...params, tool }, ops: entries, seconds,
    opsPerSecond: Math.round(entries / seconds), latencyUsP50: 0, latencyUsP99: 0,
  };
}

/** tar x, md5sum (checked) and rm -r of the tree in `dir`/tools. */
export async function runTools(dir: string, tree: ToolTree, params: Record<string, string | number>, progress: (line: string) => void): Promise<BenchResult[]> {
  const target = join(dir, 'tools');
  mkdirSync(target);
  progress(`${params['target']}: tar x of ${tree.files} files (${(tree.bytes / 1e6).toFixed(1)} MB)`);
  const extract = await timed(() => runCommand('tar', ['xf', tree.tarball, '-C', target], { timeoutMs: TOOL_TIMEOUT_MS }));
  const cachesDropped = dropCaches();
  progress(`${params['target']}: md5sum of every file${cachesDropped ? ' (caches dropped)' : ''}`);
  let sums = '';
  const checksum = await timed(async () => {
    ({ stdout: sums } = await runCommand('sh', ['-c', `cd '${target}' && ${MD5_ALL}`], { timeoutMs: TOOL_TIMEOUT_MS }));
  });
  if (sums !== tree.sums) throw new Error(`${params['target']}: md5sum of the extracted tree differs from the source's`);
  progress(`${params['target']}: rm -r of the tree`);
  const remove = await timed(() => runCommand('rm', ['-r', target], { timeoutMs: TOOL_TIMEOUT_MS }));
  return [
    result('tar-extract', 'tar', tree.entries, extract, params),
    result('md5sum-cold', 'md5sum', tree.files, checksum, { ...params, cachesDropped: cachesDropped ? 'yes' : 'no' }),
    result('rm-recursive', 'rm', tree.entries, remove, params),
  ];
}
