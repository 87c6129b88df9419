/**
 * mdtest's command line: the core flags (-n -d -z -b -u -F -D -w -e -N -i -C -T -E -r -P -a) plus the DFS
 * backend's --dir/--system/--pool/--cont, --dir-oclass/--file-oclass (mdtest's --dfs.dir_oclass and
 * --dfs.oclass) and --json. Parsing only: the result is a plain, validated MdtestOptions; anything
 * malformed is a UsageError (exit 2, one line on stderr).
 */
import { OBJ_CLASSES, type ObjClassName, isObjClassName } from '../../engine/placement/object-class.js';
import { resolveSystemFilePath } from '../../engine/system/system-file.js';
import { type OptionSpec, type Parsed, UsageError, intOption, parse, stringOption } from '../cli/command.js';

export type BackendName = 'POSIX' | 'DFS';

export interface DfsTarget {
  /** Path of the system file (resolved from --system, --dir, TSDAOS_SYSTEM or ./.tsdaos). */
  readonly systemFile: string;
  /** undefined: the system's default pool / container. */
  readonly pool: string | undefined;
  readonly cont: string | undefined;
  /** Class of the directories the run creates (so of the objects holding its entries); undefined: the container's. */
  readonly dirOclass: ObjClassName | undefined;
  /** Class of the files the run creates; undefined: the parent directory's or the container's default. */
  readonly fileOclass: ObjClassName | undefined;
}

export interface MdtestOptions {
  readonly items: number;
  readonly testDir: string;
  readonly depth: number;
  readonly branch: number;
  readonly unique: boolean;
  readonly filesOnly: boolean;
  readonly dirsOnly: boolean;
  readonly writeBytes: number;
  readonly readBytes: number;
  readonly stride: number;
  readonly iterations: number;
  readonly create: boolean;
  readonly stat: boolean;
  readonly read: boolean;
  readonly remove: boolean;
  readonly procs: number;
  readonly backend: BackendName;
  readonly dfs: DfsTarget | undefined;
  readonly json: boolean;
}

export const USAGE = `usage: mdtest [options]
  -n N        items (files and/or directories) per process (default 10)
  -d DIR      test directory (POSIX: a path on any mounted filesystem; DFS: a path in the container)
  -z DEPTH    depth of the directory tree (default 0)
  -b N        branching factor of the tree (default 1)
  -u          unique tree per task (default: one shared tree)
  -F          files only            -D  directories only
  -w BYTES    bytes written per file at create (default 0)
  -e BYTES    bytes read per file in the read phase (default 0)
  -N STRIDE   task i stats/reads the items of task (i+STRIDE) mod P (default 0)
  -i N        iterations (default 1)
  -C -T -E -r run only create / stat / read / remove phases (default: all)
  -P, --procs N  worker processes (default 1)
  -a API      DFS or POSIX (default POSIX)
  --dir DATA | --system FILE, --pool P, --cont C   DFS target (default: the local cluster's)
  --dir-oclass C, --file-oclass C   DFS: object class of created directories / files (default: the container's)
  --json      print the summary as JSON
`;

const SPEC: OptionSpec = {
  n: { type: 'string', short: 'n' },
  'test-dir': { type: 'string', short: 'd' },
  z: { type: 'string', short: 'z' },
  b: { type: 'string', short: 'b' },
  u: { type: 'boolean', short: 'u', default: false },
  F: { type: 'boolean', short: 'F', default: false },
  D: { type: 'boolean', short: 'D', default: false },
  w: { type: 'string', short: 'w' },
  e: { type: 'string', short: 'e' },
  N: { type: 'string', short: 'N' },
  i: { type: 'string', short: 'i' },
  C: { type: 'boolean', short: 'C', default: false },
  T: { type: 'boolean', short: 'T', default: false },
  E: { type: 'boolean', short: 'E', default: false },
  r: { type: 'boolean', short: 'r', default: false },
  procs: { type: 'string', short: 'P' },
  a: { type: 'string', short: 'a' },
  pool: { type: 'string' },
  cont: { type: 'string' },
  'dir-oclass': { type: 'string' },
  'file-oclass': { type: 'string' },
};

const INT_MAX = 2 ** 31 - 1;

export function parseMdtestOptions(argv: readonly string[]): MdtestOptions {
  const parsed = parse(argv, SPEC);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  const flag = (name: string): boolean => parsed.values[name] === true;
  const backendText = (stringOption(parsed, 'a') ?? 'POSIX').toUpperCase();
  if (backendText !== 'POSIX' && backendText !== 'DFS') throw new UsageError(`-a must be DFS or POSIX, got ${JSON.stringify(stringOption(parsed, 'a'))}`);
  const backend: BackendName = backendText;
  if (flag('F') && flag('D')) throw new UsageError('-F and -D are exclusive');
  const procs = intOption(parsed, 'procs', 1, { min: 1, max: 1024 });
  const selected = flag('C') || flag('T') || flag('E') || flag('r');
  const testDir = stringOption(parsed, 'test-dir') ?? (backend === 'DFS' ? '/mdtest' : './out');
  if (testDir === '') throw new UsageError('-d must not be empty');
  if (backend === 'DFS' && !testDir.startsWith('/')) throw new UsageError('-d must be an absolute path in the container with -a DFS');
  if (backend !== 'DFS' && (stringOption(parsed, 'dir-oclass') ?? stringOption(parsed, 'file-oclass')) !== undefined) {
    throw new UsageError('--dir-oclass and --file-oclass need -a DFS');
  }
  return {
    items: intOption(parsed, 'n', 10, { min: 0, max: INT_MAX }),
    testDir,
    depth: intOption(parsed, 'z', 0, { min: 0, max: 32 }),
    branch: intOption(parsed, 'b', 1, { min: 1, max: 1024 }),
    unique: flag('u'),
    filesOnly: flag('F'),
    dirsOnly: flag('D'),
    writeBytes: intOption(parsed, 'w', 0, { min: 0, max: 1 << 30 }),
    readBytes: intOption(parsed, 'e', 0, { min: 0, max: 1 << 30 }),
    stride: intOption(parsed, 'N', 0, { min: 0, max: INT_MAX }),
    iterations: intOption(parsed, 'i', 1, { min: 1, max: 100_000 }),
    create: !selected || flag('C'),
    stat: !selected || flag('T'),
    read: !selected || flag('E'),
    remove: !selected || flag('r'),
    procs,
    backend,
    dfs: backend === 'DFS' ? dfsTarget(parsed) : undefined,
    json: flag('json'),
  };
}

function dfsTarget(parsed: Parsed): DfsTarget {
  return {
    systemFile: resolveSystemFilePath({ systemFile: stringOption(parsed, 'system'), dataDir: stringOption(parsed, 'dir') }),
    pool: stringOption(parsed, 'pool'),
    cont: stringOption(parsed, 'cont'),
    dirOclass: oclassOption(parsed, 'dir-oclass'),
    fileOclass: oclassOption(parsed, 'file-oclass'),
  };
}

function oclassOption(parsed: Parsed, name: string): ObjClassName | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  if (!isObjClassName(text)) throw new UsageError(`--${name} must be an object class (${Object.keys(OBJ_CLASSES).join(', ')}), got ${JSON.stringify(text)}`);
  return text;
}
