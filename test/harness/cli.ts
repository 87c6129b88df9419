/**
 * Running the project's compiled CLIs from end-to-end tests, as a user would: `node dist/scripts/cli/<name>.js`.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/ root (this file compiles to dist/test/harness/cli.js). */
export const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(name: 'tsdaos' | 'dmg' | 'daos' | 'dfuse', args: string[], options: { timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [join(DIST, 'scripts', 'cli', `${name}.js`), ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, TSDAOS_SYSTEM: '' },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a CLI with --json and parses its output; throws with stderr when it failed. */
export function cliJson<T>(name: 'tsdaos' | 'dmg' | 'daos', args: string[]): T {
  const result = cli(name, [...args, '--json']);
  if (result.status !== 0) throw new Error(`${name} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}
