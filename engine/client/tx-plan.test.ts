import { describe, expect, it } from 'vitest';
import { objClassByName } from '../placement/object-class.js';
import { ObjType, type Oid, makeOid, oidEquals, oidToBytes } from '../placement/oid.js';
import { type ObjectLayout, type ShardLocation, type ShardStatus, dkeyGroup } from '../placement/placement.js';
import type { PoolMapVersion, Rank } from '../pool-map/pool-map.js';
import { Der } from '../wire/errors.js';
import type { TxBufferedOp } from './tx-ops.js';
import { planCommit } from './tx-plan.js';

function oid(cls: 'S1' | 'RP_3G1' | 'SX', lo: bigint, groupCount = 1): Oid {
  return makeOid({ type: ObjType.MULTI_LEXICAL, cls: objClassByName(cls), groupCount, userHi: 7, lo });
}

/** A layout from literal (rank, target, status) triples, groupSize per group. */
function layout(of: Oid, groupSize: number, shards: Array<[number, number, ShardStatus?]>): ObjectLayout {
  const locations: ShardLocation[] = shards.map(([rank, target, status], shard) => ({
    shard, group: Math.floor(shard / groupSize), rank: rank as Rank, target, status: status ?? 'healthy',
  }));
  return { oid: of, version: 3 as PoolMapVersion, groupCount: shards.length / groupSize, groupSize, shards: locations };
}

const value = (text: string): Buffer => Buffer.from(text);
const update = (target: Oid, dkey: string, extra: Partial<TxBufferedOp> = {}): TxBufferedOp =>
  ({ type: 'update', oid: target, dkey: value(dkey), iods: [{ type: 'single', akey: value('v'), value: value(`${dkey}!`) }], ...extra }) as TxBufferedOp;

describe('tx plan', () => {
  const s1 = oid('S1', 1n);
  const rp = oid('RP_3G1', 2n);
  const layouts = [layout(s1, 1, [[2, 1]]), layout(rp, 3, [[1, 3], [0, 2], [2, 1]])];
  const layoutOf = (of: Oid): ObjectLayout => layouts.find((entry) => oidEquals(entry.oid, of))!;

  it('plan: ops grouped by (rank, target), sorted, first is the coordinator', () => {
    const plan = planCommit([update(s1, 'a'), update(rp, 'b')], layoutOf, 3);
    expect(plan.participants.map((participant) => [participant.rank, participant.target])).toEqual([[0, 2], [1, 3], [2, 1]]);
    expect(plan.coordinator).toEqual({ rank: 0, target: 2 });
    expect(plan.mapVersion).toBe(3);
    const shared = plan.participants[2]!;
    expect(shared.ops.map((op) => [op.shard, op.dkey?.toString()])).toEqual([[0, 'a'], [2, 'b']]);
    expect(shared.ops[0]!.oid).toEqual(oidToBytes(s1));
  });

  it('plan: conditions go to the group leader only', () => {
    const plan = planCommit([update(rp, 'k', { dkeyCond: 'insert' })], layoutOf, 3);
    const conditioned = plan.participants.filter((participant) => participant.ops[0]!.type === 'update' && participant.ops[0]!.dkeyCond === 'insert');
    expect(conditioned.map((participant) => participant.rank)).toEqual([1]);
  });

  it('plan: unavailable shards skipped, rebuilding ones included, leader is the first healthy', () => {
    const degraded = layout(rp, 3, [[1, 3, 'unavailable'], [0, 2, 'rebuilding'], [2, 1]]);
    const plan = planCommit([{ type: 'punch', oid: rp, dkey: value('k'), ifExists: true }], () => degraded, 4);
    expect(plan.participants.map((participant) => participant.rank)).toEqual([0, 2]);
    expect(plan.participants.map((participant) => participant.ops[0]!.type === 'punch' && participant.ops[0]!.ifExists === true)).toEqual([false, true]);
  });

  it('plan: group without a healthy shard -> DATA_LOSS', () => {
    const lost = layout(rp, 3, [[1, 3, 'unavailable'], [0, 2, 'rebuilding'], [2, 1, 'unavailable']]);
    expect(() => planCommit([update(rp, 'k')], () => lost, 4)).toThrow(expect.objectContaining({ der: Der.DATA_LOSS }));
  });

  it('plan: object punch -> every shard of every group; dkey op -> its group only', () => {
    const sx = oid('SX', 3n, 3);
    const striped = layout(sx, 1, [[0, 0], [1, 0], [2, 0]]);
    const punch = planCommit([{ type: 'punch', oid: sx }], () => striped, 3);
    expect(punch.participants.map((participant) => participant.ops[0]!.shard)).toEqual([0, 1, 2]);
    const one = planCommit([update(sx, 'key-1')], () => striped, 3);
    expect(one.participants.map((participant) => participant.ops[0]!.shard)).toEqual([dkeyGroup(value('key-1'), 3)]);
  });

  it('plan: buffered order kept per participant', () => {
    const ops: TxBufferedOp[] = [update(s1, 'x'), { type: 'punch', oid: s1, dkey: value('x') }, update(s1, 'x')];
    expect(planCommit(ops, layoutOf, 3).participants[0]!.ops.map((op) => op.type)).toEqual(['update', 'punch', 'update']);
  });

  it('plan: nothing to write -> INVAL', () => {
    expect(() => planCommit([], layoutOf, 3)).toThrow(expect.objectContaining({ der: Der.INVAL }));
  });
});
