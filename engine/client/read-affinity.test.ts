import { describe, expect, it } from 'vitest';
import type { Rank } from '../pool-map/pool-map.js';
import { ReadAffinity } from './read-affinity.js';

const ranks = (...list: number[]): Rank[] => list as Rank[];
const best = (affinity: ReadAffinity, among: readonly Rank[]): Rank => [...among].sort((a, b) => affinity.preference(b) - affinity.preference(a))[0]!;

describe('read affinity', () => {
  it('the caller\'s ranks first, in its order; then engines on this host; then the rest', () => {
    const affinity = new ReadAffinity({ preferRanks: ranks(4, 2), isLocal: (rank) => rank === 1 || rank === 2, seed: 7 });
    const order = ranks(0, 1, 2, 3, 4, 5).sort((a, b) => affinity.preference(b) - affinity.preference(a));
    expect(order.slice(0, 3)).toEqual([4, 2, 1]);
    expect(new Set(order.slice(3))).toEqual(new Set([0, 3, 5]));
  });

  it('a client keeps its choice: the same seed ranks the engines the same way, every time', () => {
    const one = new ReadAffinity({ isLocal: () => false, seed: 12345 });
    const two = new ReadAffinity({ isLocal: () => false, seed: 12345 });
    for (let rank = 0; rank < 50; rank++) expect(one.preference(rank as Rank)).toBe(two.preference(rank as Rank));
    expect(best(one, ranks(3, 8, 20))).toBe(best(one, ranks(20, 3, 8)));
  });

  it('an engine that becomes reachable on this host is preferred from then on', () => {
    let local = false;
    const affinity = new ReadAffinity({ isLocal: (rank) => local && rank === 2, seed: 1 });
    const before = affinity.preference(2 as Rank);
    local = true;
    expect(affinity.preference(2 as Rank)).toBeGreaterThan(before);
    expect(best(affinity, ranks(0, 1, 2))).toBe(2);
  });

  it('over many clients every replica of a group takes its share', () => {
    const group = ranks(0, 1, 2);
    const firsts = new Map<Rank, number>();
    const clients = 3000;
    for (let seed = 0; seed < clients; seed++) {
      const first = best(new ReadAffinity({ isLocal: () => false, seed: seed * 2654435761 }), group);
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const rank of group) expect(firsts.get(rank) ?? 0).toBeGreaterThan(clients / 3 * 0.85);
  });
});
