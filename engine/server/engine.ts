/**
 * One storage engine: owns its directory (engine.json + pools/), the local pools and their VOS targets,
 * the HLC, the peer transport, the router with every service's handlers, the HTTP/2 listener, the
 * batcher, metrics, background aggregation and the transaction resolver. Implements EngineServices for
 * the services inside it.
 * Start: check engine.json (a directory belongs to one rank), reopen every pool on disk, register
 * handlers, listen, start aggregation and the resolver (which first settles intents left by a crash).
 * Close: refuse new requests, drain in-flight ones (bounded), stop the background loops, run onShutdown
 * cleanups, close the VOS targets, close the listener and peer sessions.
 * Invariant: an update is acknowledged only after the VOS batch holding it committed (batcher.ts), so a
 * kill -9 at any point loses no acknowledged write.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { H2TransportPool } from '../client/h2-transport.js';
import type { TransportPool } from '../client/transport.js';
import { TARGETS_PER_ENGINE_DEFAULT, TARGETS_PER_ENGINE_MAX } from '../constants.js';
import { createLogger, type Logger } from '../log.js';
import type { PoolMap, Rank } from '../pool-map/pool-map.js';
import { readSystemFile, resolveSystemFilePath, type SystemFile } from '../system/system-file.js';
import type { VosTarget } from '../vos/index.js';
import { parseHostPort } from '../wire/address.js';
import { Hlc } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { ReclaimPolicy } from '../wire/rpc/pool.js';
import { Aggregator } from './aggregation.js';
import { Batcher } from './batcher.js';
import { SHUTDOWN_DRAIN_MS } from './constants.js';
import { readJsonIfExists, writeJsonAtomic } from './durable-file.js';
import { registerEngineAdminHandlers } from './engine-admin.js';
import { ENGINE_DIR_MODE, ENGINE_LAYOUT_VERSION, isEngineRecordLayout } from './layout.js';
import { Listener } from './listener.js';
import { localSocketPath } from './local-socket.js';
import { LocalPools } from './local-pools.js';
import { EngineMetrics } from './metrics.js';
import { registerObjectHandlers } from './obj-handlers.js';
import { registerPoolService } from './pool-svc/index.js';
import { Router } from './router.js';
import type { EngineServices, TargetUsage } from './services.js';
import { TX_ABORT_KEEP_MS, TX_RESOLVER_INTERVAL_MS, undecidedTimeoutMsFromEnv } from './tx/constants.js';
import { TxResolver } from './tx/resolver.js';
import { registerTxHandlers } from './tx/tx-handlers.js';
import { TxMetrics } from './tx/tx-metrics.js';
import { TxService } from './tx/tx-service.js';

export interface EngineOptions {
  readonly rank: number;
  readonly dir: string;
  /** `host:port` (port 0 = ephemeral). */
  readonly listen: string;
  /** Targets created per new pool; default TARGETS_PER_ENGINE_DEFAULT. */
  readonly targets?: number;
  readonly systemFile?: string;
  readonly log?: Logger;
  /** Background aggregation period; default AGGREGATION_INTERVAL_MS. */
  readonly aggregationIntervalMs?: number;
  /** Versions younger than this (HLC time) are never aggregated; default AGGREGATION_WINDOW_MS. */
  readonly aggregationWindowMs?: number;
  /** Bound on waiting for in-flight requests at close; default SHUTDOWN_DRAIN_MS. */
  readonly drainMs?: number;
  /** Age at which undecided transaction intents are aborted; default TSDAOS_TX_TIMEOUT_MS or TX_UNDECIDED_TIMEOUT_MS. */
  readonly txTimeoutMs?: number;
  /** Pause between transaction resolver passes; default TX_RESOLVER_INTERVAL_MS. */
  readonly txResolverIntervalMs?: number;
  /** Age at which a coordinator forgets an abort it recorded; default TX_ABORT_KEEP_MS. */
  readonly txAbortKeepMs?: number;
}

export interface Engine extends EngineServices {
  /** The bound `host:port` of the listener. */
  readonly address: string;
  readonly metrics: EngineMetrics;
  /** Requests received and not yet answered. */
  inFlightCount(): number;
  /** Runs one aggregation pass now (tests, operator triggers). */
  aggregateNow(): { targets: number; versionsRemoved: number; bytesFreed: number };
  /** Runs one transaction resolver pass now; resolves with the decisions it applied. */
  resolveTransactionsNow(): Promise<number>;
  /** Transaction counters (prepares, commits, aborts, restarts, resolutions). */
  readonly txMetrics: TxMetrics;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

/** Starts an engine on `options.dir`, reopening every pool found there. */
export async function startEngine(options: EngineOptions): Promise<Engine> {
  const engine = new EngineServer(options);
  await engine.start();
  return engine;
}

/**
 * A directory belongs to one rank for life: engine.json records it at first start, which also makes the
 * directory its owner's alone (it holds every byte and name of the pool: VOS files, data blobs, the UNIX socket).
 */
function claimDirectory(dir: string, rank: number): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'engine.json');
  const record = readJsonIfExists(path);
  if (record === undefined) {
    chmodSync(dir, ENGINE_DIR_MODE);
    writeJsonAtomic(path, { layoutVersion: ENGINE_LAYOUT_VERSION, rank });
    return;
  }
  if (!isEngineRecordLayout(record)) throw new Error(`${path} is malformed`);
  if (record.layoutVersion !== ENGINE_LAYOUT_VERSION) throw new Error(`${path}: layout ${record.layoutVersion}, expected ${ENGINE_LAYOUT_VERSION}`);
  if (record.rank !== rank) throw new Error(`${dir} belongs to rank ${record.rank}, not rank ${rank}`);
}

class EngineServer implements Engine {
  readonly rank: Rank;
  readonly dir: string;
  readonly log: Logger;
  readonly hlc = new Hlc();
  readonly targetCount: number;
  readonly peers: TransportPool;
  readonly metrics = new EngineMetrics();
  readonly txMetrics = new TxMetrics();
  private readonly pools: LocalPools;
  private readonly router = new Router();
  private readonly batcher: Batcher;
  private readonly aggregator: Aggregator;
  private readonly tx: TxService;
  private readonly txResolver: TxResolver;
  private readonly cleanups: Array<() => Promise<void>> = [];
  private readonly startedAtMs = Date.now();
  private listener: Listener | undefined;
  private closing: Promise<void> | undefined;
  private systemCache: { path: string; stamp: string; file: SystemFile } | undefined;

  constructor(private readonly options: EngineOptions) {
    assert.ok(Number.isSafeInteger(options.rank) && options.rank >= 0, `bad rank ${options.rank}`);
    this.rank = options.rank as Rank;
    this.dir = options.dir;
    this.targetCount = options.targets ?? TARGETS_PER_ENGINE_DEFAULT;
    assert.ok(this.targetCount >= 1 && this.targetCount <= TARGETS_PER_ENGINE_MAX, `targets must be 1..${TARGETS_PER_ENGINE_MAX}`);
    this.log = options.log ?? createLogger('engine', { level: 'info', bindings: { rank: options.rank } });
    this.peers = new H2TransportPool({ log: this.log });
    this.pools = new LocalPools(this.dir, this.log);
    this.batcher = new Batcher({ onBatch: (size) => this.metrics.recordBatch(size) });
    this.aggregator = new Aggregator({
      pools: this.pools, hlc: this.hlc, log: this.log,
      ...(options.aggregationIntervalMs === undefined ? {} : { intervalMs: options.aggregationIntervalMs }),
      ...(options.aggregationWindowMs === undefined ? {} : { windowMs: options.aggregationWindowMs }),
    });
    this.tx = new TxService({
      rank: this.rank, pools: this.pools, batcher: this.batcher, hlc: this.hlc, peers: this.peers, log: this.log,
      metrics: this.txMetrics,
      systemAddressOf: (rank) => this.system().engines.find((engine) => engine.rank === rank)?.address,
    });
    this.txResolver = new TxResolver({
      pools: this.pools, tx: this.tx, log: this.log,
      timeoutMs: options.txTimeoutMs ?? undecidedTimeoutMsFromEnv(),
      intervalMs: options.txResolverIntervalMs ?? TX_RESOLVER_INTERVAL_MS,
      abortKeepMs: options.txAbortKeepMs ?? TX_ABORT_KEEP_MS,
    });
  }

  get address(): string {
    assert.ok(this.listener !== undefined, 'engine not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    const listen = parseHostPort(this.options.listen);
    claimDirectory(this.dir, this.rank);
    this.pools.openAll();
    this.metrics.addCollector({
      name: 'tsdaos_vos_used_bytes',
      help: 'Value bytes held by each local VOS target.',
      collect: () => this.pools.all().flatMap((pool) => this.poolUsage(pool.uuid).map((usage) => ({
        labels: { pool: pool.uuid, target: String(usage.index) }, value: usage.usedBytes,
      }))),
    });
    this.metrics.addCollector({
      name: 'tsdaos_tx_decisions',
      help: 'Transaction decisions kept by local coordinator targets (a commit is forgotten once applied everywhere).',
      collect: () => this.pools.all().map((pool) => ({
        labels: { pool: pool.uuid }, value: pool.targets.reduce((total, vos) => total + vos.dtx.decisionCount(), 0),
      })),
    });
    this.metrics.addCollector({
      name: 'tsdaos_rpc_in_flight',
      help: 'Requests received and not yet answered.',
      collect: () => [{ labels: {}, value: this.inFlightCount() }],
    });
    for (const collector of [...this.txMetrics.collectors(), ...this.aggregator.collectors()]) this.metrics.addCollector(collector);
    registerObjectHandlers(this.router, {
      pools: this.pools, batcher: this.batcher, hlc: this.hlc, log: this.log, tx: this.tx, txMetrics: this.txMetrics, metrics: this.metrics,
    });
    registerTxHandlers(this.router, this.tx);
    registerEngineAdminHandlers(this.router, { services: this, startedAtMs: this.startedAtMs });
    const poolService = registerPoolService(this, this.router);
    this.onShutdown(() => poolService.close());
    try {
      this.listener = await Listener.start({ listen, localPath: localSocketPath(this.dir), router: this.router, metrics: this.metrics, log: this.log });
    } catch (error) {
      // Port taken or bad host: undo what started so the caller's process is left as it was.
      await poolService.close();
      this.pools.closeAll();
      await this.peers.close();
      throw error;
    }
    this.aggregator.start();
    this.txResolver.start();
    this.log.info({ address: this.listener.address, pools: this.pools.list().length, targets: this.targetCount, dir: this.dir }, 'engine started');
  }

  system(): SystemFile {
    const path = resolveSystemFilePath(this.options.systemFile === undefined ? {} : { systemFile: this.options.systemFile });
    let stamp = 'absent';
    try {
      const stat = statSync(path);
      stamp = `${stat.mtimeMs}:${stat.size}`;
    } catch {
      // readSystemFile reports the missing file with the proper error.
    }
    if (this.systemCache?.path === path && this.systemCache.stamp === stamp) return this.systemCache.file;
    const file = readSystemFile(path);
    this.systemCache = { path, stamp, file };
    return file;
  }

  localPools(): string[] {
    return this.pools.list();
  }

  createLocalPool(pool: string, capacityBytesPerTarget: number, map: PoolMap, reclaim?: ReclaimPolicy): void {
    this.pools.create(pool, { targets: this.targetCount, capacityBytesPerTarget, map, ...(reclaim === undefined ? {} : { reclaim }) });
  }

  destroyLocalPool(pool: string): void {
    for (const vos of this.pools.get(pool)?.targets ?? []) this.batcher.dropLane(vos, poolGoneError(pool));
    this.pools.destroy(pool);
  }

  poolMap(pool: string): PoolMap | undefined {
    return this.pools.get(pool)?.map;
  }

  setPoolMap(pool: string, map: PoolMap): boolean {
    return this.pools.setMap(pool, map);
  }

  vosTargets(pool: string): readonly VosTarget[] | undefined {
    return this.pools.get(pool)?.targets;
  }

  poolUsage(pool: string): TargetUsage[] {
    const local = this.pools.getOrThrow(pool);
    return local.targets.map((vos, index) => ({
      index,
      capacityBytes: local.capacityBytesPerTarget,
      usedBytes: vos.usage().dataBytes,
    }));
  }

  destroyContainer(pool: string, cont: string): void {
    const local = this.pools.getOrThrow(pool);
    for (const vos of local.targets) vos.destroyContainer(cont);
    this.pools.setRetained(pool, cont, []);
    this.log.info({ pool, cont }, 'container destroyed');
  }

  setRetainedEpochs(pool: string, cont: string, epochs: readonly number[]): void {
    this.pools.setRetained(pool, cont, epochs);
  }

  onShutdown(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  inFlightCount(): number {
    return this.listener?.inFlightCount() ?? 0;
  }

  aggregateNow(): { targets: number; versionsRemoved: number; bytesFreed: number } {
    return this.aggregator.runOnce();
  }

  resolveTransactionsNow(): Promise<number> {
    return this.txResolver.runOnce();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log.info({ inFlight: this.listener?.inFlightCount() ?? 0 }, 'engine stopping');
    await this.listener?.drain(this.options.drainMs ?? SHUTDOWN_DRAIN_MS);
    await this.aggregator.stop();
    await this.txResolver.stop();
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        await cleanup();
      } catch (error) {
        this.log.error({ err: error }, 'shutdown cleanup failed');
      }
    }
    await this.batcher.idle();
    this.batcher.close();
    this.pools.closeAll();
    await this.listener?.close();
    await this.peers.close();
    this.log.info('engine stopped');
  }
}

function poolGoneError(pool: string): EngineError {
  return new EngineError(Der.NONEXIST, `pool ${pool} destroyed`);
}
