/**
 * The local cluster behind `tsdaos up` / `tsdaos down`: N engines on loopback with storage under one data
 * dir, a pool and a POSIX container created on first start, and the system file that names them all.
 * Restarting with the same data dir reuses ranks, ports and storage, so every byte comes back.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { mkfs } from '../../dfs/index.js';
import { connectPool } from '../../engine/client/pool.js';
import { H2TransportPool } from '../../engine/client/h2-transport.js';
import { TARGETS_PER_ENGINE_DEFAULT } from '../../engine/constants.js';
import {
  type SystemEngine, type SystemFile, SYSTEM_FILE_NAME, readSystemFile, writeSystemFile,
} from '../../engine/system/system-file.js';
import { ENGINE_PING } from '../../engine/wire/rpc/engine.js';
import { POOL_CREATE } from '../../engine/wire/rpc/pool.js';
import {
  type RunningEngine, clearPid, isRunningAs, readPid, spawnEngine, stopProcess,
} from './engine-process.js';
import { findFreePorts } from './ports.js';

export interface UpOptions {
  readonly dataDir: string;
  readonly engines: number;
  readonly targets: number;
  readonly detach: boolean;
  readonly poolLabel: string;
  readonly contLabel: string;
  /** Per-target capacity in bytes (0: no quota). */
  readonly capacityBytesPerTarget: number;
  readonly progress: (line: string) => void;
  /** Extra environment for every engine process (fault tests). */
  readonly engineEnv?: Readonly<Record<string, string>>;
}

export interface UpResult {
  readonly system: SystemFile;
  readonly systemFile: string;
  readonly engines: RunningEngine[];
  readonly created: boolean;
}

export const DEFAULT_UP_OPTIONS = {
  dataDir: '.tsdaos',
  engines: 3,
  targets: TARGETS_PER_ENGINE_DEFAULT,
  poolLabel: 'tank',
  contLabel: 'posix',
  capacityBytesPerTarget: 0,
} as const;

const POOL_READY_TIMEOUT_MS = 30_000;

export function engineDir(dataDir: string, rank: number): string {
  return join(dataDir, 'engines', `rank${rank}`);
}

/** Engines of the system file whose recorded pid is alive. */
export function runningEngines(dataDir: string, system: SystemFile): SystemEngine[] {
  return system.engines.filter((engine) => isRunningEngine(readPid(engineDir(dataDir, engine.rank))));
}

/** Whether `pid` (a recorded engine pid, if any) is a live engine process. */
function isRunningEngine(pid: number | undefined): pid is number {
  return pid !== undefined && isEngineProcess(pid);
}

export function isEngineProcess(pid: number): boolean {
  return isRunningAs(pid, 'engine');
}

export async function clusterUp(options: UpOptions): Promise<UpResult> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const systemFile = join(dataDir, SYSTEM_FILE_NAME);
  let system = existsSync(systemFile) ? readSystemFile(systemFile) : await newSystem(dataDir, options);
  if (!existsSync(systemFile)) writeSystemFile(systemFile, system);
  const alreadyRunning = runningEngines(dataDir, system);
  if (alreadyRunning.length > 0) {
    const stopped = system.engines.length - alreadyRunning.length;
    const startOthers = stopped === 0 ? '' : `start the ${stopped === 1 ? 'stopped one' : `${stopped} stopped`} with 'dmg system start --dir ${options.dataDir}', `;
    throw new Error(`a cluster is already running from ${dataDir} (ranks ${alreadyRunning.map((engine) => engine.rank).join(', ')}); ${startOthers}stop it with 'tsdaos down --dir ${options.dataDir}'`);
  }
  options.progress(`starting ${system.engines.length} engines (${system.engines[0]?.targets ?? 0} targets each) in ${dataDir}`);
  const engines = await Promise.all(system.engines.map((engine) =>
    spawnEngine({ rank: engine.rank, dir: engineDir(dataDir, engine.rank), address: engine.address, targets: engine.targets, systemFile }, { detached: options.detach, ...(options.engineEnv === undefined ? {} : { env: options.engineEnv }) })));
  const created = system.defaultPool === undefined;
  try {
    if (created) system = await createDefaults(system, systemFile, options);
    await waitForPool(system, options);
  } catch (error) {
    await Promise.all(engines.map((engine) => stopProcess(engine.pid)));
    throw error;
  }
  return { system, systemFile, engines, created };
}

async function newSystem(dataDir: string, options: UpOptions): Promise<SystemFile> {
  const ports = await findFreePorts(options.engines);
  return {
    name: 'tsdaos',
    dataDir,
    engines: ports.map((port, rank) => ({
      rank, address: `127.0.0.1:${port}`, faultDomain: `rank${rank}`, targets: options.targets, dir: engineDir(dataDir, rank),
    })),
  };
}

async function createDefaults(system: SystemFile, systemFile: string, options: UpOptions): Promise<SystemFile> {
  const transports = new H2TransportPool();
  try {
    options.progress(`creating pool '${options.poolLabel}' and POSIX container '${options.contLabel}'`);
    const first = system.engines[0]!;
    const pool = await transports.get(first.address).call(POOL_CREATE, {
      label: options.poolLabel,
      capacityBytesPerTarget: options.capacityBytesPerTarget,
    });
    const handle = await connectPool({ system, pool: pool.uuid, transport: transports });
    const cont = await handle.createContainer({ label: options.contLabel, props: { layout: 'POSIX' } });
    // A POSIX container is formatted at creation (superblock + root), as dfs_cont_create does.
    await mkfs(await handle.openContainer(cont.uuid));
    await handle.disconnect();
    const updated: SystemFile = { ...system, defaultPool: pool.label, defaultCont: cont.label ?? cont.uuid };
    writeSystemFile(systemFile, updated);
    return updated;
  } finally {
    await transports.close();
  }
}

/** Waits until the pool service answers (a restarted cluster elects its leader first). */
async function waitForPool(system: SystemFile, options: UpOptions): Promise<void> {
  const transports = new H2TransportPool();
  const deadline = Date.now() + POOL_READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await Promise.all(system.engines.map((engine) => transports.get(engine.address).call(ENGINE_PING, {}, { timeoutMs: 2_000 })));
        const handle = await connectPool({ system, pool: system.defaultPool!, transport: transports });
        await handle.disconnect();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 250));
      }
    }
  } finally {
    await transports.close();
    options.progress('cluster ready');
  }
}

export interface DownResult {
  readonly stopped: EngineAction[];
}

export async function clusterDown(dataDirOption: string): Promise<DownResult> {
  const dataDir = resolve(dataDirOption);
  const systemFile = join(dataDir, SYSTEM_FILE_NAME);
  if (!existsSync(systemFile)) throw new Error(`no cluster in ${dataDir} (no ${SYSTEM_FILE_NAME})`);
  return { stopped: await stopEngines(systemFile) };
}

/** What `startEngines` / `stopEngines` did to one rank's engine. */
export interface EngineAction {
  readonly rank: number;
  /** The engine's pid (0 when none was recorded). */
  readonly pid: number;
  readonly how: 'started' | 'running' | 'terminated' | 'killed' | 'not-running';
}

/**
 * Starts, detached, the engines of the local cluster of `systemFile` (in its data dir) that are not
 * running, of `ranks` or of every rank (DAOS `dmg system start`): each on its address and storage, so it
 * comes back with its data and the pool service lets it back in (resync, then UPIN). Engines already
 * running are left alone.
 */
export async function startEngines(systemFile: string, ranks?: readonly number[]): Promise<EngineAction[]> {
  const dataDir = dirname(resolve(systemFile));
  return Promise.all(enginesOf(readSystemFile(systemFile), ranks).map(async (engine): Promise<EngineAction> => {
    const dir = engineDir(dataDir, engine.rank);
    const pid = readPid(dir);
    if (isRunningEngine(pid)) return { rank: engine.rank, pid, how: 'running' };
    const started = await spawnEngine({ rank: engine.rank, dir, address: engine.address, targets: engine.targets, systemFile }, { detached: true });
    return { rank: engine.rank, pid: started.pid, how: 'started' };
  }));
}

/** Stops the engines of `ranks` (every rank when undefined): SIGTERM (they drain and exit), SIGKILL past the grace. */
export async function stopEngines(systemFile: string, ranks?: readonly number[]): Promise<EngineAction[]> {
  const dataDir = dirname(resolve(systemFile));
  return Promise.all(enginesOf(readSystemFile(systemFile), ranks).map(async (engine): Promise<EngineAction> => {
    const dir = engineDir(dataDir, engine.rank);
    const pid = readPid(dir);
    const how = isRunningEngine(pid) ? await stopProcess(pid) : 'not-running' as const;
    clearPid(dir);
    return { rank: engine.rank, pid: pid ?? 0, how };
  }));
}

/** The engines of `ranks` (all when undefined); a rank the system does not have is an error naming the ones it has. */
function enginesOf(system: SystemFile, ranks: readonly number[] | undefined): SystemEngine[] {
  if (ranks === undefined) return [...system.engines];
  return ranks.map((rank) => {
    const engine = system.engines.find((candidate) => candidate.rank === rank);
    if (engine === undefined) throw new Error(`no rank ${rank} in the system (ranks ${system.engines.map((known) => known.rank).join(', ')})`);
    return engine;
  });
}
