import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { H2TransportPool } from '../client/h2-transport.js';
import type { RpcTransport } from '../client/transport.js';
import { DATA_BLOB_FILE_NAME, KEY_BYTES_MAX, RPC_BODY_BYTES_MAX } from '../constants.js';
import { encode } from '../wire/codec.js';
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { HTTP_STATUS_ERROR, HTTP_STATUS_PROTO } from '../wire/rpc-def.js';
import type { PoolMapBody } from '../wire/rpc/common.js';
import {
  ENGINE_CONT_DESTROY, ENGINE_CONT_SNAPSHOTS, ENGINE_MAP_UPDATE, ENGINE_PING, ENGINE_POOL_CREATE, ENGINE_POOL_DESTROY, ENGINE_POOL_USAGE,
} from '../wire/rpc/engine.js';
import { OBJ_FETCH, OBJ_LIST_DKEYS, OBJ_PUNCH, OBJ_QUERY_MAX, OBJ_UPDATE } from '../wire/rpc/obj.js';
import { type Engine, startEngine } from './engine.js';
import { makeTempDir, RawClient } from './test-harness.js';

const silent = pino({ level: 'silent' });
const CONT = randomUUID();
const OID = Buffer.alloc(16, 7);

interface Harness {
  engine: Engine;
  peers: H2TransportPool;
  rpc: RpcTransport;
  raw: RawClient;
}

async function connect(dir: string): Promise<Harness> {
  const engine = await startEngine({ rank: 0, dir, listen: '127.0.0.1:0', targets: 2, log: silent, aggregationIntervalMs: 60_000 });
  const peers = new H2TransportPool({ log: silent });
  return { engine, peers, rpc: peers.get(engine.address), raw: new RawClient(engine.address) };
}

async function disconnect(harness: Harness): Promise<void> {
  await harness.raw.close();
  await harness.peers.close();
  await harness.engine.close();
}

function mapAt(version: number, address: string): PoolMapBody {
  const targets = [0, 1].map((index) => ({ index, state: 'UPIN' as const, fseq: 0 }));
  return { version, ranks: [{ rank: 0, faultDomain: 'rank0', address, targets }] };
}

function updateOf(pool: string, options: { dkey: string; value: string; epoch: number; mapVersion?: number; target?: number }) {
  return {
    pool, cont: CONT, mapVersion: options.mapVersion ?? 2, target: options.target ?? 0, oid: OID, shard: 0,
    dkey: Buffer.from(options.dkey), epoch: options.epoch,
    iods: [{ type: 'single' as const, akey: Buffer.from('a'), value: Buffer.from(options.value) }],
  };
}

function fetchOf(pool: string, dkey: string, mapVersion = 2, epoch: number = EPOCH_MAX) {
  return {
    pool, cont: CONT, mapVersion, target: 0, oid: OID, shard: 0, dkey: Buffer.from(dkey), epoch,
    iods: [{ type: 'single' as const, akey: Buffer.from('a') }],
  };
}

async function fetchText(rpc: RpcTransport, pool: string, dkey: string, mapVersion = 2, epoch: number = EPOCH_MAX): Promise<string | null> {
  const { values } = await rpc.call(OBJ_FETCH, fetchOf(pool, dkey, mapVersion, epoch));
  const value = values[0];
  return value?.type === 'single' && value.value !== null ? value.value.toString() : null;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

async function expectDer(promise: Promise<unknown>, der: Der): Promise<EngineError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EngineError);
  expect((error as EngineError).der).toBe(der);
  return error as EngineError;
}

describe('engine', () => {
  let temp: { dir: string; remove: () => void };
  let harness: Harness;
  let pool: string;
  let epoch = 1000;

  beforeEach(async () => {
    temp = makeTempDir();
    harness = await connect(temp.dir);
    pool = randomUUID();
    const answer = await harness.rpc.call(ENGINE_POOL_CREATE, { pool, capacityBytesPerTarget: 0, map: mapAt(2, harness.engine.address) });
    expect(answer.targets).toBe(2);
  });

  afterEach(async () => {
    await disconnect(harness);
    temp.remove();
  });

  it('update then fetch -> the value round-trips through a real engine', async () => {
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'd1', value: 'hello', epoch: ++epoch }));
    expect(await fetchText(harness.rpc, pool, 'd1')).toBe('hello');
    const listed = await harness.rpc.call(OBJ_LIST_DKEYS, { pool, cont: CONT, mapVersion: 2, target: 0, oid: OID, shard: 0, epoch: EPOCH_MAX, anchor: null, limit: 10 });
    expect(listed.keys.map((key) => key.toString())).toEqual(['d1']);
  });

  it('64 concurrent updates -> fewer store batches than requests', async () => {
    const before = harness.engine.metrics.batchesTotal();
    await Promise.all(Array.from({ length: 64 }, (_, index) =>
      harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: `k${index}`, value: `v${index}`, epoch: ++epoch }))));
    const batches = harness.engine.metrics.batchesTotal() - before;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(64);
    const text = (await harness.raw.get('/metrics')).body.toString();
    expect(text).toMatch(/tsdaos_batch_size_count \d+/);
    expect(await fetchText(harness.rpc, pool, 'k63')).toBe('v63');
  });

  it('malformed requests -> PROTO/NOSYS answers, engine alive, earlier data intact', async () => {
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'keep', value: 'safe', epoch: ++epoch }));
    const good = updateOf(pool, { dkey: 'x', value: 'y', epoch: ++epoch });
    const cases: Array<[string, unknown, number, Der]> = [
      ['obj_update', Buffer.from('garbage bytes, not msgpack \xc1'), HTTP_STATUS_PROTO, Der.PROTO],
      ['obj_update', { ...good, epoch: 'soon' }, HTTP_STATUS_PROTO, Der.PROTO],
      ['obj_update', { ...good, sneaky: 1 }, HTTP_STATUS_PROTO, Der.PROTO],
      ['obj_update', { ...good, dkey: Buffer.alloc(KEY_BYTES_MAX + 1, 1) }, HTTP_STATUS_PROTO, Der.PROTO],
      ['obj_update', { ...good, oid: Buffer.alloc(15) }, HTTP_STATUS_PROTO, Der.PROTO],
      ['obj_teleport', good, HTTP_STATUS_ERROR, Der.NOSYS],
    ];
    for (const [opcode, body, status, der] of cases) {
      const answer = await harness.raw.post(opcode, body);
      expect({ opcode, status: answer.status, value: answer.value }).toEqual({ opcode, status, value: { der } });
    }
    const huge = await harness.raw.request({ ':method': 'POST', ':path': '/v1/obj_update' }, Buffer.alloc(RPC_BODY_BYTES_MAX + 1, 0x90));
    expect([huge.status, huge.value]).toEqual([HTTP_STATUS_PROTO, { der: Der.PROTO }]);
    expect(await fetchText(harness.rpc, pool, 'keep')).toBe('safe');
    expect(await fetchText(harness.rpc, pool, 'x')).toBeNull();
  });

  it('address checks -> NONEXIST for unknown pool, INVAL for a target out of range', async () => {
    await expectDer(harness.rpc.call(OBJ_UPDATE, updateOf(randomUUID(), { dkey: 'd', value: 'v', epoch: ++epoch })), Der.NONEXIST);
    await expectDer(harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'd', value: 'v', epoch: ++epoch, target: 2 })), Der.INVAL);
  });

  it('older client map -> STALE naming the engine version; newer -> served', async () => {
    const stale = await expectDer(harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'd', value: 'v', epoch: ++epoch, mapVersion: 1 })), Der.STALE);
    expect(stale.info.mapVersion).toBe(2);
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'd', value: 'v', epoch: ++epoch, mapVersion: 3 }));
    await harness.rpc.call(ENGINE_MAP_UPDATE, { pool, map: mapAt(5, harness.engine.address) });
    const after = await expectDer(harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'd', value: 'v', epoch: ++epoch, mapVersion: 3 })), Der.STALE);
    expect(after.info.mapVersion).toBe(5);
    await harness.rpc.call(ENGINE_MAP_UPDATE, { pool, map: mapAt(4, harness.engine.address) });
    expect(harness.engine.poolMap(pool)?.version).toBe(5);
  });

  it('punch and query max -> served through the batcher', async () => {
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'p', value: 'gone soon', epoch: ++epoch }));
    await harness.rpc.call(OBJ_PUNCH, { pool, cont: CONT, mapVersion: 2, target: 0, oid: OID, shard: 0, epoch: ++epoch, dkey: Buffer.from('p') });
    expect(await fetchText(harness.rpc, pool, 'p')).toBeNull();
    const max = await harness.rpc.call(OBJ_QUERY_MAX, { pool, cont: CONT, mapVersion: 2, target: 0, oid: OID, shard: 0, akey: Buffer.from('a'), epoch: EPOCH_MAX });
    expect(max.maxEpoch).toBeGreaterThan(0);
  });

  it('ping, usage, metrics -> report rank, pools and counters', async () => {
    const ping = await harness.rpc.call(ENGINE_PING, { hlc: 123 });
    expect(ping).toMatchObject({ rank: 0, pid: process.pid, targets: 2, pools: [pool] });
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'u', value: 'x'.repeat(10_000), epoch: ++epoch }));
    const usage = await harness.rpc.call(ENGINE_POOL_USAGE, { pool });
    expect(usage.targets).toHaveLength(2);
    expect(usage.targets[0]!.usedBytes).toBeGreaterThanOrEqual(10_000);
    const text = (await harness.raw.get('/metrics')).body.toString();
    expect(text).toMatch(/tsdaos_rpc_requests_total\{opcode="obj_update"\} [1-9]/);
    expect(text).toContain(`tsdaos_vos_used_bytes{pool="${pool}",target="0"}`);
  });

  it('graceful close -> in-flight update answered and durable, new requests refused', async () => {
    const body = encode(updateOf(pool, { dkey: 'inflight', value: 'made it', epoch: ++epoch }));
    const open = harness.raw.open({ ':method': 'POST', ':path': OBJ_UPDATE.path, 'content-type': 'application/msgpack' });
    open.stream.write(body.subarray(0, 10));
    await waitFor(() => harness.engine.inFlightCount() === 1);
    const closing = harness.engine.close();
    const refused = await harness.raw.post(OBJ_UPDATE.opcode, updateOf(pool, { dkey: 'late', value: 'no', epoch: ++epoch }));
    expect(refused.value).toEqual({ der: Der.SHUTDOWN });
    open.stream.end(body.subarray(10));
    const answer = await open.answer;
    expect([answer.status, answer.value]).toEqual([200, {}]);
    await closing;
    await disconnect(harness);
    harness = await connect(temp.dir);
    expect(await fetchText(harness.rpc, pool, 'inflight')).toBe('made it');
    expect(await fetchText(harness.rpc, pool, 'late')).toBeNull();
  });

  it('close under load -> every update acknowledged before close survives restart', async () => {
    const outcomes = new Map<string, 'ok' | Der>();
    let closing: Promise<void> | undefined;
    const writer = async (writerIndex: number): Promise<void> => {
      for (let index = 0; ; index++) {
        const dkey = `g${writerIndex}-${index}`;
        const outcome = await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey, value: dkey, epoch: ++epoch }))
          .then(() => 'ok' as const, (error: unknown) => (error as EngineError).der);
        outcomes.set(dkey, outcome);
        if (outcome !== 'ok') return;
        if (outcomes.size >= 200) closing ??= harness.engine.close();
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, index) => writer(index)));
    await closing;
    expect([...outcomes.values()].every((outcome) => outcome === 'ok' || outcome === Der.SHUTDOWN || outcome === Der.UNREACH)).toBe(true);
    await disconnect(harness);
    harness = await connect(temp.dir);
    for (const [dkey, outcome] of outcomes) {
      if (outcome === 'ok') expect(await fetchText(harness.rpc, pool, dkey)).toBe(dkey);
    }
  });

  it('restart on the same dir -> data, map version and retained epochs come back', async () => {
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'r', value: 'persist', epoch: ++epoch }));
    await harness.rpc.call(ENGINE_MAP_UPDATE, { pool, map: mapAt(3, harness.engine.address) });
    await harness.rpc.call(ENGINE_CONT_SNAPSHOTS, { pool, cont: CONT, epochs: [epoch] });
    await disconnect(harness);
    harness = await connect(temp.dir);
    expect(harness.engine.localPools()).toEqual([pool]);
    expect(harness.engine.poolMap(pool)?.version).toBe(3);
    expect(await fetchText(harness.rpc, pool, 'r', 3)).toBe('persist');
    harness.engine.aggregateNow();
    expect(await fetchText(harness.rpc, pool, 'r', 3)).toBe('persist');
  });

  it('aggregation with a retained snapshot -> old versions dropped, snapshot and newest still readable', async () => {
    const epochs = [++epoch, ++epoch, ++epoch, ++epoch];
    for (const [index, at] of epochs.entries()) {
      await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'agg', value: `v${index}`, epoch: at }));
    }
    await harness.rpc.call(ENGINE_CONT_SNAPSHOTS, { pool, cont: CONT, epochs: [epochs[1]!] });
    const summary = harness.engine.aggregateNow();
    expect(summary.targets).toBe(2);
    expect(summary.versionsRemoved).toBeGreaterThan(0);
    expect(await fetchText(harness.rpc, pool, 'agg', 2, epochs[1]!)).toBe('v1');
    expect(await fetchText(harness.rpc, pool, 'agg')).toBe('v3');
  });

  it('container destroy -> its data is gone on every target', async () => {
    await harness.rpc.call(OBJ_UPDATE, updateOf(pool, { dkey: 'c', value: 'doomed', epoch: ++epoch }));
    await harness.rpc.call(ENGINE_CONT_DESTROY, { pool, cont: CONT });
    expect(await fetchText(harness.rpc, pool, 'c')).toBeNull();
  });

  it('pool destroy -> pool gone, later requests NONEXIST, destroy again is a no-op', async () => {
    await harness.rpc.call(ENGINE_POOL_DESTROY, { pool });
    expect(harness.engine.localPools()).toEqual([]);
    await expectDer(harness.rpc.call(OBJ_FETCH, fetchOf(pool, 'd')), Der.NONEXIST);
    await harness.rpc.call(ENGINE_POOL_DESTROY, { pool });
  });

  it('startEngine on a port in use -> rejects, the dir can be reopened', async () => {
    const taken = harness.engine.address;
    await disconnect(harness);
    const blockerDir = makeTempDir();
    const blocker = await startEngine({ rank: 0, dir: blockerDir.dir, listen: taken, log: silent });
    await expect(startEngine({ rank: 0, dir: temp.dir, listen: taken, log: silent })).rejects.toThrow(/EADDRINUSE/);
    await blocker.close();
    blockerDir.remove();
    harness = await connect(temp.dir);
    expect(harness.engine.localPools()).toEqual([pool]);
  });

  it('the engine dir is its owner\'s alone (0700) and its data blobs are 0600: no other local user reads the pool', async () => {
    // Made beforehand with the usual mode, as the cluster launcher makes it (for the engine's log).
    const dir = join(temp.dir, 'rank0');
    mkdirSync(dir, { mode: 0o755 });
    const other = await connect(dir);
    try {
      await other.rpc.call(ENGINE_POOL_CREATE, { pool: randomUUID(), capacityBytesPerTarget: 0, map: mapAt(2, other.engine.address) });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const blobs = (readdirSync(dir, { recursive: true }) as string[]).filter((name) => name.endsWith(DATA_BLOB_FILE_NAME));
      expect(blobs.length).toBe(2);
      for (const blob of blobs) expect(statSync(join(dir, blob)).mode & 0o777, blob).toBe(0o600);
    } finally {
      await disconnect(other);
    }
  });

  it('startEngine on a dir of another rank -> refuses', async () => {
    await expect(startEngine({ rank: 1, dir: temp.dir, listen: '127.0.0.1:0', log: silent })).rejects.toThrow(/rank 0/);
  });
});
