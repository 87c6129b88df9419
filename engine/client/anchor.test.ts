import { describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import { advanceAnchor, anchorCursor, checkAnchor, splitAnchors, startAnchor } from './anchor.js';

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
});
