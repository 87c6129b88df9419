/**
 * The "POSIX through the kernel (issue #5)" section of BENCHMARKS.md, rendered from posix.bench.ts results:
 * the command, the targets, a metadata table (attribute cache on), a stat table (cache on and off), a data
 * table (fio), a tools table (tar x, md5sum, rm -r of a source-like tree), each with the ratio of both dfuse containers (replicated, the default; not replicated) to the
 * passthrough, the issue's target for the ratio and the GlusterFS orientation figures, then what the
 * caches do to each figure. A target missing from the run shows as "—". Lives between its own markers so
 * run-all.ts rewrites it alone.
 */
import type { BenchResult, RunIdentity } from './bench-env.js';
import { type MdtestPass, mdtestArgs } from './posix-mdtest.js';
import { LISTING_CASE } from './posix-listing.js';
import { type AttrCache, TARGET_NAMES, type TargetName } from './posix-targets.js';

export const POSIX_SECTION = { start: '<!-- posix:start -->', end: '<!-- posix:end -->' } as const;

type Unit = 'ops/s' | 'MB/s' | 'IOPS' | 'files/s' | 'entries/s';

interface Row {
  readonly case: string;
  readonly label: string;
  readonly unit: Unit;
  /** The issue's floor for dfuse / passthrough, as a fraction (undefined: none stated). */
  readonly floor: number | undefined;
  /** The 2-brick GlusterFS figure on loopback from the issue, in `unit` (undefined: none given). */
  readonly gluster: number | undefined;
}

const METADATA_ROWS: readonly Row[] = [
  { case: 'mdtest-file-create', label: 'file create', unit: 'ops/s', floor: 0.5, gluster: 4_300 },
  { case: 'mdtest-file-stat', label: 'file stat', unit: 'ops/s', floor: 0.5, gluster: undefined },
  { case: 'mdtest-file-read', label: 'file read (open+close)', unit: 'ops/s', floor: 0.5, gluster: undefined },
  { case: 'mdtest-file-remove', label: 'file remove', unit: 'ops/s', floor: 0.5, gluster: 11_600 },
  { case: 'mdtest-dir-create', label: 'dir create', unit: 'ops/s', floor: 0.5, gluster: undefined },
  { case: 'mdtest-dir-stat', label: 'dir stat', unit: 'ops/s', floor: 0.5, gluster: undefined },
  { case: 'mdtest-dir-remove', label: 'dir remove', unit: 'ops/s', floor: 0.5, gluster: undefined },
];

const STAT_ROWS = METADATA_ROWS.filter((row) => row.case.endsWith('-stat'));

const DATA_ROWS: readonly Row[] = [
  { case: 'fio-seq-write', label: 'sequential write, 1 MiB blocks', unit: 'MB/s', floor: 0.5, gluster: 1_600 },
  { case: 'fio-seq-read', label: 'sequential read, 1 MiB blocks', unit: 'MB/s', floor: 0.8, gluster: 1_900 },
  { case: 'fio-rand-write-4k', label: 'random write, 4 KiB', unit: 'IOPS', floor: 0.5, gluster: undefined },
  { case: 'fio-rand-read-4k', label: 'random read, 4 KiB', unit: 'IOPS', floor: 0.5, gluster: 28_000 },
  { case: 'fio-small-files-4k', label: 'small files, 4 KiB each', unit: 'files/s', floor: undefined, gluster: 2_900 },
  { case: LISTING_CASE, label: '`ls -l` of those small files (caches dropped)', unit: 'entries/s', floor: undefined, gluster: undefined },
];

const TOOL_ROWS: readonly Row[] = [
  { case: 'tar-extract', label: '`tar x` of the tree (owner, mode, times restored)', unit: 'entries/s', floor: undefined, gluster: undefined },
  { case: 'md5sum-cold', label: '`md5sum` of every file (caches dropped), sums checked', unit: 'files/s', floor: undefined, gluster: undefined },
  { case: 'rm-recursive', label: '`rm -r` of the tree', unit: 'entries/s', floor: undefined, gluster: undefined },
];

const DASH = '—';

/** The dfuse targets, as the tables name them. */
const DFUSE_TARGETS: ReadonlyArray<readonly [TargetName, string]> = [['dfuse', 'dfuse RP_3'], ['dfuse-rf0', 'dfuse S1/SX']];

function find(results: readonly BenchResult[], name: string, target: TargetName, attrCache: AttrCache): BenchResult | undefined {
  return results.find((result) => result.case === name && result.params['target'] === target && result.params['attrCache'] === attrCache);
}

function valueOf(result: BenchResult | undefined, unit: Unit): number | undefined {
  if (result === undefined) return undefined;
  if (unit === 'MB/s') return result.bytesPerSecond === undefined ? undefined : result.bytesPerSecond / 1e6;
  return result.opsPerSecond;
}

function number(value: number | undefined): string {
  return value === undefined ? DASH : Math.round(value).toLocaleString('en-US');
}

function percent(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined || denominator === 0) return DASH;
  const value = (numerator / denominator) * 100;
  // Small ratios keep two significant digits: a whole percent would show 0.04 % and 0.4 % both as 0 %.
  return `${value < 10 ? value.toPrecision(2) : value.toFixed(0)} %`;
}

/** A fio job the runtime cap stopped before it covered its size (params from posix-fio.ts). */
function isCapped(result: BenchResult | undefined): boolean {
  if (result === undefined || result.params['tool'] !== 'fio') return false;
  return result.ops * Number(result.params['blockBytes']) < Number(result.params['sizeBytes']);
}

function cappedNotes(results: readonly BenchResult[]): string[] {
  const capped = results.filter(isCapped);
  if (capped.length === 0) return [];
  const label = (name: string): string => DATA_ROWS.find((row) => row.case === name)?.label ?? name;
  return [
    '',
    `† stopped by the ${capped[0]!.params['runtimeSecondsMax']} s cap before covering its size: ${capped.map((result) =>
      `${result.params['target']} ${label(result.case)} (${number(result.ops)} of ${number(Number(result.params['sizeBytes']) / Number(result.params['blockBytes']))} operations)`).join('; ')}.`,
  ];
}

/** "≥ 50 %: missed / met" (one word per dfuse target, in table order) once the figures are there. */
function verdict(floor: number | undefined, dfuse: ReadonlyArray<number | undefined>, passthrough: number | undefined): string {
  if (floor === undefined) return DASH;
  const text = `≥ ${(floor * 100).toFixed(0)} %`;
  if (passthrough === undefined || passthrough === 0 || dfuse.every((value) => value === undefined)) return text;
  return `${text}: ${dfuse.map((value) => (value === undefined ? DASH : value / passthrough >= floor ? 'met' : '**missed**')).join(' / ')}`;
}

function comparisonTable(results: readonly BenchResult[], rows: readonly Row[], withUnit: boolean): string[] {
  const names = DFUSE_TARGETS.map(([, label]) => label);
  const header = `| ${withUnit ? 'job | unit' : 'operation'} | tmpfs | passthrough | ${names.join(' | ')} | ${names.map((name) => `${name} / passthrough`).join(' | ')} | target (dfuse / passthrough) | GlusterFS | ${names.at(-1)} / GlusterFS |`;
  const lines = [header, `|${'---|'.repeat((withUnit ? 7 : 6) + 2 * names.length)}`];
  for (const row of rows) {
    const found = (['tmpfs', 'passthrough', ...DFUSE_TARGETS.map(([target]) => target)] as const).map((target) => find(results, row.case, target, 'on'));
    const [, passthrough, ...dfuse] = found.map((result) => valueOf(result, row.unit));
    const cells = found.map((result) => `${number(valueOf(result, row.unit))}${isCapped(result) ? ' †' : ''}`);
    const ratios = dfuse.map((value) => percent(value, passthrough));
    lines.push(`| ${row.label}${withUnit ? ` | ${row.unit}` : ''} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${verdict(row.floor, dfuse, passthrough)} | ${number(row.gluster)} | ${percent(dfuse.at(-1), row.gluster)} |`);
  }
  return lines;
}

function statTable(results: readonly BenchResult[]): string[] {
  const names = DFUSE_TARGETS.map(([, label]) => label);
  const lines = [
    `| operation | tmpfs | passthrough, cache on | passthrough, cache off | ${names.map((name) => `${name}, cache on | ${name}, cache off`).join(' | ')} | ${names.map((name) => `${name} / passthrough, cache off`).join(' | ')} | target |`,
    `|${'---|'.repeat(5 + 3 * names.length)}`,
  ];
  for (const row of STAT_ROWS) {
    const rate = (target: TargetName, attrCache: AttrCache): number | undefined => valueOf(find(results, row.case, target, attrCache), row.unit);
    const passthroughOff = rate('passthrough', 'off');
    const dfuseOff = DFUSE_TARGETS.map(([target]) => rate(target, 'off'));
    const dfuseCells = DFUSE_TARGETS.map(([target], index) => `${number(rate(target, 'on'))} | ${number(dfuseOff[index])}`);
    lines.push(`| ${row.label} | ${number(rate('tmpfs', 'on'))} | ${number(rate('passthrough', 'on'))} | ${number(passthroughOff)} | ${dfuseCells.join(' | ')} | ${dfuseOff.map((value) => percent(value, passthroughOff)).join(' | ')} | ${verdict(row.floor, dfuseOff, passthroughOff)} |`);
  }
  return lines;
}

/** The mdtest passes as the bench runs them, mounts shown as <mount> and <uncached mount>. */
function mdtestCommands(): string[] {
  const sizes = { items: 2_000, procs: 2 };
  const pass = (mount: string, flag: MdtestPass): string => `node dist/scripts/mdtest/main.js ${mdtestArgs(`${mount}/mdtest`, sizes, flag).join(' ')}`;
  return ['```sh', pass('<mount>', '-C'), pass('<mount>', '-T'), `${pass('<uncached mount>', '-T')}   # FUSE targets`, pass('<mount>', '-E'), pass('<mount>', '-r'), '```'];
}

/** fio's command lines as the bench runs them (full size), with the mount shown as <mount>. */
function fioCommands(): string[] {
  const common = '--ioengine=psync --direct=0 --numjobs=1 --runtime=20 --output-format=json';
  return [
    '```sh',
    `fio --name=seq-write  --rw=write     --end_fsync=1 --directory=<mount> --filename=seq.dat  --bs=1M --size=256M ${common}`,
    `fio --name=seq-read   --rw=read                    --directory=<mount> --filename=seq.dat  --bs=1M --size=256M ${common}`,
    `fio --name=rand-write --rw=randwrite --end_fsync=1 --directory=<mount> --filename=rand.dat --bs=4k --size=64M  ${common}`,
    `fio --name=rand-read  --rw=randread                --directory=<mount> --filename=rand.dat --bs=4k --size=64M  ${common}`,
    `fio --name=small-files --rw=write --directory=<mount>/small --nrfiles=5000 --filesize=4k --size=20000k --bs=4k --openfiles=1 --create_on_open=1 --file_service_type=sequential ${common}`,
    'echo 3 > /proc/sys/vm/drop_caches; time ls -l <mount>/small > /dev/null',
    '```',
  ];
}

function missingTargets(results: readonly BenchResult[]): string {
  const measured = new Set(results.map((result) => result.params['target']));
  const missing = TARGET_NAMES.filter((target) => !measured.has(target));
  return missing.length === 0 ? '' : `Not measured in this run: ${missing.join(', ')} (its columns show "${DASH}").`;
}

export function renderPosixSection(results: readonly BenchResult[], identity: RunIdentity, command: string): string {
  return [
    POSIX_SECTION.start,
    '## POSIX through the kernel: dfuse against tmpfs and a passthrough FUSE daemon (issue #5)',
    '',
    `Command: \`${command}\` — run ${identity.date}, git ${identity.gitSha}, Node ${identity.node}, ${identity.cores} cores.`,
    ...(command.includes('--rounds') ? ['With `--rounds N` every target ran N times, the targets in turn, each time mounted fresh; each row is its best round.'] : []),
    'Targets, each mounted fresh under /tmp and unmounted after: **tmpfs** (the kernel alone); **passthrough**',
    '(`scripts/bench/passthrough-fuse.ts`: a Node daemon on fuse-native mirroring every op onto a tmpfs with node:fs, no logic',
    'of its own, i.e. what a Node FUSE daemon costs by itself; node:fs has no xattr calls, so it has no xattr ops, and after its',
    'first ENOSYS the kernel sends it no GETXATTR: none before each write, none for `ls -l`, where dfuse answers both, having',
    'xattrs); **dfuse** over a local cluster of 3 engine processes on',
    'loopback (4 targets each), twice: **dfuse RP_3** on the container `tsdaos up` makes (`tsdaos up --mount`; the pool\'s',
    'redundancy factor 2 gives RP_3G1 directories and RP_3GX files, so every entry and byte is written to three engines) and',
    '**dfuse S1/SX** on a container made with `daos cont create --rd-fac 0` (S1 directories, SX files striped over all 12',
    'targets: one copy, as the passthrough and tmpfs keep). Each cluster keeps its engines\' files on a tmpfs of its own, as',
    'the passthrough keeps its data on one: the figures compare the stacks, not the disk under /tmp. The passthrough mounts',
    'through `scripts/bench/passthrough-session.ts` (libfuse2 high-level API: big_writes, max_write/max_read 128 KiB, use_ino,',
    'auto_cache); dfuse on the libfuse3 low-level API from its own event loop (`dfuse/fuse-lowlevel.ts`: requests up to 1 MiB,',
    'page cache kept while size and mtime are unchanged). Both: default_permissions, allow_other, attribute/entry/negative timeouts 1 s;',
    'each FUSE target also has a second mount of the same data with attr_timeout=0 for the "cache off" stats (passthrough',
    '`--attr-timeout 0`; `tsdaos dfuse --attr-time 0 --dentry-time 1 --dentry-dir-time 5 --ndentry-time 1 --data-cache on`).',
    missingTargets(results),
    '',
    '### Metadata: mdtest driver, attribute cache on (ops/s)',
    '',
    ...mdtestCommands(),
    'The passes run in that order on one tree: 2 worker processes, 2,000 items each, a directory per task; zero-byte files',
    '(mdtest\'s default), so "file read" is open + close. Before them, on every target, untimed warm-up passes in another',
    'directory (create, stat through both mounts, remove; 500 items each): a Node daemon just started answers its first',
    'thousand or so requests slower while V8 optimizes its code, and the first measured pass would otherwise time that',
    '(dfuse RP_3 on a fresh cluster, 2 x 2,000 directories: 1,643-1,649/s cold, 2,339-2,408/s in later passes). GlusterFS: the',
    'issue\'s 2-brick figures on loopback on this kind of machine, for orientation only (not measured here).',
    '',
    ...comparisonTable(results, METADATA_ROWS, false),
    '',
    '### Stat with the kernel attribute cache on and off (ops/s)',
    '',
    'With the cache on (1 s) a stat of an entry whose attributes the kernel got less than a second ago (at its create, or',
    'its lookup) is answered by the kernel and never reaches the daemon: those figures partly measure the kernel. The',
    '"cache off" pass stats the same tree through a second mount of the same filesystem (a second daemon) with',
    'attr_timeout=0 and every other option unchanged, so each stat is a round trip to the daemon (a LOOKUP, then a GETATTR).',
    '',
    ...statTable(results),
    '',
    '### Data: fio, psync, buffered, one job',
    '',
    ...fioCommands(),
    '',
    ...comparisonTable(results, DATA_ROWS, true),
    ...cappedNotes(results),
    '',
    'Caching: neither FUSE mount uses the writeback cache, so every buffered write reaches the daemon as it happens, in',
    'requests of at most 128 KiB to the passthrough and 1 MiB to dfuse (4 KiB for the random writes); write jobs end with an fsync. dfuse answers writes from its',
    'own write-back buffers (DAOS dfuse\'s default) and sends them on in the background, scattered small ones in batches (one',
    'collective update per engine); the fsync waits for all of it. Before each read job the bench',
    'drops the page cache (`echo 3 > /proc/sys/vm/drop_caches`, as root), so FUSE reads of the just-written files go to the',
    'daemon (sequential reads with the kernel\'s readahead; random reads with POSIX_FADV_RANDOM, which fio sets, so without',
    'it: each 4 KiB read is a READ to the daemon; dfuse answers them alone until a 1 MiB window of the file has had two, then',
    'fetches that window whole and answers the rest of it from it). tmpfs keeps its data in the page cache itself, so its reads are memory copies whatever is dropped.',
    'The engines run on the same host as dfuse, so dfuse reads in place (local reads): an engine answers a large fetch with',
    'where the bytes lie in its data blob file, and dfuse\'s answer to the kernel names those places; libfuse splices them from',
    'the file\'s pages to the kernel (READs of at most 512 KiB, so an answer fits a 1 MiB pipe). The passthrough copies each',
    'byte twice (read from tmpfs, write to /dev/fuse); dfuse copies it once, in the kernel. Each job stops',
    'at its size or after 20 s, whichever comes first. Small files: each file is created, written once (4 KiB) and closed',
    'inside the timed run (`create_on_open`), so files/s counts create + write + close. The `ls -l` that follows lists',
    'them with the kernel\'s caches dropped: every entry\'s attributes and `ls`\'s two xattr probes of each reach a FUSE',
    'daemon (dfuse lists names, inodes and xattr names in one RPC per page and asks the sizes in one per engine; should',
    '`ls` walk the entries for longer than the entry time, the directory is listed again whole instead of looked up name by name).',
    '',
    '### Tools on a source-like tree',
    '',
    '```sh',
    'tar xf tree.tar -C <mount>/tools',
    "echo 3 > /proc/sys/vm/drop_caches; cd <mount>/tools && find . -type f -print0 | sort -z | xargs -0 md5sum",
    'rm -r <mount>/tools',
    '```',
    'The tree (`scripts/bench/posix-tools.ts`, made once per run from a fixed seed): 1,000 files of 256 B to 128 KiB',
    '(log-uniform, 12 MB in all) in 50 directories two levels deep, as a source checkout has them. As root, `tar` restores',
    'each file\'s owner, mode and times after writing it (three setattrs per file); the checksums must equal the source\'s.',
    'Rates count each tool\'s whole run: entries (files and directories), or files for `md5sum`.',
    '',
    ...comparisonTable(results, TOOL_ROWS, true),
    '',
    'The random reads start right after the random writes of the same file: its 1 MiB chunks then hold hundreds of 4 KiB',
    'versions each. The pool is created with `reclaim` lazy (DAOS\'s default), so the engines do not aggregate them while',
    'the reads run (aggregating them costs about 1.8 s of engine CPU for this file, which cost the reads a quarter of their',
    'rate when it ran alongside). This shared VM moves by up to ±30 % between runs (the passthrough rows show it), hence the',
    'best of several rounds; compare ratios within one run. One cause: the VM backs its memory lazily, so writing pages the',
    'guest has not used lately is slow (1 MiB writeSync to a /dev/shm file: ~380 MiB/s into such pages, ~2,400 MiB/s into',
    'pages just freed, alternating with each run), and every target here keeps its data on a tmpfs.',
    POSIX_SECTION.end,
  ].join('\n');
}
