/**
 * The object client against real engines: three in-process engines on 127.0.0.1:0 with a system file in a
 * temporary directory, a pool created through POOL_CREATE, containers through the client. Covers KV and
 * byte arrays on striped and replicated classes, conditional races, listing with anchors and anchor split,
 * snapshots (read-only handles), the stale-map refresh, and (on a second cluster) replicated I/O while
 * one engine is closed.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjClassName } from '../placement/object-class.js';
import { ObjType } from '../placement/oid.js';
import type { Rank } from '../pool-map/pool-map.js';
import { type InProcessCluster, startInProcessCluster } from '../../test/harness/in-process-cluster.js';
import { Der, EngineError } from '../wire/errors.js';
import type { ListAnchor } from './anchor.js';
import { ARRAY_AKEY } from './array.js';
import type { ContHandle } from './container.js';
import { LOCAL_READS_ENV } from './local-blobs.js';
import { type PoolHandle, connectPool } from './pool.js';

const silent = pino({ level: 'silent' });
const ENGINES = 3;
const TARGETS = 2;

async function derOf(promise: Promise<unknown>): Promise<Der> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EngineError);
  return (error as EngineError).der;
}

function sorted(keys: Buffer[]): string[] {
  return keys.map((key) => key.toString()).sort();
}

describe('object client on three engines', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;
  let cont: ContHandle;
  /** Clients of the same container each reading replicas from another engine first (rank 0, 1, 2): together they read every replica. */
  let replicaPools: PoolHandle[] = [];
  let replicaReaders: ContHandle[] = [];

  beforeAll(async () => {
    cluster = await startInProcessCluster({ prefix: 'client', engines: ENGINES, targets: TARGETS, poolLabel: 'client-pool' });
    pool = await connectPool({ system: cluster.system, pool: 'client-pool', log: silent });
    await pool.createContainer({ label: 'c1', props: { chunkSizeBytes: 100 } });
    cont = await pool.openContainer('c1');
    replicaPools = await Promise.all(Array.from({ length: ENGINES }, (_, rank) => connectPool({ system: cluster.system, pool: 'client-pool', log: silent, preferRanks: [rank as Rank] })));
    replicaReaders = await Promise.all(replicaPools.map((handle) => handle.openContainer('c1')));
  });

  afterAll(async () => {
    await Promise.all(replicaPools.map((handle) => handle.disconnect()));
    await pool?.disconnect();
    if (cluster !== undefined) await cluster.stop();
  });

  it('connect: by label and by uuid give the same pool', async () => {
    const byUuid = await connectPool({ system: cluster.system, pool: cluster.poolUuid, log: silent });
    expect(byUuid.uuid).toBe(pool.uuid);
    expect(pool.label).toBe('client-pool');
    expect(pool.map.ranks).toHaveLength(ENGINES);
    await byUuid.disconnect();
  });

  it('connect: unknown pool -> NONEXIST', async () => {
    expect(await derOf(connectPool({ system: cluster.system, pool: 'no-such-pool', log: silent }))).toBe(Der.NONEXIST);
  });

  it.each<ObjClassName>(['S1', 'SX', 'RP_3G1', 'RP_2GX'])('kv %s: put/get/list/remove', async (oclass) => {
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass }));
    const names = Array.from({ length: 40 }, (_, index) => `key-${index}`);
    await Promise.all(names.map((name) => kv.put(name, Buffer.from(`value of ${name}`))));
    for (const name of names) expect((await kv.get(name))?.toString()).toBe(`value of ${name}`);
    expect(await kv.get('never-written')).toBeNull();
    expect(sorted(await kv.keys())).toEqual([...names].sort());
    await kv.remove('key-3');
    await kv.put('key-4', Buffer.from('replaced'));
    expect(await kv.get('key-3')).toBeNull();
    expect((await kv.get('key-4'))?.toString()).toBe('replaced');
    expect(sorted(await kv.keys())).toEqual(names.filter((name) => name !== 'key-3').sort());
  });

  it('kv: conditional insert race on RP_3G1 -> exactly one EXIST, replicas agree', async () => {
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}`;
      const results = await Promise.allSettled([
        kv.put(key, Buffer.from('A'), { cond: 'insert' }),
        kv.put(key, Buffer.from('B'), { cond: 'insert' }),
      ]);
      const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0]!.reason as EngineError).der).toBe(Der.EXIST);
      const winner = results[0]!.status === 'fulfilled' ? 'A' : 'B';
      for (const reader of replicaReaders) expect((await reader.kv(kv.object.oid).get(key))?.toString()).toBe(winner);
    }
  });

  it('compare-and-update race on RP_3G1 -> exactly one writes (the other NONEXIST), replicas agree', async () => {
    const object = cont.object(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    const dkey = Buffer.from('cas');
    const akey = Buffer.from('v');
    const records = (data: string) => ({ akey, recordSize: 1, extents: [{ index: 0, count: data.length }], data: Buffer.from(data) });
    const write = (data: string, expected?: string) => object.update({
      dkey, iods: [{ type: 'array', ...records(data) }], ...(expected === undefined ? {} : { ifMatch: records(expected) }),
    });
    const read = async (from: ContHandle = cont): Promise<string> => {
      const [value] = await from.object(object.oid).fetch({ dkey, iods: [{ type: 'array', akey, recordSize: 1, extents: [{ index: 0, count: 2 }] }] });
      return value?.type === 'array' ? value.data.toString() : '';
    };
    await write('A0');
    for (let round = 0; round < 5; round++) {
      const current = await read();
      const results = await Promise.allSettled([write(`B${round}`, current), write(`C${round}`, current)]);
      const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0]!.reason as EngineError).der).toBe(Der.NONEXIST);
      const winner = results[0]!.status === 'fulfilled' ? `B${round}` : `C${round}`;
      for (const reader of replicaReaders) expect(await read(reader)).toBe(winner);
    }
    expect(await derOf(write('XX', 'A0'))).toBe(Der.NONEXIST);
  });

  it('a transaction over two objects: applied on every participant, then no engine keeps its decision', async () => {
    const replicated = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    const single = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' }));
    const tx = await cont.txOpen();
    tx.kv(replicated.object.oid).put('from-tx', Buffer.from('R'));
    tx.kv(single.object.oid).put('from-tx', Buffer.from('S'));
    await tx.commit();
    await tx.applied();
    const kept = cluster.engines.flatMap((engine) => engine.vosTargets(pool.uuid)!.map((vos) => vos.dtx.decision(tx.txid)));
    expect(kept.filter((decision) => decision !== undefined)).toEqual([]);
    for (const reader of replicaReaders) expect((await reader.kv(replicated.object.oid).get('from-tx'))?.toString()).toBe('R');
    expect((await single.get('from-tx'))?.toString()).toBe('S');
  });

  it('kv: update-if-exists on a missing key -> NONEXIST; remove ifExists on a missing key -> NONEXIST', async () => {
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_2G1' }));
    expect(await derOf(kv.put('missing', Buffer.from('x'), { cond: 'update' }))).toBe(Der.NONEXIST);
    expect(await derOf(kv.remove('missing', { ifExists: true }))).toBe(Der.NONEXIST);
    await kv.put('present', Buffer.from('1'));
    await kv.put('present', Buffer.from('2'), { cond: 'update' });
    expect((await kv.get('present'))?.toString()).toBe('2');
  });

  it('list: pages with anchors and split anchors each cover every key exactly once', async () => {
    const object = cont.object(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'SX' }));
    const kv = cont.kv(object.oid);
    expect(object.groupCount).toBe(ENGINES * TARGETS);
    const names = Array.from({ length: 150 }, (_, index) => `entry-${String(index).padStart(3, '0')}`);
    await Promise.all(names.map((name) => kv.put(name, Buffer.from(name))));

    const paged: Buffer[] = [];
    let page = await object.listDkeys({ limit: 7 });
    paged.push(...page.keys);
    while (!page.anchor.eof) {
      page = await object.listDkeys({ anchor: JSON.parse(JSON.stringify(page.anchor)), limit: 7 });
      expect(page.keys.length).toBeLessThanOrEqual(7);
      paged.push(...page.keys);
    }
    expect(sorted(paged)).toEqual(names);

    const perGroup = await Promise.all(object.splitAnchors().map(async (start) => {
      const keys: Buffer[] = [];
      let anchor = start;
      do {
        const result = await object.listDkeys({ anchor, limit: 5 });
        keys.push(...result.keys);
        anchor = result.anchor;
        expect(anchor.group).toBe(start.group);
      } while (!anchor.eof);
      return keys;
    }));
    expect(perGroup.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    expect(sorted(perGroup.flat())).toEqual(names);
  });

  it('listDkeyValues: every page carries the fetched values of its keys, across groups', async () => {
    const object = cont.object(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'SX' }));
    const names = Array.from({ length: 60 }, (_, index) => `k${String(index).padStart(2, '0')}`);
    await Promise.all(names.map((name, index) => object.update({
      dkey: Buffer.from(name),
      iods: index % 3 === 0
        ? [{ type: 'single', akey: Buffer.from('s'), value: Buffer.from(`single ${name}`) }]
        : [{ type: 'array', akey: Buffer.from('a'), recordSize: 1, extents: [{ index: 0, count: 4 }], data: Buffer.from(name.padEnd(4, '.')) }],
    })));
    const iods = [
      { type: 'single' as const, akey: Buffer.from('s') },
      { type: 'array' as const, akey: Buffer.from('a'), recordSize: 1, extents: [{ index: 0, count: 4 }] },
    ];
    const seen = new Map<string, string>();
    let anchor: ListAnchor | undefined;
    do {
      const page = await object.listDkeyValues(anchor === undefined ? { iods, limit: 7 } : { iods, anchor, limit: 7 });
      expect(page.values.length).toBe(page.keys.length);
      page.keys.forEach((key, index) => {
        const [single, array] = page.values[index]!;
        const text = single?.type === 'single' && single.value !== null ? single.value.toString() : array?.type === 'array' ? array.data.toString() : '?';
        seen.set(key.toString(), text);
      });
      anchor = page.anchor;
    } while (!anchor.eof);
    expect([...seen.keys()].sort()).toEqual(names);
    expect(seen.get('k00')).toBe('single k00');
    expect(seen.get('k01')).toBe('k01.');
    const plain = await object.listDkeys({ limit: 1000 });
    expect(plain.keys.length).toBe(60);
    expect('values' in plain, 'a plain listing carries no values').toBe(false);
    await object.update({ dkey: Buffer.from('k01'), iods: [{ type: 'single', akey: Buffer.from('s'), value: Buffer.from('both') }] });
    const withAkeys = await object.listDkeyValues({ iods, akeysMax: 1, limit: 1000 });
    const akeysOf = new Map(withAkeys.keys.map((key, index) => [key.toString(), withAkeys.akeys[index]]));
    expect(akeysOf.get('k00')?.map((akey) => akey.toString())).toEqual(['s']);
    expect(akeysOf.get('k01'), 'two akeys, one asked for at most: more than that').toBeNull();
    await expect(object.listDkeyValues({ iods, akeysMax: 10_000, limit: 10 })).rejects.toThrow(/akeysMax/);
  });

  it('listAkeys and queryMax on a raw object', async () => {
    const object = cont.object(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S2' }));
    const dkey = Buffer.from('d');
    await object.update({ dkey, iods: ['a1', 'a2', 'a3'].map((akey) => ({ type: 'single' as const, akey: Buffer.from(akey), value: Buffer.from(akey) })) });
    const listed = await object.listAkeys({ dkey, limit: 2 });
    expect(listed.keys).toHaveLength(2);
    const rest = await object.listAkeys({ dkey, anchor: listed.anchor, limit: 10 });
    expect(sorted([...listed.keys, ...rest.keys])).toEqual(['a1', 'a2', 'a3']);
    expect(rest.anchor.eof).toBe(true);
  });

  it('a client reads a replicated object from one engine, the one it prefers: fetches and a max query over every group', async () => {
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    await Promise.all(Array.from({ length: 12 }, (_, index) => kv.put(`key-${index}`, Buffer.from(`v${index}`))));
    const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'RP_3GX' }));
    expect(array.object.groupCount).toBeGreaterThan(1);
    await array.write(0, Buffer.alloc(700, 1));
    const perEngine = (...opcodes: string[]): number[] => cluster.engines.map((engine) => opcodes.reduce((sum, opcode) => sum + engine.metrics.requestsTotal(opcode), 0));
    for (const [rank, reader] of replicaReaders.entries()) {
      const fetches = perEngine('obj_fetch');
      for (let index = 0; index < 12; index++) expect((await reader.kv(kv.object.oid).get(`key-${index}`))?.toString()).toBe(`v${index}`);
      expect(perEngine('obj_fetch').map((count, engine) => count - fetches[engine]!)).toEqual(cluster.engines.map((_, engine) => (engine === rank ? 12 : 0)));
      const queries = perEngine('obj_coll_query_max', 'obj_query_max');
      expect(await reader.array(array.object.oid).getSize()).toBe(700);
      expect(perEngine('obj_coll_query_max', 'obj_query_max').map((count, engine) => count - queries[engine]!), 'every group asked in one call').toEqual(cluster.engines.map((_, engine) => (engine === rank ? 1 : 0)));
    }
  });

  it('queryMaxMany: every object answered as queryMax would, with one RPC per engine', async () => {
    const classes: ObjClassName[] = ['S1', 'SX', 'RP_2GX', 'SX', 'S1'];
    const arrays = await Promise.all(classes.map(async (oclass) => cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass }))));
    await Promise.all(arrays.map((array, index) => (index === 4 ? undefined : array.write(index * 170, Buffer.from('x'.repeat(index + 1))))));
    const akey = ARRAY_AKEY;
    const single = await Promise.all(arrays.map((array) => array.object.queryMax({ akey })));
    const before = cluster.requestsTotal('obj_multi_query_max', 'obj_coll_query_max', 'obj_query_max');
    const many = await cont.queryMaxMany(arrays.map((array) => ({ oid: array.object.oid, akey })));
    expect(cluster.requestsTotal('obj_multi_query_max', 'obj_coll_query_max', 'obj_query_max') - before).toBeLessThanOrEqual(ENGINES);
    expect(many.map((max) => [max.dkey?.toString('hex') ?? null, max.end])).toEqual(single.map((max) => [max.dkey?.toString('hex') ?? null, max.end]));
    expect(many[4]!.dkey, 'never written').toBeNull();
    expect(await cont.queryMaxMany([])).toEqual([]);
  });

  it('queryMax with akey null: the newest epoch alone, single and many, the same as a full query gives', async () => {
    const arrays = await Promise.all((['S1', 'SX'] as const).map(async (oclass) => cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass }))));
    await arrays[0]!.write(0, Buffer.from('first'));
    await arrays[1]!.write(5 * 1024 * 1024, Buffer.from('later'));
    await arrays[0]!.write(3, Buffer.from('newest'));
    const full = await Promise.all(arrays.map((array) => array.object.queryMax({ akey: ARRAY_AKEY })));
    expect(full[0]!.maxEpoch).toBeGreaterThan(full[1]!.maxEpoch);
    const single = await Promise.all(arrays.map((array) => array.object.queryMax({ akey: null })));
    const many = await cont.queryMaxMany(arrays.map((array) => ({ oid: array.object.oid, akey: null })));
    for (const answers of [single, many]) {
      expect(answers.map((max) => [max.dkey, max.end, max.maxEpoch])).toEqual(full.map((max) => [null, 0, max.maxEpoch]));
    }
  });

  it('punchMany: every object punched whole, one RPC per engine; ifStored leaves the shards that hold nothing alone', async () => {
    const classes: ObjClassName[] = ['S1', 'SX', 'RP_2GX', 'SX'];
    const arrays = await Promise.all(classes.map(async (oclass) => cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass }))));
    // The last one is never written; the SX one has bytes in two chunks of its many groups.
    await Promise.all(arrays.slice(0, 3).map((array) => array.write(50, Buffer.alloc(120, 9))));
    const before = cluster.requestsTotal('obj_multi_punch', 'obj_coll_punch', 'obj_punch');
    const epoch = await cont.punchMany(arrays.map((array) => array.object.oid), { ifStored: true });
    expect(cluster.requestsTotal('obj_multi_punch', 'obj_coll_punch', 'obj_punch') - before).toBeLessThanOrEqual(ENGINES);
    for (const array of arrays) expect(await array.getSize()).toBe(0);
    const newest = await cont.queryMaxMany(arrays.map((array) => ({ oid: array.object.oid, akey: null })));
    expect(newest.slice(0, 3).map((max) => max.maxEpoch)).toEqual([epoch, epoch, epoch]);
    expect(newest[3]!.maxEpoch, 'nothing stored: no punch record').toBe(0);
    // Without ifStored every shard takes the punch.
    const plain = await cont.punchMany([arrays[3]!.object.oid]);
    expect((await arrays[3]!.object.queryMax({ akey: null })).maxEpoch).toBe(plain);
    expect(await cont.punchMany([])).toBeGreaterThan(0);
  });

  it.each<ObjClassName>(['S1', 'SX', 'RP_2GX'])('array %s: writes across chunks, holes read as zeros, size', async (oclass) => {
    const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass }));
    expect(array.chunkSizeBytes).toBe(100);
    expect(await array.getSize()).toBe(0);
    const data = Buffer.from(Array.from({ length: 450 }, (_, index) => (index * 7) & 0xff));
    await array.write(30, data);
    expect((await array.read(30, 450)).equals(data)).toBe(true);
    expect(await array.getSize()).toBe(480);
    await array.write(1234, Buffer.from('tail'));
    expect(await array.getSize()).toBe(1238);
    const spanning = await array.read(470, 800);
    expect(spanning.subarray(0, 10).equals(data.subarray(440))).toBe(true);
    expect(spanning.subarray(10, 764).equals(Buffer.alloc(754))).toBe(true);
    expect(spanning.subarray(764, 768).toString()).toBe('tail');
    expect(spanning.subarray(768).equals(Buffer.alloc(32))).toBe(true);
  });

  it('array: setSize shrinks inside a chunk, shrinks into a hole, grows', async () => {
    const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'SX' }));
    await array.write(0, Buffer.alloc(250, 1));
    await array.write(900, Buffer.alloc(50, 2));
    await array.setSize(220);
    expect(await array.getSize()).toBe(220);
    expect((await array.read(200, 100)).equals(Buffer.concat([Buffer.alloc(20, 1), Buffer.alloc(80)]))).toBe(true);
    expect((await array.read(900, 50)).equals(Buffer.alloc(50))).toBe(true);
    await array.setSize(500);
    expect(await array.getSize()).toBe(500);
    expect((await array.read(215, 285)).equals(Buffer.concat([Buffer.alloc(5, 1), Buffer.alloc(280)]))).toBe(true);
    await array.setSize(0);
    expect(await array.getSize()).toBe(0);
    await array.write(10, Buffer.from('x'));
    await array.punch();
    expect(await array.getSize()).toBe(0);
  });

  it('array: large reads from engines on this host are read in place (placed answers), byte-exact; with local reads off, as bytes', async () => {
    await pool.createContainer({ label: 'mib-chunks', props: { chunkSizeBytes: 1 << 20 } });
    const big = await pool.openContainer('mib-chunks');
    const placedBytes = (): number => cluster.engines.reduce((sum, engine) => sum + engine.metrics.placedBytes(), 0);
    const data = Buffer.alloc(3 * (1 << 20) + 1000);
    for (let index = 0; index < data.length; index++) data[index] = (index * 13 + (index >> 10)) & 0xff;
    for (const oclass of ['SX', 'RP_2GX'] as const) {
      const array = big.array(await big.allocOid({ type: ObjType.ARRAY_BYTE, oclass }));
      await array.write(0, data);
      // A small call to every engine first: a transport knows an engine's UNIX socket from its first rpc_channel.
      expect(await array.getSize()).toBe(data.length);
      let before = placedBytes();
      expect((await array.read(0, data.length)).equals(data)).toBe(true);
      // Three whole chunks by place; the 1,000-byte tail is below the placed-read size (and inline).
      expect(placedBytes() - before).toBe(3 * (1 << 20));
      // Rewritten bytes are read, not the old places.
      const patch = Buffer.alloc(200_000, 0xee);
      await array.write(500_000, patch);
      patch.copy(data, 500_000);
      before = placedBytes();
      expect((await array.read(0, 1 << 20)).equals(data.subarray(0, 1 << 20))).toBe(true);
      // Both versions lie in the blob: the chunk is answered as three places (old, patch, old).
      expect(placedBytes() - before).toBe(1 << 20);
    }
    const saved = process.env[LOCAL_READS_ENV];
    process.env[LOCAL_READS_ENV] = '0';
    const plain = await connectPool({ system: cluster.system, pool: 'client-pool', log: silent }).finally(() => {
      if (saved === undefined) delete process.env[LOCAL_READS_ENV];
      else process.env[LOCAL_READS_ENV] = saved;
    });
    try {
      expect(plain.localBlobs).toBeUndefined();
      const cont2 = await plain.openContainer('mib-chunks');
      const array = cont2.array(await cont2.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'SX' }));
      await array.write(0, data);
      const before = placedBytes();
      expect((await array.read(0, data.length)).equals(data)).toBe(true);
      expect(placedBytes()).toBe(before);
    } finally {
      await plain.disconnect();
    }
  });

  it('array: writeExtents of scattered extents -> one collective update per engine, replicas included; byte-exact; overlaps -> INVAL', async () => {
    for (const oclass of ['SX', 'RP_2GX'] as const) {
      const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass }));
      // 40 extents of 7..46 bytes, 150 bytes apart: over 60 chunks of 100 bytes, some crossing a chunk end.
      const extents = Array.from({ length: 40 }, (_, index) => ({ offset: 150 * index + 60, data: Buffer.alloc(7 + index, index + 1) }));
      const model = Buffer.alloc(150 * 40 + 60);
      for (const extent of extents) extent.data.copy(model, extent.offset);
      const [single, collective] = [cluster.requestsTotal('obj_update'), cluster.requestsTotal('obj_coll_update')];
      await array.writeExtents([...extents].reverse());
      expect(cluster.requestsTotal('obj_update')).toBe(single);
      expect(cluster.requestsTotal('obj_coll_update') - collective).toBe(ENGINES);
      expect((await array.read(0, model.length)).equals(model)).toBe(true);
      expect(await array.getSize()).toBe(150 * 39 + 60 + 46);
      expect(await derOf(array.writeExtents([{ offset: 10, data: Buffer.alloc(5, 9) }, { offset: 14, data: Buffer.alloc(1, 9) }]))).toBe(Der.INVAL);
      expect((await array.read(0, model.length)).equals(model)).toBe(true);
    }
  });

  it('snapshot: read-only handle reads the old value, writes -> NO_PERM', async () => {
    const oid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_2G1' });
    await cont.kv(oid).put('k', Buffer.from('before'));
    const snapshot = await cont.createSnapshot('snap-1');
    await cont.kv(oid).put('k', Buffer.from('after'));
    const old = await pool.openContainer('c1', { snapshot: 'snap-1' });
    expect(old.readOnly).toBe(true);
    expect(old.readEpoch).toBe(snapshot.epoch);
    expect((await old.kv(oid).get('k'))?.toString()).toBe('before');
    expect((await cont.kv(oid).get('k'))?.toString()).toBe('after');
    expect(await derOf(old.kv(oid).put('k', Buffer.from('x')))).toBe(Der.NO_PERM);
    expect(await derOf(old.allocOid({ type: ObjType.MULTI_LEXICAL }))).toBe(Der.NO_PERM);
    expect((await cont.snapshots()).map((snap) => snap.name)).toContain('snap-1');
    await cont.destroySnapshot('snap-1');
    expect(await derOf(pool.openContainer('c1', { snapshot: 'snap-1' }))).toBe(Der.NONEXIST);
  });

  it('container: attrs, list, destroy', async () => {
    const info = await pool.createContainer({ label: 'c2', attrs: { 'dfuse-attr-time': '5' } });
    const c2 = await pool.openContainer(info.uuid);
    await c2.setAttrs({ a: '1', b: '2' });
    expect(await c2.getAttrs(['a', 'missing'])).toEqual({ a: '1' });
    await c2.delAttrs(['a']);
    expect(await c2.getAttrs()).toEqual({ 'dfuse-attr-time': '5', b: '2' });
    expect((await pool.listContainers()).map((entry) => entry.label)).toEqual(expect.arrayContaining(['c1', 'c2']));
    await pool.destroyContainer('c2', { force: true });
    expect(await derOf(pool.openContainer('c2'))).toBe(Der.NONEXIST);
  });

  it('stale map: a handle with an old map refreshes on DER_STALE and carries on', async () => {
    const oid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' });
    await cont.kv(oid).put('k', Buffer.from('v1'));
    const admin = await connectPool({ system: cluster.system, pool: 'client-pool', log: silent });
    const before = pool.map.version;
    const excluded = await admin.exclude(2);
    expect(excluded.version).toBeGreaterThan(before);
    expect(pool.map.version).toBe(before);
    await cont.kv(oid).put('k', Buffer.from('v2'));
    expect(pool.map.version).toBeGreaterThanOrEqual(excluded.version);
    expect((await cont.kv(oid).get('k'))?.toString()).toBe('v2');
    await admin.reintegrate(2);
    await admin.disconnect();
  });
});

describe('object client with an engine down', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;
  let cont: ContHandle;

  beforeAll(async () => {
    cluster = await startInProcessCluster({ prefix: 'client', engines: ENGINES, targets: TARGETS, poolLabel: 'client-pool' });
    // The client reads replicas from rank 2 first, the engine closed below: every read there must fail over.
    pool = await connectPool({ system: cluster.system, pool: 'client-pool', log: silent, preferRanks: [2 as Rank] });
    await pool.createContainer({ label: 'c1' });
    cont = await pool.openContainer('c1');
  });

  afterAll(async () => {
    await pool?.disconnect();
    if (cluster !== undefined) await cluster.stop();
  });

  it('RP_3G1: writes and reads keep working after an engine closes and is excluded', async () => {
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    const array = cont.array(await cont.allocOid({ type: ObjType.ARRAY_BYTE, oclass: 'RP_2GX' }), { chunkSizeBytes: 64 });
    await Promise.all(Array.from({ length: 20 }, (_, index) => kv.put(`k${index}`, Buffer.from(`v${index}`))));
    const data = Buffer.from(Array.from({ length: 1000 }, (_, index) => index & 0xff));
    await array.write(0, data);
    const before = pool.map.version;

    // Rank 2 is never the first service replica to take over, so the service stays up.
    await cluster.engines[2]!.close();

    // Reads fail over to another healthy replica without touching the map; so does the size query, whose
    // collective RPC to rank 2 fails and whose groups there are then asked replica by replica.
    for (let index = 0; index < 20; index++) expect((await kv.get(`k${index}`))?.toString()).toBe(`v${index}`);
    for (let query = 0; query < 3; query++) expect(await array.getSize()).toBe(1000);
    expect(pool.map.version).toBe(before);

    // Writes must reach every replica: the first one reports rank 2, the service excludes it, writes go on
    // (a collective update too: its RPC to rank 2 fails, and the whole batch is sent again on the new map).
    const extents = Array.from({ length: 16 }, (_, index) => ({ offset: 100 * index + 10, data: Buffer.alloc(20, 0xa0 + index) }));
    await array.writeExtents(extents);
    for (const extent of extents) extent.data.copy(data, extent.offset);
    await Promise.all(Array.from({ length: 20 }, (_, index) => kv.put(`k${index}`, Buffer.from(`w${index}`))));
    for (let index = 0; index < 20; index++) expect((await kv.get(`k${index}`))?.toString()).toBe(`w${index}`);
    expect(pool.map.version).toBeGreaterThan(before);
    expect(pool.map.ranks.find((rank) => rank.rank === 2)?.targets.every((target) => target.state === 'DOWN' || target.state === 'DOWNOUT')).toBe(true);
    expect((await array.read(0, 1000)).equals(data)).toBe(true);
    await array.write(500, Buffer.alloc(100, 9));
    expect((await array.read(500, 100)).equals(Buffer.alloc(100, 9))).toBe(true);
    expect(sorted(await kv.keys())).toHaveLength(20);
  });
});

describe('object client with the pool service leader down', () => {
  let cluster: InProcessCluster;
  let pool: PoolHandle;

  beforeAll(async () => {
    cluster = await startInProcessCluster({ prefix: 'client', engines: ENGINES, targets: TARGETS, poolLabel: 'client-pool' });
    pool = await connectPool({ system: cluster.system, pool: 'client-pool', log: silent });
  });

  afterAll(async () => {
    await pool?.disconnect();
    if (cluster !== undefined) await cluster.stop();
  });

  it('RP_3G1 writes go on once another replica takes over the service and excludes the old leader', async () => {
    await pool.createContainer({ label: 'c1' });
    const cont = await pool.openContainer('c1');
    const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' }));
    await kv.put('k', Buffer.from('v1'));
    const { leader } = await pool.query();
    await cluster.engines[leader]!.close();

    await kv.put('k', Buffer.from('v2'));
    expect((await kv.get('k'))?.toString()).toBe('v2');
    const query = await pool.query();
    expect(query.leader).not.toBe(leader);
    expect(query.map.ranks.find((rank) => rank.rank === leader)?.targets.every((target) => target.state !== 'UPIN')).toBe(true);
  });
});
