import { describe, expect, it } from 'vitest';
import { CRASH_POINTS, CrashPoints, type CrashPointName, faultsEnabled, isCrashPointName } from './faults.js';

describe('crash points', () => {
  it('countdown: after = 2 -> the third hit fires, once; other points never', () => {
    const fired: CrashPointName[] = [];
    const points = new CrashPoints((name) => fired.push(name));
    points.arm('tx.commit.before-apply', 2);
    for (let hit = 0; hit < 5; hit++) {
      points.hit('tx.commit.before-apply');
      points.hit('tx.prepare.after-persist');
    }
    expect(fired).toEqual(['tx.commit.before-apply']);
    expect(points.isArmed('tx.commit.before-apply')).toBe(false);
  });

  it('after = 0 -> the first hit fires; disarm -> never', () => {
    const fired: CrashPointName[] = [];
    const points = new CrashPoints((name) => fired.push(name));
    points.arm('tx.decide.after-persist', 0);
    points.hit('tx.decide.after-persist');
    points.arm('tx.prepare.before-persist', 0);
    points.disarm('tx.prepare.before-persist');
    points.hit('tx.prepare.before-persist');
    expect(fired).toEqual(['tx.decide.after-persist']);
  });

  it('bad countdown -> RangeError; names and the env switch are checked', () => {
    const points = new CrashPoints(() => undefined);
    expect(() => points.arm('tx.commit.after-apply', -1)).toThrow(RangeError);
    expect(() => points.arm('tx.commit.after-apply', 1.5)).toThrow(RangeError);
    expect(CRASH_POINTS.every(isCrashPointName)).toBe(true);
    expect(isCrashPointName('tx.nowhere')).toBe(false);
    expect(faultsEnabled({ TSDAOS_FAULTS: '1' })).toBe(true);
    expect(faultsEnabled({ TSDAOS_FAULTS: 'yes' })).toBe(false);
    expect(faultsEnabled({})).toBe(false);
  });
});
