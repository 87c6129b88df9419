/**
 * Test support for the pool service (never imported by product code): N real in-process engines on
 * loopback port 0, a system file they share (rewritten whenever an engine (re)starts on a new port),
 * engine stop/restart on the same directory, and a service caller that finds the leader like a client
 * does (follows NOTLEADER hints, skips unreachable engines, retries until a deadline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { H2TransportPool } from '../../client/h2-transport.js';
import { type SystemFile, writeSystemFile } from '../../system/system-file.js';
import { Der, EngineError, isEngineError } from '../../wire/errors.js';
import type { RpcDef } from '../../wire/rpc-def.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import { type Engine, startEngine } from '../engine.js';

const silent = pino({ level: process.env['TSDAOS_TEST_LOG'] ?? 'silent' });
const RETRY_MS = 100;

export class TestCluster {
  readonly root: string;
  readonly systemPath: string;
  readonly peers = new H2TransportPool({ log: silent });
  private readonly engines: Array<Engine | undefined>;
  private readonly addresses: string[];

  private constructor(readonly count: number, readonly targets: number, private readonly aggregationWindowMs: number | undefined) {
    this.root = mkdtempSync(join(tmpdir(), 'tsdaos-pool-svc-'));
    this.systemPath = join(this.root, 'system.json');
    this.engines = Array.from({ length: count }, () => undefined);
    this.addresses = Array.from({ length: count }, () => '');
  }

  /** `aggregationWindowMs`: the engines' (default: theirs); aggregation runs only when a test asks (aggregateNow). */
  static async start(count: number, options: { targets?: number; aggregationWindowMs?: number } = {}): Promise<TestCluster> {
    const cluster = new TestCluster(count, options.targets ?? 2, options.aggregationWindowMs);
    for (let rank = 0; rank < count; rank++) await cluster.startRank(rank);
    return cluster;
  }

  engine(rank: number): Engine {
    const engine = this.engines[rank];
    if (engine === undefined) throw new Error(`engine ${rank} is not running`);
    return engine;
  }

  system(): SystemFile {
    return {
      name: 'test',
      engines: this.addresses
        .map((address, rank) => ({ rank, address, faultDomain: `rank${rank}`, targets: this.targets }))
        .filter((engine) => engine.address !== ''),
    };
  }

  async startRank(rank: number): Promise<Engine> {
    const engine = await startEngine({
      rank, dir: join(this.root, `engine-${rank}`), listen: '127.0.0.1:0', targets: this.targets, systemFile: this.systemPath,
      log: silent.child({ rank }), aggregationIntervalMs: 3_600_000, drainMs: 200,
      ...(this.aggregationWindowMs === undefined ? {} : { aggregationWindowMs: this.aggregationWindowMs }),
    });
    this.engines[rank] = engine;
    this.addresses[rank] = engine.address;
    // Until every engine has started, the file lists the ranks started so far.
    writeSystemFile(this.systemPath, this.system());
    return engine;
  }

  async stopRank(rank: number): Promise<void> {
    const engine = this.engines[rank];
    this.engines[rank] = undefined;
    await engine?.close();
  }

  /**
   * Sends a pool/container service RPC to the leader: tries the hinted leader first, then every engine,
   * retrying (elections, engines starting) until `timeoutMs`. Other errors are thrown as they are.
   */
  async svcCall<Req, Res>(def: RpcDef<Req, Res>, request: Req, timeoutMs = 15_000): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    let hint: number | undefined;
    let last: unknown;
    while (Date.now() < deadline) {
      const order = [...new Set([...(hint === undefined ? [] : [hint]), ...this.addresses.keys()])];
      for (const rank of order) {
        if (this.engines[rank] === undefined) continue;
        try {
          return await this.peers.get(this.addresses[rank]!).call(def, request, { timeoutMs: 5_000 });
        } catch (error) {
          if (!isEngineError(error) || ![Der.NOTLEADER, Der.UNREACH, Der.TIMEDOUT].includes(error.der)) throw error;
          last = error;
          if (error.der === Der.NOTLEADER && error.info.leader !== undefined) hint = error.info.leader;
        }
      }
      await sleep(RETRY_MS);
    }
    throw last instanceof EngineError ? last : new EngineError(Der.TIMEDOUT, `${def.opcode}: no leader within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    await this.peers.close();
    for (let rank = 0; rank < this.count; rank++) await this.stopRank(rank);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(RETRY_MS);
  }
}

/** The state of a rank's targets in a map body (undefined for a rank outside the map). */
export function stateOf(map: PoolMapBody, rank: number): string | undefined {
  return map.ranks.find((entry) => entry.rank === rank)?.targets[0]?.state;
}

/** Resolves with the DER code `promise` rejects with (undefined if it resolves or rejects otherwise). */
export async function derOf(promise: Promise<unknown>): Promise<Der | undefined> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  return error instanceof EngineError ? error.der : undefined;
}
