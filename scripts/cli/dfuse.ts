#!/usr/bin/env node
/**
 * `dfuse` (also `tsdaos dfuse`): mount a POSIX container with the FUSE daemon. Runs in the foreground
 * until SIGINT/SIGTERM, which unmount cleanly; `--detach` starts it as a background process, waits
 * until it has mounted, and records it in the data dir so `tsdaos down` unmounts it.
 */
import { startDfuse } from '../../dfuse/mount.js';
import { CACHE_ATTRIBUTES, CachePolicyError, type CacheOverrides } from '../../dfuse/cache-policy.js';
import type { MetricsAddress } from '../../dfuse/metrics-server.js';
import { parseHostPort } from '../../engine/wire/address.js';
import { resolveSystemFilePath } from '../../engine/system/system-file.js';
import { spawnDfuse } from '../cluster/dfuse-process.js';
import { DEFAULT_UP_OPTIONS } from '../cluster/local-cluster.js';
import { ANNOUNCE_FD_OPTION, announce, announceFdOption } from './announce.js';
import { type Parsed, UsageError, output, parse, requireOption, runCli, stringOption, waitForStopSignal } from './command.js';
import { contName, loadSystem, poolName } from './system-context.js';

const DEFAULT_METRICS = '127.0.0.1:0';

export const DFUSE_USAGE = `usage: dfuse --mount DIR [--pool P] [--cont C] [options]

  --mount DIR              where to mount (an existing, empty, unmounted directory)
  --pool P --cont C        default: the local cluster's pool and container (--dir DATA or --system FILE)
  --multi-user             entries owned by their creator, other users allowed (default as root)
  --single-user            entries owned by the daemon's user, only that user allowed in
  --read-only              refuse every change (EROFS)
  --attr-time T  --dentry-time T  --dentry-dir-time T  --ndentry-time T  --data-cache on|off|otoc|T
                           override the container's dfuse-* attributes (T: seconds, or with s/m/h/d)
  --disable-caching        no kernel or daemon caching at all (direct I/O)
  --metrics HOST:PORT|off  Prometheus metrics over HTTP at http://HOST:PORT/metrics
                           (default ${DEFAULT_METRICS}: an ephemeral port, printed and recorded)
  --detach                 run in the background; \`tsdaos down --dir DATA\` unmounts it
  --announce-fd N          also write the mounted message as one JSON line on descriptor N, then close
                           it (how \`--detach\` and \`tsdaos up\` learn that the daemon has mounted)
`;

const OPTIONS = {
  pool: { type: 'string' }, cont: { type: 'string' }, mount: { type: 'string' },
  'multi-user': { type: 'boolean', default: false }, 'single-user': { type: 'boolean', default: false },
  'read-only': { type: 'boolean', default: false }, 'disable-caching': { type: 'boolean', default: false },
  'attr-time': { type: 'string' }, 'dentry-time': { type: 'string' }, 'dentry-dir-time': { type: 'string' },
  'ndentry-time': { type: 'string' }, 'data-cache': { type: 'string' }, detach: { type: 'boolean', default: false },
  metrics: { type: 'string' }, ...ANNOUNCE_FD_OPTION,
} as const;

function metricsAddress(parsed: Parsed): MetricsAddress | undefined {
  const value = stringOption(parsed, 'metrics') ?? DEFAULT_METRICS;
  if (value === 'off') return undefined;
  try {
    return parseHostPort(value);
  } catch {
    throw new UsageError(`--metrics must be HOST:PORT or off, got ${JSON.stringify(value)}`);
  }
}

function overrides(parsed: Parsed): CacheOverrides {
  const result: CacheOverrides = {};
  // Each container attribute `dfuse-X` is overridden by the flag --X.
  for (const attribute of CACHE_ATTRIBUTES) {
    const value = stringOption(parsed, attribute.slice('dfuse-'.length));
    if (value !== undefined) result[attribute] = value;
  }
  return result;
}

/** The flags a detached daemon is started with: everything but --detach and the system location. */
function forwardedArgs(argv: readonly string[]): string[] {
  const forwarded: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--detach' || arg === '--json') continue;
    if (['--dir', '--system', '--pool', '--cont', '--mount', '--announce-fd'].includes(arg)) { index += 1; continue; }
    if (/^--(dir|system|pool|cont|mount|announce-fd)=/.test(arg)) continue;
    forwarded.push(arg);
  }
  return forwarded;
}

export async function dfuseCommand(argv: string[]): Promise<void> {
  const parsed = parse(argv, OPTIONS, DFUSE_USAGE);
  const mountPoint = requireOption(parsed, 'mount');
  if (parsed.values['multi-user'] === true && parsed.values['single-user'] === true) throw new UsageError('--multi-user and --single-user exclude each other');
  const system = loadSystem(parsed);
  const pool = poolName(parsed, system);
  const cont = contName(parsed, system);
  const metrics = metricsAddress(parsed);
  const announceFd = announceFdOption(parsed);
  if (parsed.values['detach'] === true) {
    const dataDir = stringOption(parsed, 'dir') ?? DEFAULT_UP_OPTIONS.dataDir;
    const systemFile = resolveSystemFilePath({ systemFile: stringOption(parsed, 'system'), dataDir });
    const record = await spawnDfuse(dataDir, { systemFile, pool, cont, mountPoint, args: forwardedArgs(argv) });
    if (announceFd !== undefined) announce(announceFd, { event: 'mounted', ...record });
    output(parsed, { event: 'mounted', ...record },
      () => `dfuse: mounted ${pool}/${cont} at ${record.mountPoint} (pid ${record.pid}, log ${record.log}${record.metrics === undefined ? '' : `, metrics http://${record.metrics}/metrics`})`);
    return;
  }
  let daemon;
  try {
    daemon = await startDfuse({
      system, pool, cont, mountPoint,
      ...(parsed.values['multi-user'] === true ? { multiUser: true } : parsed.values['single-user'] === true ? { multiUser: false } : {}),
      readOnly: parsed.values['read-only'] === true,
      cacheOverrides: overrides(parsed),
      disableCaching: parsed.values['disable-caching'] === true,
      ...(metrics === undefined ? {} : { metrics }),
    });
  } catch (error) {
    if (error instanceof CachePolicyError) throw new UsageError(error.message);
    throw error;
  }
  const mounted = { event: 'mounted', mountPoint: daemon.mountPoint, pid: process.pid, multiUser: daemon.multiUser, policy: daemon.policy, metrics: daemon.metricsAddress };
  if (announceFd !== undefined) announce(announceFd, mounted);
  output(parsed, mounted,
    () => `dfuse: mounted ${pool}/${cont} at ${daemon.mountPoint} (${daemon.multiUser ? 'multi-user' : 'single-user'}${daemon.metricsAddress === undefined ? '' : `, metrics http://${daemon.metricsAddress}/metrics`}); ${announceFd === undefined ? 'Ctrl-C' : 'SIGTERM'} unmounts`);
  // SIGINT/SIGTERM, or the mount removed from outside (fusermount -u): unmount what is left, exit 0.
  await Promise.race([waitForStopSignal(), daemon.gone]);
  await daemon.unmount();
  // Done: nothing left to serve (exit without waiting for every handle of the engine client to close).
  process.exit(0);
}

if (process.argv[1]?.endsWith('dfuse.js') === true) runCli('dfuse', DFUSE_USAGE, dfuseCommand);
