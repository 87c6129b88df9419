/**
 * Test support for the transaction tests (never imported by product code): in-process engines on loopback
 * sharing one pool created with ENGINE_POOL_CREATE (a hand-made map naming every engine, so coordinators on
 * other engines are reachable) and a system file rewritten at every (re)start (engines on port 0 move),
 * request builders for the TX and object RPCs, and small assertions.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { expect } from 'vitest';
import { H2TransportPool } from '../../client/h2-transport.js';
import type { RpcTransport } from '../../client/transport.js';
import { writeSystemFile } from '../../system/system-file.js';
import { EPOCH_MAX } from '../../wire/epoch.js';
import { type Der, EngineError } from '../../wire/errors.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import { ENGINE_POOL_CREATE } from '../../wire/rpc/engine.js';
import { OBJ_FETCH, OBJ_UPDATE } from '../../wire/rpc/obj.js';
import type { TxOpBody } from '../../wire/rpc/tx.js';
import { type Engine, type EngineOptions, startEngine } from '../engine.js';
import { makeTempDir } from '../test-harness.js';

export const silent = pino({ level: process.env['TSDAOS_TEST_LOG'] ?? 'silent' });
export const CONT = randomUUID();
export const OID = Buffer.alloc(16, 7);
export const TARGETS = 2;

export function mapOf(version: number, addresses: readonly string[]): PoolMapBody {
  const targets = Array.from({ length: TARGETS }, (_, index) => ({ index, state: 'UPIN' as const, fseq: 0 }));
  return { version, ranks: addresses.map((address, rank) => ({ rank, faultDomain: `rank${rank}`, address, targets })) };
}

export type EngineTuning = Pick<EngineOptions, 'txTimeoutMs' | 'txResolverIntervalMs' | 'txAbortKeepMs'>;

/** N engines (ranks 0..N-1) in one temp dir, one pool on all of them, one client transport pool. */
export class TxTestBed {
  readonly peers = new H2TransportPool({ log: silent });
  readonly pool = randomUUID();
  private readonly engines: Array<Engine | undefined> = [];
  private readonly addresses: string[] = [];
  private readonly temp = makeTempDir('tsdaos-tx-');

  private constructor(private readonly tuning: EngineTuning) {}

  static async start(count: number, tuning: EngineTuning = {}): Promise<TxTestBed> {
    const bed = new TxTestBed(tuning);
    for (let rank = 0; rank < count; rank++) await bed.startRank(rank);
    const map = mapOf(1, bed.engines.map((engine) => engine!.address));
    for (const engine of bed.engines) {
      await bed.peers.get(engine!.address).call(ENGINE_POOL_CREATE, { pool: bed.pool, capacityBytesPerTarget: 0, map });
    }
    return bed;
  }

  get systemPath(): string {
    return join(this.temp.dir, 'system.json');
  }

  dirOf(rank: number): string {
    return join(this.temp.dir, `engine-${rank}`);
  }

  engine(rank: number): Engine {
    const engine = this.engines[rank];
    if (engine === undefined) throw new Error(`engine ${rank} is not running`);
    return engine;
  }

  rpc(rank: number): RpcTransport {
    return this.peers.get(this.engine(rank).address);
  }

  async startRank(rank: number, tuning: EngineTuning = this.tuning): Promise<Engine> {
    const engine = await startEngine({
      rank, dir: this.dirOf(rank), listen: '127.0.0.1:0', targets: TARGETS, log: silent.child({ rank }),
      aggregationIntervalMs: 3_600_000, drainMs: 200, systemFile: this.systemPath, ...tuning,
    });
    this.engines[rank] = engine;
    this.addresses[rank] = engine.address;
    writeSystemFile(this.systemPath, {
      name: 'tx-test', engines: this.addresses.map((address, index) => ({ rank: index, address, faultDomain: `rank${index}`, targets: TARGETS })),
    });
    return engine;
  }

  async stopRank(rank: number): Promise<void> {
    const engine = this.engines[rank];
    this.engines[rank] = undefined;
    await engine?.close();
  }

  async close(): Promise<void> {
    await this.peers.close();
    for (let rank = 0; rank < this.engines.length; rank++) await this.stopRank(rank);
    this.temp.remove();
  }
}

export function newTxid(): Buffer {
  return randomBytes(16);
}

export function putOp(dkey: string, value: string, options: { akey?: string; dkeyCond?: 'insert' | 'update' } = {}): TxOpBody {
  const op: TxOpBody = {
    type: 'update', oid: OID, shard: 0, dkey: Buffer.from(dkey),
    iods: [{ type: 'single', akey: Buffer.from(options.akey ?? 'a'), value: Buffer.from(value) }],
  };
  if (options.dkeyCond !== undefined) op.dkeyCond = options.dkeyCond;
  return op;
}

export function prepareOf(pool: string, options: { txid: Buffer; epoch: number; ops: TxOpBody[]; target?: number; coordinator?: { rank: number; target: number } }) {
  return {
    pool, cont: CONT, target: options.target ?? 0, txid: options.txid, mapVersion: 1, epoch: options.epoch,
    coordinator: options.coordinator ?? { rank: 0, target: 0 }, ops: options.ops,
  };
}

export function txRef(pool: string, txid: Buffer, target = 0) {
  return { pool, cont: CONT, target, txid };
}

export function updateOf(pool: string, options: { dkey: string; value: string; epoch: number; target?: number }) {
  return {
    pool, cont: CONT, mapVersion: 1, target: options.target ?? 0, oid: OID, shard: 0, dkey: Buffer.from(options.dkey), epoch: options.epoch,
    iods: [{ type: 'single' as const, akey: Buffer.from('a'), value: Buffer.from(options.value) }],
  };
}

export function fetchOf(pool: string, options: { dkey: string; epoch?: number; target?: number; tx?: Buffer }) {
  return {
    pool, cont: CONT, mapVersion: 1, target: options.target ?? 0, oid: OID, shard: 0, dkey: Buffer.from(options.dkey),
    epoch: options.epoch ?? EPOCH_MAX, iods: [{ type: 'single' as const, akey: Buffer.from('a') }],
    ...(options.tx === undefined ? {} : { tx: options.tx }),
  };
}

export async function fetchText(rpc: RpcTransport, request: ReturnType<typeof fetchOf>): Promise<string | null> {
  const { values } = await rpc.call(OBJ_FETCH, request);
  const value = values[0];
  return value?.type === 'single' && value.value !== null ? value.value.toString() : null;
}

export async function put(rpc: RpcTransport, request: ReturnType<typeof updateOf>): Promise<void> {
  await rpc.call(OBJ_UPDATE, request);
}

/** The DER code `promise` rejects with; fails the test when it resolves. */
export async function derOf(promise: Promise<unknown>): Promise<Der> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EngineError);
  return (error as EngineError).der;
}

/** Polls `probe` until it is true, failing after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
