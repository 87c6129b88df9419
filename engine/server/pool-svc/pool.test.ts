import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Der, EngineError } from '../../wire/errors.js';
import { POOL_CONNECT, POOL_CREATE, POOL_LIST, POOL_QUERY } from '../../wire/rpc/pool.js';
import { derOf, TestCluster } from './test-cluster.js';

async function expectDer(promise: Promise<unknown>, der: Der): Promise<void> {
  expect(await derOf(promise)).toBe(der);
}

describe('pool service: pools', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(3);
  });

  afterAll(async () => {
    await cluster.close();
  });

  it('pool create: sent to a non-service engine -> map v1, 3 svc ranks, list and connect by label', async () => {
    const created = await cluster.peers.get(cluster.engine(2).address).call(POOL_CREATE, { label: 'p1', capacityBytesPerTarget: 0 });
    expect(created.label).toBe('p1');
    expect(created.svcRanks).toEqual([0, 1, 2]);
    expect(created.map.version).toBe(1);
    expect(created.map.ranks.map((rank) => rank.targets.map((target) => target.state))).toEqual([['UPIN', 'UPIN'], ['UPIN', 'UPIN'], ['UPIN', 'UPIN']]);
    const listed = await cluster.peers.get(cluster.engine(1).address).call(POOL_LIST, {});
    expect(listed.pools).toEqual([{ uuid: created.uuid, label: 'p1', svcRanks: [0, 1, 2] }]);
    const connected = await cluster.svcCall(POOL_CONNECT, { pool: 'p1' });
    expect(connected.uuid).toBe(created.uuid);
    expect(connected.props).toEqual({ rdFac: 2, spaceRbPercent: 5, selfHeal: 'exclude', reclaim: 'lazy' });
  });

  it('pool create: duplicate label -> EXIST; unknown rank -> INVAL', async () => {
    await expectDer(cluster.svcCall(POOL_CREATE, { label: 'p1', capacityBytesPerTarget: 0 }), Der.EXIST);
    await expectDer(cluster.svcCall(POOL_CREATE, { label: 'p9', ranks: [7], capacityBytesPerTarget: 0 }), Der.INVAL);
  });

  it('pool query: space of every target, redundancy normal, rebuild idle', async () => {
    const query = await cluster.svcCall(POOL_QUERY, { pool: 'p1' });
    expect(query.leader).toBe(0);
    expect(query.targets.map((target) => `${target.rank}:${target.index}`)).toEqual(['0:0', '0:1', '1:0', '1:1', '2:0', '2:1']);
    expect(query.redundancy).toBe('normal');
    expect(query.rebuild).toEqual({ state: 'idle', objects: 0, records: 0 });
  });

  it('pool connect: non-leader -> NOTLEADER naming rank 0; unknown pool -> NONEXIST', async () => {
    const error = await cluster.peers.get(cluster.engine(1).address).call(POOL_CONNECT, { pool: 'p1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).der).toBe(Der.NOTLEADER);
    expect((error as EngineError).info.leader).toBe(0);
    await expectDer(cluster.svcCall(POOL_CONNECT, { pool: 'nope' }), Der.NONEXIST);
  });

  it('pool on a subset with one replica: engines without a replica redirect to it', async () => {
    const created = await cluster.svcCall(POOL_CREATE, { label: 'p2', ranks: [2, 1], svcReplicas: 1, capacityBytesPerTarget: 0 });
    expect(created.svcRanks).toEqual([1]);
    expect(created.map.ranks.map((rank) => rank.rank)).toEqual([1, 2]);
    for (const rank of [0, 2]) {
      const error = await cluster.peers.get(cluster.engine(rank).address).call(POOL_CONNECT, { pool: 'p2' }).catch((caught: unknown) => caught);
      expect((error as EngineError).der).toBe(Der.NOTLEADER);
      expect((error as EngineError).info.leader).toBe(1);
    }
    const listed = await cluster.peers.get(cluster.engine(0).address).call(POOL_LIST, {});
    expect(listed.pools.map((pool) => pool.label)).toEqual(['p1', 'p2']);
    expect(cluster.engine(0).localPools()).not.toContain(created.uuid);
  });
});
