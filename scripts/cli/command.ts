/**
 * What every CLI shares: option parsing (node:util parseArgs), `--json` output, and turning failures into
 * one readable line on stderr with a non-zero exit (2 for usage errors, 1 for everything else).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EngineError } from '../../engine/wire/errors.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--help` (or `-h`) anywhere on a command line: runCli prints `usage` (or the program's own) and does nothing else. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
  constructor(readonly usage?: string) {
    super('help requested');
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export const COMMON_OPTIONS: OptionSpec = {
  json: { type: 'boolean', default: false },
  dir: { type: 'string' },
  system: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Parses a command's options; throws HelpRequested (carrying `usage`, when given) if they ask for help. */
export function parse(argv: readonly string[], options: OptionSpec, usage?: string): Parsed {
  let parsed: Parsed;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
    parsed = { values: values as Parsed['values'], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values['help'] === true) throw new HelpRequested(usage);
  return parsed;
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requireOption(parsed: Parsed, name: string): string {
  const value = stringOption(parsed, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function intOption(parsed: Parsed, name: string, fallback: number, range: { min: number; max: number }): number {
  const text = stringOption(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new UsageError(`--${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses sizes like 512M, 2G, 100GiB, 1073741824. */
export function parseSize(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (match === null) throw new UsageError(`${what}: not a size: ${JSON.stringify(text)}`);
  const powers: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
  return Math.round(Number(match[1]) * 1024 ** powers[match[2]!.toLowerCase()]!);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Prints `data` as JSON (with --json) or runs the human formatter. bigint values print as strings. */
export function output(parsed: Parsed, data: unknown, human: () => string): void {
  if (parsed.values['json'] === true) {
    process.stdout.write(`${JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`);
  } else {
    const text = human();
    if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Resolves at the first SIGINT or SIGTERM (foreground commands stop cleanly on either). */
export function waitForStopSignal(): Promise<void> {
  return new Promise<void>((resolvePromise) => {
    const stop = (): void => resolvePromise();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Runs a CLI main, mapping errors to one line on stderr and an exit code. */
export function runCli(program: string, usage: string, main: (argv: string[]) => Promise<void>): void {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage);
    if (argv.length === 0) process.exitCode = 2;
    return;
  }
  main(argv).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof HelpRequested) {
        process.stdout.write(error.usage ?? usage);
        return;
      }
      process.stderr.write(`${program}: ${describeError(error)}\n`);
      if (error instanceof UsageError) process.stderr.write(`run '${program} --help' for usage\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}

function describeError(error: unknown): string {
  if (error instanceof EngineError || error instanceof UsageError) return error.message;
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code !== undefined ? `${error.message}` : error.message;
  return String(error);
}
