import { describe, expect, it } from 'vitest';
import { buildPoolMap } from './build.js';
import { withRankState, withTargetState } from './pool-map.js';
import { faultDomains, flattenTargets } from './topology.js';

const map = buildPoolMap({
  version: 1,
  ranks: [
    { rank: 5, address: 'c:1', faultDomain: 'rackB', targets: 1 },
    { rank: 2, address: 'b:1', faultDomain: 'rackA', targets: ['UPIN', 'NEW'] },
    { rank: 0, address: 'a:1', faultDomain: 'rackB', targets: 1 },
    { rank: 3, address: 'd:1', faultDomain: 'rackC', targets: 1 },
  ],
});

describe('topology', () => {
  it('faultDomains: ranks listed in any order -> domains by lowest rank, ranks by number', () => {
    expect(faultDomains(map).map((domain) => [domain.name, domain.ranks.map((rank) => rank.rank)])).toEqual([
      ['rackB', [0, 5]],
      ['rackA', [2]],
      ['rackC', [3]],
    ]);
  });

  it('flattenTargets: map -> every target in canonical order, NEW included', () => {
    expect(flattenTargets(map).map((t) => `${t.faultDomain}/${t.rank}:${t.index}:${t.state}`)).toEqual([
      'rackB/0:0:UPIN',
      'rackB/5:0:UPIN',
      'rackA/2:0:UPIN',
      'rackA/2:1:NEW',
      'rackC/3:0:UPIN',
    ]);
  });
});

describe('pool map transitions', () => {
  it('withTargetState: DOWN -> that target only, fseq = new version, version + 1', () => {
    const next = withTargetState(map, { rank: 2, index: 0, state: 'DOWN' });
    expect(next.version).toBe(2);
    expect(flattenTargets(next).filter((t) => t.state !== 'UPIN' && t.state !== 'NEW')).toEqual([
      { rank: 2, faultDomain: 'rackA', index: 0, state: 'DOWN', fseq: 2 },
    ]);
    expect(flattenTargets(withTargetState(next, { rank: 2, index: 0, state: 'DOWNOUT' })).find((t) => t.rank === 2)?.fseq).toBe(2);
  });

  it('withTargetState: unknown target -> assertion', () => {
    expect(() => withTargetState(map, { rank: 9, index: 0, state: 'DOWN' })).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
  });

  it('withRankState: DOWN -> every target of the rank DOWN with fseq = new version', () => {
    const next = withRankState(map, 2, 'DOWN');
    expect(next.ranks.find((rank) => rank.rank === 2)?.targets.map((t) => [t.state, t.fseq])).toEqual([
      ['DOWN', 2],
      ['DOWN', 2],
    ]);
  });
});
