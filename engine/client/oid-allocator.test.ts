import { describe, expect, it } from 'vitest';
import { buildUniformPoolMap } from '../pool-map/build.js';
import { ObjType, oidGroupCount, oidGroupSize, oidType, oidUserHi } from '../placement/oid.js';
import { Der } from '../wire/errors.js';
import { OidAllocator } from './oid-allocator.js';
import { OIDS_PER_RANGE } from './constants.js';

describe('OidAllocator', () => {
  it('hands out each lo once, one range RPC per OIDS_PER_RANGE oids, even when called concurrently', async () => {
    let first = 1000;
    let ranges = 0;
    const allocator = new OidAllocator(async (count) => {
      ranges++;
      const range = { first, count };
      first += count;
      return range;
    }, 77);
    const los = await Promise.all(Array.from({ length: OIDS_PER_RANGE + 10 }, () => allocator.nextLo()));
    expect(new Set(los).size).toBe(los.length);
    expect(ranges).toBe(2);
  });

  it('allocate: type, class, group count and userHi land in the oid', async () => {
    const allocator = new OidAllocator(async (count) => ({ first: 0, count }), 12345);
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 4 });
    const sx = await allocator.allocate({ type: ObjType.ARRAY_BYTE, oclass: 'SX', map });
    expect([oidType(sx), oidGroupCount(sx), oidGroupSize(sx), oidUserHi(sx)]).toEqual([ObjType.ARRAY_BYTE, 12, 1, 12345]);
    const rp = await allocator.allocate({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1', map });
    expect([oidGroupCount(rp), oidGroupSize(rp)]).toEqual([1, 3]);
  });

  it('allocate: class wider than the fault domains -> INVAL', async () => {
    const allocator = new OidAllocator(async (count) => ({ first: 0, count }));
    const map = buildUniformPoolMap({ rankCount: 2, targetsPerRank: 4 });
    await expect(allocator.allocate({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1', map })).rejects.toMatchObject({ der: Der.INVAL });
  });
});
