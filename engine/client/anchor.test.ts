import { describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import { dkeyGroup } from '../placement/placement.js';
import { advanceAnchor, anchorCursor, anchorPassed, checkAnchor, splitAnchors, startAnchor } from './anchor.js';

describe('anchor', () => {
  it('advance: cursor inside a group -> same group, cursor kept as base64', () => {
    const next = advanceAnchor(startAnchor(), Buffer.from('k9'), 3);
    expect(next).toEqual({ group: 0, cursor: Buffer.from('k9').toString('base64'), pinned: false, eof: false });
    expect(anchorCursor(next)).toEqual(Buffer.from('k9'));
  });

  it('advance: group exhausted -> next group from its start', () => {
    const next = advanceAnchor({ group: 0, cursor: 'AA==', pinned: false, eof: false }, null, 3);
    expect(next).toEqual({ group: 1, cursor: null, pinned: false, eof: false });
    expect(anchorCursor(next)).toBeNull();
  });

  it('advance: last group exhausted -> eof', () => {
    expect(advanceAnchor({ group: 2, cursor: null, pinned: false, eof: false }, null, 3).eof).toBe(true);
  });

  it('advance: pinned anchor stops at the end of its group', () => {
    const [, second] = splitAnchors(3);
    const next = advanceAnchor(second!, null, 3);
    expect(next).toMatchObject({ group: 1, eof: true });
  });

  it('split: one pinned anchor per group, in order', () => {
    expect(splitAnchors(4).map((anchor) => [anchor.group, anchor.pinned, anchor.eof])).toEqual([
      [0, true, false], [1, true, false], [2, true, false], [3, true, false],
    ]);
  });

  it('anchors survive a JSON round trip', () => {
    const anchor = advanceAnchor(startAnchor(), Buffer.from([0, 255, 7]), 2);
    const back = checkAnchor(JSON.parse(JSON.stringify(anchor)), 2);
    expect(anchorCursor(back)).toEqual(Buffer.from([0, 255, 7]));
  });

  it('check: group outside the object -> INVAL', () => {
    expect(() => checkAnchor({ group: 5, cursor: null, pinned: false, eof: false }, 2)).toThrow(expect.objectContaining({ der: Der.INVAL }));
  });

  it('passed: a listing has gone past a key once its group is done, or its cursor is at or after the key', () => {
    const key = (text: string): Buffer => Buffer.from(text);
    const at = (group: number, cursor: string | null, extra: { pinned?: boolean; eof?: boolean } = {}) =>
      ({ group, cursor: cursor === null ? null : key(cursor).toString('base64'), pinned: extra.pinned ?? false, eof: extra.eof ?? false });
    // One group: byte order decides.
    expect(anchorPassed(startAnchor(), key('a'), 1)).toBe(false);
    expect(anchorPassed(at(0, 'm'), key('l'), 1)).toBe(true);
    expect(anchorPassed(at(0, 'm'), key('m'), 1)).toBe(true);
    expect(anchorPassed(at(0, 'm'), key('m0'), 1)).toBe(false);
    expect(anchorPassed(at(0, 'm', { eof: true }), key('z'), 1)).toBe(true);
    // Several groups: the key's own group decides (earlier groups are done, later ones not begun).
    const names = Array.from({ length: 64 }, (_, index) => `n${index}`);
    const groupOf = (name: string): number => dkeyGroup(key(name), 4);
    const inTwo = names.filter((name) => groupOf(name) === 2);
    expect(inTwo.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(anchorPassed(at(2, null), key(name), 4), name).toBe(groupOf(name) < 2);
      expect(anchorPassed(at(2, '~'), key(name), 4), name).toBe(groupOf(name) <= 2);
      // A pinned anchor covers its own group only.
      expect(anchorPassed(at(2, '~', { pinned: true }), key(name), 4), name).toBe(groupOf(name) === 2);
    }
  });
});
