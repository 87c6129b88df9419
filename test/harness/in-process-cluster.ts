/**
 * An in-process cluster for vitest suites above the object layer (dfs, dfuse): N engines on
 * 127.0.0.1:0 in one temp directory with a system file, and one pool created through POOL_CREATE
 * (optionally with a per-target capacity). stop() closes the engines and removes the directory.
 * Engines run in the test process (as engine/client/cluster.test.ts does); nothing is spawned.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { H2TransportPool, type PoolHandle, connectPool } from '../../engine/client/index.js';
import { type Engine, startEngine } from '../../engine/server/engine.js';
import { type SystemFile, writeSystemFile } from '../../engine/system/system-file.js';
import { POOL_CREATE } from '../../engine/wire/rpc/pool.js';

export const silentLog = pino({ level: 'silent' });

export interface InProcessCluster {
  readonly engines: Engine[];
  readonly system: SystemFile;
  readonly poolLabel: string;
  readonly poolUuid: string;
  /** A new connection to the pool (caller disconnects). */
  connect(): Promise<PoolHandle>;
  /** Requests of these opcodes the engines have received so far, all engines together. */
  requestsTotal(...opcodes: string[]): number;
  stop(): Promise<void>;
}

export interface InProcessClusterOptions {
  readonly engines?: number;
  readonly targets?: number;
  /** 0 = unlimited (default). */
  readonly capacityBytesPerTarget?: number;
  readonly prefix?: string;
  /** Label of the pool created at start (default 'tank'). */
  readonly poolLabel?: string;
}

export async function startInProcessCluster(options: InProcessClusterOptions = {}): Promise<InProcessCluster> {
  const engineCount = options.engines ?? 3;
  const targets = options.targets ?? 2;
  const dir = mkdtempSync(join(tmpdir(), `tsdaos-${options.prefix ?? 'cluster'}-`));
  const systemFile = join(dir, 'system.json');
  const engines: Engine[] = [];
  for (let rank = 0; rank < engineCount; rank++) {
    engines.push(await startEngine({
      rank, dir: join(dir, `engine${rank}`), listen: '127.0.0.1:0', targets, systemFile, log: silentLog, aggregationIntervalMs: 60_000,
    }));
  }
  const system: SystemFile = {
    name: options.prefix ?? 'cluster',
    engines: engines.map((engine, rank) => ({ rank, address: engine.address, faultDomain: `rank${rank}`, targets })),
  };
  writeSystemFile(systemFile, system);
  const poolLabel = options.poolLabel ?? 'tank';
  const transports = new H2TransportPool({ log: silentLog });
  let poolUuid: string;
  try {
    const created = await transports.get(engines[0]!.address).call(POOL_CREATE, { label: poolLabel, capacityBytesPerTarget: options.capacityBytesPerTarget ?? 0 });
    poolUuid = created.uuid;
  } finally {
    await transports.close();
  }
  return {
    engines, system, poolLabel, poolUuid,
    connect: () => connectPool({ system, pool: poolLabel, log: silentLog }),
    requestsTotal: (...opcodes) => engines.reduce((sum, engine) => opcodes.reduce((count, opcode) => count + engine.metrics.requestsTotal(opcode), sum), 0),
    async stop() {
      await Promise.all(engines.map((engine) => engine.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
