/**
 * The pool map as it arrives on the wire (PoolMapBody: plain numbers) turned into the branded PoolMap the
 * placement code takes. The schema already validated every field; this only brands ranks and the version.
 * One conversion, used by every pool RPC answer that carries a map.
 */
import type { PoolMap, PoolMapRank, PoolMapVersion, Rank } from '../pool-map/pool-map.js';
import type { PoolMapBody } from '../wire/rpc/common.js';

export function poolMapFromBody(body: PoolMapBody): PoolMap {
  const ranks = body.ranks.map((entry): PoolMapRank => ({
    rank: entry.rank as Rank,
    faultDomain: entry.faultDomain,
    address: entry.address,
    targets: entry.targets,
  }));
  return { version: body.version as PoolMapVersion, ranks };
}
