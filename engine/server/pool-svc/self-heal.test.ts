import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPool, type PoolHandle } from '../../client/pool.js';
import { createContainer, openContainer, type ContHandle } from '../../client/container.js';
import { poolMapFromBody } from '../../client/map-body.js';
import { ObjType, oidToBytes, type Oid } from '../../placement/oid.js';
import { computeLayout } from '../../placement/placement.js';
import { EPOCH_MAX } from '../../wire/epoch.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { POOL_CREATE, POOL_EXCLUDE, POOL_QUERY, POOL_REINTEGRATE, POOL_REPORT_UNREACHABLE } from '../../wire/rpc/pool.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import { stateOf, TestCluster, waitFor } from './test-cluster.js';


async function writeKeys(cont: ContHandle, oid: Oid, from: number, to: number): Promise<void> {
  const object = cont.object(oid);
  for (let index = from; index < to; index++) {
    await object.update({ dkey: Buffer.from(`d${index}`), iods: [{ type: 'single', akey: Buffer.from('a'), value: Buffer.from(`v${index}`) }] });
  }
}

describe('pool service: self-heal', () => {
  let cluster: TestCluster;
  let pool: string;
  let handle: PoolHandle;
  let cont: ContHandle;
  let oid: Oid;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { aggregationWindowMs: 0 });
    pool = (await cluster.svcCall(POOL_CREATE, { label: 'heal', capacityBytesPerTarget: 0 })).uuid;
    handle = await connectPool({ system: cluster.system(), pool: 'heal' });
    await createContainer(handle, { label: 'data' });
    cont = await openContainer(handle, 'data', {});
    oid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' });
    await writeKeys(cont, oid, 0, 10);
  });

  /** The value of dkey d<index> in the object's shard on `rank`, read from that engine's VOS directly. */
  function readOnRank(map: PoolMapBody, rank: number, index: number): string | null {
    const shard = computeLayout(poolMapFromBody(map), oid).shards.find((entry) => entry.rank === rank)!;
    const vos = cluster.engine(rank).vosTargets(pool)![shard.target]!;
    const [value] = vos.fetch({
      cont: cont.uuid, oid: oidToBytes(oid), shard: shard.shard, dkey: Buffer.from(`d${index}`), epoch: EPOCH_MAX,
      iods: [{ type: 'single', akey: Buffer.from('a') }],
    });
    return value?.type === 'single' && value.value !== null ? value.value.toString() : null;
  }

  afterAll(async () => {
    await handle.disconnect();
    await cluster.close();
  });

  it('non-leader closed: excluded by the service (DOWN, map version + 1); writes go on', async () => {
    const before = (await cluster.svcCall(POOL_QUERY, { pool })).map.version;
    await cluster.stopRank(2);
    // By the service alone (nobody reports it): within waitFor's deadline, not timed here (a loaded machine
    // stretches it; the monitor's own pace is EXCLUDE_AFTER_MS, about 2.5 s on an idle one).
    const query = await waitFor('rank 2 DOWN', async () => {
      const answer = await cluster.svcCall(POOL_QUERY, { pool });
      return stateOf(answer.map, 2) === 'DOWN' ? answer : undefined;
    });
    expect(query.map.version).toBe(before + 1);
    expect(query.redundancy).toBe('degraded');
    await writeKeys(cont, oid, 10, 30);
    await cont.object(oid).punch({ dkey: Buffer.from('d0') });
    // Aggregation would drop the punch and the version under it: rank 2, which holds d0, would never learn of it.
    for (const rank of [0, 1]) expect(cluster.engine(rank).aggregateNow().versionsRemoved).toBe(0);
  });

  it('restarted: UP -> resync -> UPIN, and its VOS holds what was written while it was down', async () => {
    await cluster.startRank(2);
    const query = await waitFor('rank 2 UPIN', async () => {
      const answer = await cluster.svcCall(POOL_QUERY, { pool });
      return stateOf(answer.map, 2) === 'UPIN' ? answer : undefined;
    }, 20_000);
    expect(query.redundancy).toBe('normal');
    expect(query.rebuild.state).toBe('idle');
    expect(query.rebuild.records).toBeGreaterThanOrEqual(21);
    expect(query.map.ranks.find((entry) => entry.rank === 2)?.address).toBe(cluster.engine(2).address);

    for (let index = 1; index < 30; index++) expect(readOnRank(query.map, 2, index)).toBe(`v${index}`);
    expect(readOnRank(query.map, 2, 0)).toBeNull();
    // Back in service: aggregation runs again (d0's version and punch go).
    expect(cluster.engine(0).aggregateNow().versionsRemoved).toBeGreaterThan(0);
  });

  it('operator exclude of a live rank: stays DOWN (not reintegrated by itself) until POOL_REINTEGRATE', async () => {
    const excluded = await cluster.svcCall(POOL_EXCLUDE, { pool, rank: 2 });
    expect(stateOf(excluded.map, 2)).toBe('DOWN');
    await writeKeys(cont, oid, 30, 35);
    await sleep(1_500);
    expect(stateOf((await cluster.svcCall(POOL_QUERY, { pool })).map, 2)).toBe('DOWN');
    const reintegrated = await cluster.svcCall(POOL_REINTEGRATE, { pool, rank: 2 });
    expect(['UP', 'UPIN']).toContain(stateOf(reintegrated.map, 2));
    const query = await waitFor('rank 2 UPIN', async () => {
      const answer = await cluster.svcCall(POOL_QUERY, { pool });
      return stateOf(answer.map, 2) === 'UPIN' ? answer : undefined;
    });
    for (let index = 30; index < 35; index++) expect(readOnRank(query.map, 2, index)).toBe(`v${index}`);
  });

  it('report unreachable: a silent rank is excluded at once; a live one is not', async () => {
    const live = await cluster.svcCall(POOL_REPORT_UNREACHABLE, { pool, rank: 2, mapVersion: 1 });
    expect(stateOf(live.map, 2)).toBe('UPIN');
    await cluster.stopRank(1);
    // The answer to the report carries the map that excluded it: no waiting for the monitor.
    const answer = await cluster.svcCall(POOL_REPORT_UNREACHABLE, { pool, rank: 1, mapVersion: live.map.version });
    expect(stateOf(answer.map, 1)).toBe('DOWN');
    expect(answer.map.version).toBe(live.map.version + 1);
  });
});
