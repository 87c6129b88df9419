import { describe, expect, it } from 'vitest';
import { EPOCH_MAX, Hlc, epochFromMs, epochToMs } from './epoch.js';

describe('hlc', () => {
  it('now: strictly increasing even when the wall clock stands still', () => {
    const hlc = new Hlc(() => 1_700_000_000_000);
    const a = hlc.now();
    const b = hlc.now();
    const c = hlc.now();
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
  });

  it('now: never goes backwards when the wall clock does', () => {
    let wall = 1_700_000_000_000;
    const hlc = new Hlc(() => wall);
    const a = hlc.now();
    wall -= 5_000;
    expect(hlc.now()).toBeGreaterThan(a);
  });

  it('observe: later local epochs exceed a remote epoch from the future', () => {
    const hlc = new Hlc(() => 1_700_000_000_000);
    const remote = epochFromMs(1_700_000_100_000);
    hlc.observe(remote);
    expect(hlc.now()).toBeGreaterThan(remote);
    hlc.observe(EPOCH_MAX);
    expect(hlc.now()).toBeLessThan(EPOCH_MAX);
  });

  it('epochToMs: round-trips wall time at millisecond resolution', () => {
    const ms = Date.UTC(2026, 10, 21, 12, 0, 0, 123);
    expect(epochToMs(epochFromMs(ms))).toBe(ms);
    expect(Number.isSafeInteger(epochFromMs(Date.UTC(2080, 0, 1)))).toBe(true);
  });
});
