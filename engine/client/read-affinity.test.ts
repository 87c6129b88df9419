import { describe, expect, it } from 'vitest';
import type { Rank } from '../pool-map/pool-map.js';
import { Der } from '../wire/errors.js';
import { READ_BATCH_SPILL, READ_SPILL_CALLS, ReadAffinity, ReadBatch } from './read-affinity.js';

const ranks = (...list: number[]): Rank[] => list as Rank[];
const best = (affinity: { preference(rank: Rank): number }, among: readonly Rank[]): Rank => [...among].sort((a, b) => affinity.preference(b) - affinity.preference(a))[0]!;

describe('read affinity', () => {
  it('the caller\'s ranks first, in its order; then engines on this host; then the rest', () => {
    const affinity = new ReadAffinity({ preferRanks: ranks(4, 2), isLocal: (rank) => rank === 1 || rank === 2, callsInFlight: () => 0, seed: 7 });
    const order = ranks(0, 1, 2, 3, 4, 5).sort((a, b) => affinity.preference(b) - affinity.preference(a));
    expect(order.slice(0, 3)).toEqual([4, 2, 1]);
    expect(new Set(order.slice(3))).toEqual(new Set([0, 3, 5]));
  });

  it('a client keeps its choice: the same seed ranks the engines the same way, every time', () => {
    const one = new ReadAffinity({ isLocal: () => false, callsInFlight: () => 0, seed: 12345 });
    const two = new ReadAffinity({ isLocal: () => false, callsInFlight: () => 0, seed: 12345 });
    for (let rank = 0; rank < 50; rank++) expect(one.preference(rank as Rank)).toBe(two.preference(rank as Rank));
    expect(best(one, ranks(3, 8, 20))).toBe(best(one, ranks(20, 3, 8)));
  });

  it('an engine that becomes reachable on this host is preferred from then on', () => {
    let local = false;
    const affinity = new ReadAffinity({ isLocal: (rank) => local && rank === 2, callsInFlight: () => 0, seed: 1 });
    const before = affinity.preference(2 as Rank);
    local = true;
    expect(affinity.preference(2 as Rank)).toBeGreaterThan(before);
    expect(best(affinity, ranks(0, 1, 2))).toBe(2);
  });

  it('an engine holding READ_SPILL_CALLS of the client\'s calls gives way to one holding fewer, the preferred one included', () => {
    const inFlight = new Map<number, number>();
    const affinity = new ReadAffinity({ preferRanks: ranks(0), isLocal: (rank) => rank === 1, callsInFlight: (rank) => inFlight.get(rank) ?? 0, seed: 3 });
    expect(best(affinity, ranks(0, 1, 2))).toBe(0);
    inFlight.set(0, READ_SPILL_CALLS - 1);
    expect(best(affinity, ranks(0, 1, 2)), 'below the step: still preferred').toBe(0);
    inFlight.set(0, READ_SPILL_CALLS);
    expect(best(affinity, ranks(0, 1, 2)), 'then the local engine').toBe(1);
    inFlight.set(1, READ_SPILL_CALLS * 2);
    expect(best(affinity, ranks(0, 1, 2)), 'the one with the fewest steps').toBe(2);
    inFlight.set(2, READ_SPILL_CALLS * 3);
    expect(best(affinity, ranks(0, 1, 2))).toBe(0);
    inFlight.clear();
    expect(best(affinity, ranks(0, 1, 2)), 'and back').toBe(0);
  });

  it('more preferred ranks than scores can order -> INVAL', () => {
    expect(() => new ReadAffinity({ preferRanks: Array.from({ length: 256 }, (_, rank) => rank as Rank), isLocal: () => false, callsInFlight: () => 0 }))
      .toThrow(expect.objectContaining({ der: Der.INVAL }));
  });

  it('over many clients every replica of a group takes its share', () => {
    const group = ranks(0, 1, 2);
    const firsts = new Map<Rank, number>();
    const clients = 3000;
    for (let seed = 0; seed < clients; seed++) {
      const first = best(new ReadAffinity({ isLocal: () => false, callsInFlight: () => 0, seed: seed * 2654435761 }), group);
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const rank of group) expect(firsts.get(rank) ?? 0).toBeGreaterThan(clients / 3 * 0.85);
  });

  it('a batch stays on the preferred engine while small; a large one gives each engine its share, in preference order', () => {
    const affinity = new ReadAffinity({ isLocal: () => false, callsInFlight: () => 0, seed: 99 });
    const group = ranks(0, 1, 2);
    const order = [...group].sort((a, b) => affinity.preference(b) - affinity.preference(a));
    const spread = (groups: number): number[] => {
      const batch = new ReadBatch((rank) => affinity.preference(rank), groups, group.length);
      const counts = [0, 0, 0];
      for (let index = 0; index < groups; index += 1) {
        const first = best(batch, group);
        batch.picked(first);
        counts[first] += 1;
      }
      return order.map((rank) => counts[rank]!);
    };
    expect(spread(READ_BATCH_SPILL)).toEqual([READ_BATCH_SPILL, 0, 0]);
    expect(spread(READ_BATCH_SPILL + 10)).toEqual([READ_BATCH_SPILL, 10, 0]);
    expect(spread(3000)).toEqual([1000, 1000, 1000]);
  });
});
