/**
 * Running real tools against a mount from end-to-end suites: shell command lines (as root or as another
 * user through `su`), python3 one-liners (xattrs: no attr tools are installed) and node one-liners as
 * another user, and the errno code a synchronous fs call fails with. Every run has a timeout, so a hung
 * mount fails the test instead of hanging it.
 */
import { spawnSync } from 'node:child_process';
import type { CliResult } from './cli.js';

const TIMEOUT_MS_DEFAULT = 120_000;

export interface ShellOptions {
  readonly cwd?: string;
  /** Run as this user (su USER -s /bin/sh -c ...), from `/` unless cwd is given. */
  readonly user?: string;
  readonly timeoutMs?: number;
}

/** `text` as one shell word. */
export function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * What a command run as another user starts with: NODE_OPTIONS goes, because tap's --import of its
 * loader points into this checkout's node_modules, which another user may not be allowed to read (a
 * clone in a 0700 dir, as mktemp -d makes). Unset inside the shell: tap's process tracking puts it back
 * into the environment of every child it sees spawned.
 */
const OTHER_USER_PRELUDE = 'unset NODE_OPTIONS; ';

/** Runs `command` with /bin/sh. */
export function sh(command: string, options: ShellOptions = {}): CliResult {
  const timeout = options.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const result = options.user === undefined
    ? spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) })
    : spawnSync('su', [options.user, '-s', '/bin/sh', '-c', `${OTHER_USER_PRELUDE}${options.cwd === undefined ? command : `cd ${quote(options.cwd)} && ${command}`}`], { encoding: 'utf8', timeout, cwd: '/' });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? (result.error?.message ?? '') };
}

/** Like sh, throwing with stderr on a non-zero exit; returns stdout. */
export function shOk(command: string, options: ShellOptions = {}): string {
  const result = sh(command, options);
  if (result.status !== 0) throw new Error(`\`${command}\` exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Runs a python3 program with `args` (sys.argv[1:]); its stdout parsed as JSON. */
export function python<T>(program: string, args: string[]): T {
  const result = spawnSync('python3', ['-c', program, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS_DEFAULT });
  if (result.status !== 0) throw new Error(`python3 exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Runs a node program as `user` with `args` (process.argv.slice(1)); returns its trimmed stdout. The
 * program should print the outcome, e.g. the error code it caught.
 */
export function nodeAs(user: string, program: string, args: string[]): string {
  const command = [process.execPath, '-e', program, ...args].map(quote).join(' ');
  const result = sh(command, { user });
  if (result.status !== 0) throw new Error(`node as ${user} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The error code a synchronous call fails with, or 'OK' when it succeeds. */
export function codeOf(call: () => unknown): string {
  try {
    call();
    return 'OK';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
