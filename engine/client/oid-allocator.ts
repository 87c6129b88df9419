/**
 * Object id allocation for one container handle, as DFS does it: a random 32-bit `userHi` per handle and
 * 64-bit `lo` values taken from ranges of OIDS_PER_RANGE that the container service hands out
 * (CONT_ALLOC_OIDS), so creating objects costs one RPC per range, not per object. Unique per container
 * because every `lo` is handed out once. Concurrent callers share one range refill.
 */
import { randomInt } from 'node:crypto';
import { type ObjClassName, objClassByName, resolveGroupCount } from '../placement/object-class.js';
import { type ObjType, type Oid, makeOid } from '../placement/oid.js';
import { type PoolMap, countFaultDomains, countTargets } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';
import { OIDS_PER_RANGE } from './constants.js';

/** userHi values below this are left to well-known objects (DFS superblock, root, inode table). */
export const OID_USER_HI_MIN = 16;

export type FetchOidRange = (count: number) => Promise<{ first: number; count: number }>;

export class OidAllocator {
  readonly userHi: number;
  private next = 0n;
  private end = 0n;
  private refill: Promise<void> | undefined = undefined;
  private readonly fetchRange: FetchOidRange;

  constructor(fetchRange: FetchOidRange, userHi: number = randomInt(OID_USER_HI_MIN, 2 ** 32)) {
    this.fetchRange = fetchRange;
    this.userHi = userHi;
  }

  /** The next unused `lo`; fetches a new range when the current one is used up. */
  async nextLo(): Promise<bigint> {
    while (this.next >= this.end) {
      this.refill ??= this.fetch().finally(() => {
        this.refill = undefined;
      });
      await this.refill;
    }
    return this.next++;
  }

  private async fetch(): Promise<void> {
    const range = await this.fetchRange(OIDS_PER_RANGE);
    if (range.count < 1) throw new EngineError(Der.NOSPACE, 'container service handed out an empty oid range');
    this.next = BigInt(range.first);
    this.end = this.next + BigInt(range.count);
  }

  /** A new oid of `type` and class `oclass`, its group count resolved against `map`. */
  async allocate(options: { type: ObjType; oclass: ObjClassName; map: PoolMap }): Promise<Oid> {
    const cls = objClassByName(options.oclass);
    const groupCount = resolveGroupCount(cls, countTargets(options.map), countFaultDomains(options.map));
    const lo = await this.nextLo();
    return makeOid({ type: options.type, cls, groupCount, userHi: this.userHi, lo });
  }
}
