import { describe, expect, it } from 'vitest';
import { buildPoolMap, buildUniformPoolMap, hostOfAddress } from './build.js';

const ASSERTION = expect.objectContaining({ code: 'ERR_ASSERTION' });

describe('buildPoolMap', () => {
  it('buildPoolMap: literal spec -> whole map, targets UPIN with fseq 0', () => {
    const map = buildPoolMap({
      version: 3,
      ranks: [
        { rank: 0, address: 'a:1', faultDomain: 'rack0', targets: 2 },
        { rank: 1, address: 'b:1', targets: ['UPIN', 'NEW'] },
      ],
    });
    expect(map).toEqual({
      version: 3,
      ranks: [
        { rank: 0, faultDomain: 'rack0', address: 'a:1', targets: [{ index: 0, state: 'UPIN', fseq: 0 }, { index: 1, state: 'UPIN', fseq: 0 }] },
        { rank: 1, faultDomain: 'b', address: 'b:1', targets: [{ index: 0, state: 'UPIN', fseq: 0 }, { index: 1, state: 'NEW', fseq: 0 }] },
      ],
    });
  });

  it('buildPoolMap: ranks on distinct hosts -> fault domain is the host', () => {
    const map = buildPoolMap({ version: 1, ranks: [{ rank: 0, address: 'h0:9000', targets: 1 }, { rank: 1, address: 'h1:9000', targets: 1 }] });
    expect(map.ranks.map((rank) => rank.faultDomain)).toEqual(['h0', 'h1']);
  });

  it('buildPoolMap: ranks on one host -> each rank its own domain rank<N>', () => {
    const map = buildPoolMap({ version: 1, ranks: [{ rank: 4, address: 'h:1', targets: 1 }, { rank: 7, address: 'h:2', targets: 1 }] });
    expect(map.ranks.map((rank) => rank.faultDomain)).toEqual(['rank4', 'rank7']);
  });

  it('buildPoolMap: duplicate rank, zero targets, empty address -> assertion', () => {
    expect(() => buildPoolMap({ version: 1, ranks: [{ rank: 0, address: 'a:1', targets: 1 }, { rank: 0, address: 'b:1', targets: 1 }] })).toThrow(ASSERTION);
    expect(() => buildPoolMap({ version: 1, ranks: [{ rank: 0, address: 'a:1', targets: 0 }] })).toThrow(ASSERTION);
    expect(() => buildPoolMap({ version: 1, ranks: [{ rank: 0, address: '', targets: 1 }] })).toThrow(ASSERTION);
    expect(() => buildPoolMap({ version: -1, ranks: [] })).toThrow(ASSERTION);
  });

  it('buildUniformPoolMap: 3 ranks x 2 targets -> rank<N> domains, consecutive ports', () => {
    const map = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2, basePort: 100 });
    expect(map.version).toBe(1);
    expect(map.ranks.map((rank) => [rank.rank, rank.faultDomain, rank.address, rank.targets.length])).toEqual([
      [0, 'rank0', '127.0.0.1:100', 2],
      [1, 'rank1', '127.0.0.1:101', 2],
      [2, 'rank2', '127.0.0.1:102', 2],
    ]);
  });

  it('hostOfAddress: host:port, [v6]:port, bare host -> host', () => {
    expect(hostOfAddress('node1:20000')).toBe('node1');
    expect(hostOfAddress('[::1]:20000')).toBe('::1');
    expect(hostOfAddress('node1')).toBe('node1');
    expect(hostOfAddress('fe80::1')).toBe('fe80::1');
  });
});
