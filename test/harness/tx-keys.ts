/**
 * Keys for transaction suites: a seeded PRNG (runs are reproducible from the printed seed), KV objects
 * of given classes spread so that every engine holds some S1 objects, and slots (object, key, current
 * value) to draw transaction key sets from.
 */
import { type ContHandle, type KvObject, ObjType, type Oid, type PoolHandle, oidToString } from '../../engine/client/index.js';
import type { ObjClassName } from '../../engine/placement/object-class.js';
import { SeededRandom } from '../../scripts/fsx/seeded-random.js';

/** Floats in [0, 1) from a SeededRandom (mulberry32). */
export function seededRandom(seed: number): () => number {
  const source = new SeededRandom(seed);
  return () => source.next();
}

/** An integer in [low, high]. */
export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

export function pickOne<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export interface KvSlot {
  readonly oid: Oid;
  readonly oidText: string;
  readonly oclass: ObjClassName;
  readonly kv: KvObject;
  readonly key: string;
  /** Ranks holding the key's shards (one for S1, three for RP_3G1). */
  readonly ranks: readonly number[];
  /** The value every reader must see now (kept up to date by the suite). */
  value: string;
}

/**
 * `perRank` S1 objects on each rank (allocating until every rank has them) plus `replicated` RP_3G1
 * objects, `keysPerObject` keys each, written with `initial(slotIndex)`.
 */
export async function createSlots(
  pool: PoolHandle,
  cont: ContHandle,
  options: { ranks: number; perRank: number; replicated: number; keysPerObject: number; initial: (index: number) => string },
): Promise<KvSlot[]> {
  const objects: Array<{ oid: Oid; oclass: ObjClassName; ranks: number[] }> = [];
  const onRank = new Map<number, number>();
  for (let attempts = 0; [...onRank.values()].filter((count) => count >= options.perRank).length < options.ranks; attempts++) {
    if (attempts > 64 * options.ranks * options.perRank) throw new Error('S1 placement never reached every rank');
    const oid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' });
    const rank = pool.layout(oid).shards[0]!.rank;
    if ((onRank.get(rank) ?? 0) >= options.perRank) continue;
    onRank.set(rank, (onRank.get(rank) ?? 0) + 1);
    objects.push({ oid, oclass: 'S1', ranks: [rank] });
  }
  for (let index = 0; index < options.replicated; index++) {
    const oid = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'RP_3G1' });
    objects.push({ oid, oclass: 'RP_3G1', ranks: pool.layout(oid).shards.map((shard) => shard.rank) });
  }
  const slots: KvSlot[] = [];
  for (const object of objects) {
    for (let key = 0; key < options.keysPerObject; key++) {
      const slot: KvSlot = {
        oid: object.oid, oidText: oidToString(object.oid), oclass: object.oclass, kv: cont.kv(object.oid), key: `key-${key}`,
        ranks: object.ranks, value: options.initial(slots.length),
      };
      await slot.kv.put(slot.key, Buffer.from(slot.value));
      slots.push(slot);
    }
  }
  return slots;
}

/** 2..`max` slots in distinct objects, together on at least two ranks. */
export function pickSlots(random: () => number, slots: readonly KvSlot[], max: number): KvSlot[] {
  for (;;) {
    const count = randomInt(random, 2, max);
    const chosen: KvSlot[] = [];
    for (let tries = 0; chosen.length < count && tries < 100; tries++) {
      const slot = pickOne(random, slots);
      if (!chosen.some((other) => other.oidText === slot.oidText)) chosen.push(slot);
    }
    const ranks = new Set(chosen.flatMap((slot) => slot.ranks));
    if (chosen.length >= 2 && ranks.size >= 2) return chosen;
  }
}
