/**
 * Items grouped by the engine (rank) they go to, each group cut into parts of at most `max`: one RPC per
 * part (collective, multi-query and multi-punch calls). Ranks in first-seen order, items in given order.
 */
export function partsByRank<T>(items: Iterable<T>, rankOf: (item: T) => number, max: number): T[][] {
  const byRank = new Map<number, T[]>();
  for (const item of items) {
    const rank = rankOf(item);
    let list = byRank.get(rank);
    if (list === undefined) byRank.set(rank, (list = []));
    list.push(item);
  }
  const parts: T[][] = [];
  for (const list of byRank.values()) {
    for (let first = 0; first < list.length; first += max) parts.push(list.slice(first, first + max));
  }
  return parts;
}
