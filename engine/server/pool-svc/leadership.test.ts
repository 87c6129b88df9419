import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONT_ALLOC_OIDS, CONT_CREATE, CONT_LIST, CONT_QUERY } from '../../wire/rpc/cont.js';
import { POOL_CREATE, POOL_QUERY } from '../../wire/rpc/pool.js';
import { stateOf, TestCluster, waitFor } from './test-cluster.js';


describe('pool service: leadership', () => {
  let cluster: TestCluster;
  let pool: string;

  beforeAll(async () => {
    cluster = await TestCluster.start(3);
    pool = (await cluster.svcCall(POOL_CREATE, { label: 'lead', capacityBytesPerTarget: 0 })).uuid;
  });

  afterAll(async () => {
    await cluster.close();
  });

  it('leader closed: rank 1 takes over with the same containers, OID ranges keep growing, rank 0 is excluded; restarted, rank 0 leads again and is UPIN', async () => {
    const created = await cluster.svcCall(CONT_CREATE, { pool, label: 'before' });
    const first = await cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'before', count: 100 });

    await cluster.stopRank(0);
    const query = await waitFor('rank 1 to lead', async () => {
      const answer = await cluster.svcCall(POOL_QUERY, { pool });
      return answer.leader === 1 ? answer : undefined;
    });
    expect(query.svcRanks).toEqual([0, 1, 2]);
    expect((await cluster.svcCall(CONT_QUERY, { pool, cont: 'before' })).uuid).toBe(created.uuid);
    const second = await cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'before', count: 100 });
    expect(second.first).toBeGreaterThanOrEqual(first.first + first.count);
    await cluster.svcCall(CONT_CREATE, { pool, label: 'during' });
    await waitFor('rank 0 DOWN', async () => (stateOf((await cluster.svcCall(POOL_QUERY, { pool })).map, 0) === 'DOWN' ? true : undefined));

    // Back, rank 0 campaigns (it is the lowest replica), leads, and reintegrates its own excluded rank.
    await cluster.startRank(0);
    await waitFor('rank 0 to lead again, UPIN', async () => {
      const answer = await cluster.svcCall(POOL_QUERY, { pool });
      return answer.leader === 0 && stateOf(answer.map, 0) === 'UPIN' ? true : undefined;
    });
    const labels = (await cluster.svcCall(CONT_LIST, { pool })).containers.map((entry) => entry.label).sort();
    expect(labels).toEqual(['before', 'during']);
    const third = await cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'before', count: 100 });
    expect(third.first).toBeGreaterThanOrEqual(second.first + second.count);
  });

  it('whole cluster restarted: state comes back from disk and a leader is elected', async () => {
    for (const rank of [0, 1, 2]) await cluster.stopRank(rank);
    for (const rank of [2, 1, 0]) await cluster.startRank(rank);
    const labels = (await cluster.svcCall(CONT_LIST, { pool }, 20_000)).containers.map((entry) => entry.label).sort();
    expect(labels).toEqual(['before', 'during']);
    const next = await cluster.svcCall(CONT_ALLOC_OIDS, { pool, cont: 'before', count: 1 });
    expect(next.first).toBeGreaterThanOrEqual(301);
  });
});
