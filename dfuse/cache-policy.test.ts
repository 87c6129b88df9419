/** Caching policy from container attributes, command-line overrides and --disable-caching. */
import { describe, expect, it } from 'vitest';
import { CachePolicyError, DEFAULT_POLICY, NO_CACHING, cachePolicy, parseDuration } from './cache-policy.js';

describe('dfuse cache policy', () => {
  it('no attribute set: the DAOS defaults', () => {
    expect(cachePolicy({}, {}, false)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toMatchObject({ attrSeconds: 1, dentrySeconds: 1, dentryDirSeconds: 5, negativeSeconds: 1, dataCache: 'auto' });
  });

  it('any attribute set: unset ones are 0/off, dentry-dir falls back to dentry', () => {
    expect(cachePolicy({ 'dfuse-dentry-time': '2m' }, {}, false)).toEqual({
      attrSeconds: 0, dentrySeconds: 120, dentryDirSeconds: 120, negativeSeconds: 0, dataCache: 'off',
    });
    expect(cachePolicy({ 'dfuse-attr-time': '1h', 'dfuse-data-cache': 'otoc' }, {}, false)).toMatchObject({ attrSeconds: 3600, dataCache: 'auto' });
  });

  it('command-line overrides beat attributes; --disable-caching beats everything', () => {
    expect(cachePolicy({ 'dfuse-attr-time': '10' }, { 'dfuse-attr-time': '0' }, false).attrSeconds).toBe(0);
    expect(cachePolicy({ 'dfuse-attr-time': '10' }, {}, true)).toEqual(NO_CACHING);
    expect(cachePolicy({}, { 'dfuse-data-cache': 'off' }, false).dataCache).toBe('off');
    expect(cachePolicy({}, { 'dfuse-data-cache': '10m' }, false).dataCache).toBe('auto');
  });

  it('durations: seconds or s/m/h/d; anything else is a clear error', () => {
    expect([parseDuration('30', 'x'), parseDuration('1.5s', 'x'), parseDuration('2d', 'x')]).toEqual([30, 1.5, 172_800]);
    expect(() => parseDuration('soon', 'dfuse-attr-time')).toThrow(CachePolicyError);
    expect(() => cachePolicy({ 'dfuse-attr-time': '-1' }, {}, false)).toThrow(/dfuse-attr-time: not a duration/);
  });
});
