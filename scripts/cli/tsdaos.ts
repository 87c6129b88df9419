#!/usr/bin/env node
/**
 * `tsdaos`: run an engine (`tsdaos engine`), start/stop the local cluster (`tsdaos up` / `tsdaos down`),
 * and show it (`tsdaos status`). Administration lives in `dmg`, containers and data in `daos`.
 */
import { resolve } from 'node:path';
import { installSignalHandlers } from '../../engine/server/signals.js';
import { startEngine } from '../../engine/server/engine.js';
import { RANKS_MAX, TARGETS_PER_ENGINE_MAX } from '../../engine/constants.js';
import { readSystemFile, resolveSystemFilePath } from '../../engine/system/system-file.js';
import { runDemo } from '../cluster/demo.js';
import {
  DEFAULT_UP_OPTIONS, clusterDown, clusterUp, engineDir, isEngineProcess,
} from '../cluster/local-cluster.js';
import { readPid } from '../cluster/engine-process.js';
import { type DfuseRecord, spawnDfuse, unmountAllDfuse } from '../cluster/dfuse-process.js';
import { ANNOUNCE_FD_OPTION, announce, announceFdOption } from './announce.js';
import { dfuseCommand } from './dfuse.js';
import {
  UsageError, intOption, output, parse, parseSize, requireOption, runCli, stringOption, waitForStopSignal,
} from './command.js';

const USAGE = `usage: tsdaos <command> [options]

commands:
  up       start a local cluster (engines, pool, POSIX container mounted with dfuse) and stay in
           the foreground
             --engines N (3)  --targets T (4)  --dir DATA (./.tsdaos)  --detach  --demo
             --pool LABEL (tank)  --cont LABEL (posix)  --capacity SIZE per target (no quota)
             --mount DIR (./mnt)  --no-mount
  down     unmount the dfuse mounts and stop the local cluster started from --dir DATA
  dfuse    mount a container (see \`dfuse --help\`)
  status   show the engines of the local cluster (--dir DATA)
  engine   run one storage engine: --rank N --dir D --listen host:port [--targets T] [--system FILE]
           [--announce-fd N: the ready line on descriptor N instead of stdout]

every command takes --json for machine-readable output.
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'engine': return await engineCommand(rest);
    case 'up': return await upCommand(rest);
    case 'down': return await downCommand(rest);
    case 'status': return await statusCommand(rest);
    case 'dfuse': return await dfuseCommand(rest);
    default: throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function engineCommand(argv: string[]): Promise<void> {
  const parsed = parse(argv, { rank: { type: 'string' }, listen: { type: 'string' }, targets: { type: 'string' }, ...ANNOUNCE_FD_OPTION });
  const rank = intOption(parsed, 'rank', -1, { min: 0, max: RANKS_MAX - 1 });
  if (rank < 0) throw new UsageError('--rank is required');
  const announceFd = announceFdOption(parsed);
  const engine = await startEngine({
    rank,
    dir: resolve(requireOption(parsed, 'dir')),
    listen: requireOption(parsed, 'listen'),
    targets: intOption(parsed, 'targets', DEFAULT_UP_OPTIONS.targets, { min: 1, max: TARGETS_PER_ENGINE_MAX }),
    systemFile: stringOption(parsed, 'system'),
  });
  installSignalHandlers(engine);
  const ready = { event: 'ready', rank, address: engine.address, pid: process.pid };
  if (announceFd === undefined) process.stdout.write(`${JSON.stringify(ready)}\n`);
  else announce(announceFd, ready);
}

async function upCommand(argv: string[]): Promise<void> {
  const parsed = parse(argv, {
    engines: { type: 'string' }, targets: { type: 'string' }, detach: { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false }, pool: { type: 'string' }, cont: { type: 'string' }, capacity: { type: 'string' },
    mount: { type: 'string' }, 'no-mount': { type: 'boolean', default: false },
  });
  if (parsed.values['no-mount'] === true && stringOption(parsed, 'mount') !== undefined) throw new UsageError('--mount and --no-mount exclude each other');
  const dataDir = stringOption(parsed, 'dir') ?? DEFAULT_UP_OPTIONS.dataDir;
  const json = parsed.values['json'] === true;
  const progress = (line: string): void => { process.stderr.write(`tsdaos: ${line}\n`); };
  const capacity = stringOption(parsed, 'capacity');
  const result = await clusterUp({
    dataDir,
    engines: intOption(parsed, 'engines', DEFAULT_UP_OPTIONS.engines, { min: 1, max: RANKS_MAX }),
    targets: intOption(parsed, 'targets', DEFAULT_UP_OPTIONS.targets, { min: 1, max: TARGETS_PER_ENGINE_MAX }),
    detach: parsed.values['detach'] === true,
    poolLabel: stringOption(parsed, 'pool') ?? DEFAULT_UP_OPTIONS.poolLabel,
    contLabel: stringOption(parsed, 'cont') ?? DEFAULT_UP_OPTIONS.contLabel,
    capacityBytesPerTarget: capacity === undefined ? 0 : parseSize(capacity, '--capacity'),
    progress,
  });
  let mounted: DfuseRecord | undefined;
  if (parsed.values['no-mount'] !== true) {
    progress('mounting the container with dfuse');
    try {
      mounted = await spawnDfuse(dataDir, {
        systemFile: result.systemFile, pool: result.system.defaultPool!, cont: result.system.defaultCont!,
        mountPoint: stringOption(parsed, 'mount') ?? DEFAULT_MOUNT_POINT,
      });
    } catch (error) {
      progress('dfuse failed: stopping the cluster');
      await clusterDown(dataDir);
      throw error;
    }
  }
  const summary = {
    systemFile: result.systemFile,
    pool: result.system.defaultPool,
    cont: result.system.defaultCont,
    mountPoint: mounted?.mountPoint ?? null,
    dfusePid: mounted?.pid ?? null,
    dfuseMetrics: mounted?.metrics ?? null,
    engines: result.engines.map((engine) => ({ rank: engine.spec.rank, address: engine.spec.address, pid: engine.pid })),
  };
  output(parsed, summary, () => [
    `tsdaos: cluster up: ${summary.engines.length} engines, pool '${summary.pool}', container '${summary.cont}'`,
    ...summary.engines.map((engine) => `  rank ${engine.rank}  ${engine.address}  pid ${engine.pid}  (metrics: curl http://${engine.address}/metrics)`),
    `  system file: ${summary.systemFile}  (export TSDAOS_SYSTEM=${summary.systemFile})`,
    ...(mounted === undefined ? [] : [`  mounted at ${mounted.mountPoint} (dfuse pid ${mounted.pid}${mounted.metrics === undefined ? '' : `, metrics http://${mounted.metrics}/metrics`})`]),
    `  try: dmg pool query --dir ${dataDir}    stop: tsdaos down --dir ${dataDir}`,
  ].join('\n'));
  if (parsed.values['demo'] === true) await runDemo(result.system, mounted?.mountPoint, (line) => process.stdout.write(`${line}\n`));
  if (parsed.values['detach'] === true) return;
  if (!json) process.stderr.write('tsdaos: running in the foreground; Ctrl-C stops the cluster\n');
  await waitForStopSignal();
  progress('unmounting and stopping engines');
  await unmountAllDfuse(dataDir);
  const down = await clusterDown(dataDir);
  // A Ctrl-C at the terminal reaches the engines too (they share its process group) and they stop themselves.
  const stoppedHere = down.stopped.filter((entry) => entry.how !== 'not-running').length;
  progress(`${down.stopped.length} engines stopped (${stoppedHere} by this command, ${down.stopped.length - stoppedHere} on the interrupt)`);
}

const DEFAULT_MOUNT_POINT = './mnt';

async function downCommand(argv: string[]): Promise<void> {
  const parsed = parse(argv, {});
  const dataDir = stringOption(parsed, 'dir') ?? DEFAULT_UP_OPTIONS.dataDir;
  const unmounted = await unmountAllDfuse(dataDir);
  const result = await clusterDown(dataDir);
  output(parsed, { ...result, unmounted }, () => [
    ...unmounted.map((entry) => `${entry.mountPoint}: ${entry.how === 'not-mounted' ? 'not mounted' : `unmounted (${entry.how})`}`),
    ...result.stopped.map((entry) => `rank ${entry.rank}: ${entry.how}`),
  ].join('\n'));
}

async function statusCommand(argv: string[]): Promise<void> {
  const parsed = parse(argv, {});
  const dataDir = stringOption(parsed, 'dir') ?? DEFAULT_UP_OPTIONS.dataDir;
  const system = readSystemFile(resolveSystemFilePath({ systemFile: stringOption(parsed, 'system'), dataDir }));
  const engines = system.engines.map((engine) => {
    const pid = readPid(engineDir(resolve(dataDir), engine.rank));
    return { rank: engine.rank, address: engine.address, pid: pid ?? null, running: pid !== undefined && isEngineProcess(pid) };
  });
  output(parsed, { engines, pool: system.defaultPool, cont: system.defaultCont }, () =>
    engines.map((engine) => `rank ${engine.rank}  ${engine.address}  ${engine.running ? `running (pid ${engine.pid})` : 'stopped'}`).join('\n'));
}

runCli('tsdaos', USAGE, main);
