import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Der } from '../../wire/errors.js';
import {
  CONT_ALLOC_OIDS, CONT_CREATE, CONT_DEL_ATTR, CONT_DESTROY, CONT_LIST, CONT_QUERY, CONT_SET_ATTR, CONT_SNAP_CREATE,
  CONT_SNAP_DESTROY, CONT_SNAP_LIST,
} from '../../wire/rpc/cont.js';
import { ENGINE_PING } from '../../wire/rpc/engine.js';
import { POOL_CREATE, POOL_DESTROY, POOL_LIST } from '../../wire/rpc/pool.js';
import { derOf, TestCluster } from './test-cluster.js';

async function expectDer(promise: Promise<unknown>, der: Der): Promise<void> {
  expect(await derOf(promise)).toBe(der);
}

describe('pool service: containers', () => {
  let cluster: TestCluster;
  let pool: string;

  beforeAll(async () => {
    cluster = await TestCluster.start(3);
    pool = (await cluster.svcCall(POOL_CREATE, { label: 'conts', capacityBytesPerTarget: 0 })).uuid;
  });

  afterAll(async () => {
    await cluster.close();
  });

  it('cont create: defaults from the pool rdFac 2 -> RP_3 classes, POSIX, crc64', async () => {
    const info = await cluster.svcCall(CONT_CREATE, { pool, label: 'c1' });
    expect(info.props).toEqual({
      layout: 'POSIX', oclass: 'RP_3G1', dirOclass: 'RP_3G1', fileOclass: 'RP_3GX', chunkSizeBytes: 1 << 20, rdFac: 2,
      cksum: 'crc64', cksumSizeBytes: 32 * 1024, srvCksum: true,
    });
    expect(info.label).toBe('c1');
    expect(info.snapshots).toEqual([]);
  });

  it('cont create: rdFac 0 -> S1 dirs, SX files; rdFac 1 -> RP_2G1 / RP_2GX', async () => {
    const plain = await cluster.svcCall(CONT_CREATE, { pool, label: 'c0', props: { rdFac: 0 } });
    expect([plain.props.oclass, plain.props.dirOclass, plain.props.fileOclass]).toEqual(['S1', 'S1', 'SX']);
    const two = await cluster.svcCall(CONT_CREATE, { pool, props: { rdFac: 1, chunkSizeBytes: 4096 } });
    expect([two.props.oclass, two.props.dirOclass, two.props.fileOclass, two.props.chunkSizeBytes]).toEqual(['RP_2G1', 'RP_2G1', 'RP_2GX', 4096]);
    expect(two.label).toBeUndefined();
  });

  it('cont create: duplicate label -> EXIST; class weaker than rdFac -> INVAL; unknown pool -> NONEXIST', async () => {
    await expectDer(cluster.svcCall(CONT_CREATE, { pool, label: 'c1' }), Der.EXIST);
    await expectDer(cluster.svcCall(CONT_CREATE, { pool, label: 'weak', props: { rdFac: 1, oclass: 'S1' } }), Der.INVAL);
    await expectDer(cluster.svcCall(CONT_CREATE, { pool: '00000000-0000-4000-8000-000000000000', label: 'x' }), Der.NONEXIST);
  });

  it('cont list/query/destroy: by label and uuid; destroyed -> NONEXIST', async () => {
    const created = await cluster.svcCall(CONT_CREATE, { pool, label: 'gone', attrs: { a: '1' } });
    const listed = await cluster.svcCall(CONT_LIST, { pool });
    expect(listed.containers.map((entry) => entry.label ?? '-').sort()).toEqual(['-', 'c0', 'c1', 'gone']);
    expect((await cluster.svcCall(CONT_QUERY, { pool, cont: created.uuid })).attrs).toEqual({ a: '1' });
    await cluster.svcCall(CONT_DESTROY, { pool, cont: 'gone' });
    await expectDer(cluster.svcCall(CONT_QUERY, { pool, cont: 'gone' }), Der.NONEXIST);
    await expectDer(cluster.svcCall(CONT_DESTROY, { pool, cont: created.uuid }), Der.NONEXIST);
  });

  it('cont alloc oids: concurrent ranges never overlap and start above 0', async () => {
    const ranges = await Promise.all(Array.from({ length: 20 }, (_, index) => cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'c1', count: index + 1 })));
    const sorted = [...ranges].sort((left, right) => left.first - right.first);
    expect(sorted[0]!.first).toBeGreaterThan(0);
    for (let index = 1; index < sorted.length; index++) {
      expect(sorted[index]!.first).toBeGreaterThanOrEqual(sorted[index - 1]!.first + sorted[index - 1]!.count);
    }
    await expectDer(cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'c1', count: 0 }), Der.INVAL);
  });

  it('cont attrs: set merges, del removes', async () => {
    await cluster.svcCall(CONT_SET_ATTR, { pool, cont: 'c1', attrs: { x: '1', y: '2' } });
    await cluster.svcCall(CONT_SET_ATTR, { pool, cont: 'c1', attrs: { y: '3' } });
    await cluster.svcCall(CONT_DEL_ATTR, { pool, cont: 'c1', names: ['x', 'absent'] });
    expect((await cluster.svcCall(CONT_QUERY, { pool, cont: 'c1' })).attrs).toEqual({ y: '3' });
  });

  it('snapshots: epoch above every engine clock; names unique; list sorted; destroy by name and epoch', async () => {
    const clocks = await Promise.all([0, 1, 2].map((rank) => cluster.peers.get(cluster.engine(rank).address).call(ENGINE_PING, {})));
    const first = await cluster.svcCall(CONT_SNAP_CREATE, { pool, cont: 'c1', name: 's1' });
    for (const clock of clocks) expect(first.epoch).toBeGreaterThan(clock.hlc);
    const after = await Promise.all([0, 1, 2].map((rank) => cluster.peers.get(cluster.engine(rank).address).call(ENGINE_PING, {})));
    for (const clock of after) expect(clock.hlc).toBeGreaterThan(first.epoch);
    const second = await cluster.svcCall(CONT_SNAP_CREATE, { pool, cont: 'c1' });
    expect(second.name).toBe(String(second.epoch));
    expect(second.epoch).toBeGreaterThan(first.epoch);
    await expectDer(cluster.svcCall(CONT_SNAP_CREATE, { pool, cont: 'c1', name: 's1' }), Der.EXIST);
    expect((await cluster.svcCall(CONT_SNAP_LIST, { pool, cont: 'c1' })).snapshots.map((snap) => snap.name)).toEqual(['s1', second.name]);
    await cluster.svcCall(CONT_SNAP_DESTROY, { pool, cont: 'c1', name: 's1' });
    await cluster.svcCall(CONT_SNAP_DESTROY, { pool, cont: 'c1', epoch: second.epoch });
    expect((await cluster.svcCall(CONT_SNAP_LIST, { pool, cont: 'c1' })).snapshots).toEqual([]);
    await expectDer(cluster.svcCall(CONT_SNAP_DESTROY, { pool, cont: 'c1', name: 's1' }), Der.NONEXIST);
    await expectDer(cluster.svcCall(CONT_SNAP_DESTROY, { pool, cont: 'c1' }), Der.INVAL);
  });

  it('pool destroy: containers -> BUSY unless force; then gone everywhere', async () => {
    await expectDer(cluster.svcCall(POOL_DESTROY, { pool }), Der.BUSY);
    await cluster.svcCall(POOL_DESTROY, { pool, force: true });
    expect((await cluster.svcCall(POOL_LIST, {})).pools).toEqual([]);
    for (const rank of [0, 1, 2]) expect(cluster.engine(rank).localPools()).toEqual([]);
  });
});
