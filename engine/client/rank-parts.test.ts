import { describe, expect, it } from 'vitest';
import { partsByRank } from './rank-parts.js';

describe('parts by rank', () => {
  it('groups by rank in first-seen order, keeps the items\' order, cuts each group at max', () => {
    const items = [{ rank: 2, n: 0 }, { rank: 0, n: 1 }, { rank: 2, n: 2 }, { rank: 2, n: 3 }, { rank: 0, n: 4 }, { rank: 2, n: 5 }];
    const parts = partsByRank(items, (item) => item.rank, 3);
    expect(parts.map((part) => part.map((item) => item.n))).toEqual([[0, 2, 3], [5], [1, 4]]);
    expect(partsByRank([], () => 0, 3)).toEqual([]);
  });
});
