/**
 * The benchmark's passthrough FUSE daemon, its own process:
 *   node dist/scripts/bench/passthrough-fuse.js --source DIR --mount DIR [--attr-timeout S]
 *     [--entry-timeout S] [--negative-timeout S] [--watch-stdin]
 * Mirrors every op onto --source (passthrough-ops.ts) and mounts through dfuse's FuseSession, so it mounts
 * with exactly dfuse's options (big_writes, 128 KiB max_write, use_ino, auto_cache, default_permissions):
 * the difference between the two mounts is the filesystem behind the daemon, never the mount.
 * Prints "mounted" on stdout once the mount is up; SIGINT/SIGTERM (or, with --watch-stdin, the end of
 * stdin, i.e. the launcher died) unmount and exit 0. Usage errors exit 2, mount failures 1.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FuseSession, type FuseMountOptions } from './passthrough-session.js';
import { passthroughOps } from './passthrough-ops.js';

const USAGE = 'usage: passthrough-fuse --source DIR --mount DIR [--attr-timeout S] [--entry-timeout S] [--negative-timeout S] [--watch-stdin]\n';
/** DAOS dfuse's defaults for attribute, entry and negative-entry caching (1 s each). */
const CACHE_TIMEOUT_SECONDS_DEFAULT = 1;
/** fuse-native answers ETIMEDOUT after this; generous, since a 2-core machine under fio can stall. */
const OP_TIMEOUT_MS = 120_000;

class UsageError extends Error {}

interface DaemonOptions {
  readonly source: string;
  readonly mount: string;
  readonly fuse: FuseMountOptions;
  readonly watchStdin: boolean;
}

function seconds(text: string | undefined, flag: string): number {
  if (text === undefined) return CACHE_TIMEOUT_SECONDS_DEFAULT;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new UsageError(`${flag} must be a number of seconds >= 0, got ${JSON.stringify(text)}`);
  return value;
}

function directory(text: string | undefined, flag: string): string {
  if (text === undefined) throw new UsageError(`${flag} is required`);
  const path = resolve(text);
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${flag} ${path} is not a directory`);
  return path;
}

function parseDaemonOptions(argv: string[]): DaemonOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: 'string' },
      mount: { type: 'string' },
      'attr-timeout': { type: 'string' },
      'entry-timeout': { type: 'string' },
      'negative-timeout': { type: 'string' },
      'watch-stdin': { type: 'boolean', default: false },
    },
    strict: true,
  });
  return {
    source: directory(values.source, '--source'),
    mount: directory(values.mount, '--mount'),
    watchStdin: values['watch-stdin'] === true,
    fuse: {
      fsname: 'passthrough',
      subtype: 'passthrough',
      attrTimeout: seconds(values['attr-timeout'], '--attr-timeout'),
      entryTimeout: seconds(values['entry-timeout'], '--entry-timeout'),
      negativeTimeout: seconds(values['negative-timeout'], '--negative-timeout'),
      dataCache: 'auto',
      // As dfuse does by default when run as root (multi-user), so both mounts carry the same options.
      allowOther: process.getuid?.() === 0,
      defaultPermissions: true,
      readOnly: false,
      opTimeoutMs: OP_TIMEOUT_MS,
    },
  };
}

async function run(options: DaemonOptions): Promise<void> {
  // The kernel already applied the caller's umask to create/mkdir modes; ours must not mask them again.
  process.umask(0);
  const session = new FuseSession(options.mount, passthroughOps(options.source), options.fuse);
  await session.start();
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    session.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`passthrough-fuse: unmount failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (options.watchStdin) {
    process.stdin.on('end', stop).on('close', stop).resume();
  }
  process.stdout.write('mounted\n');
}

try {
  await run(parseDaemonOptions(process.argv.slice(2)));
} catch (error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`passthrough-fuse: ${message}\n${error instanceof UsageError ? USAGE : ''}`);
  process.exit(error instanceof UsageError || (error instanceof TypeError && 'code' in error) ? 2 : 1);
}
