/**
 * Known names (known-names.ts): a directory made here answers other names missing for the negative time,
 * never a name that may exist; renames and removals forget what was known below them; bounds hold.
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_DIRS_MAX, KNOWN_NAMES_MAX, KnownNames, RENEW_AFTER_ANSWERS } from './known-names.js';

describe('known names', () => {
  it('a directory made here: other names are missing until the time runs out', async () => {
    const known = new KnownNames(40);
    expect(known.missingFor('/d/x').ms).toBe(0);
    known.empty('/d');
    const left = known.missingFor('/d/x').ms;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(40);
    expect(known.missingFor('/d/sub/x').ms, 'below a known directory is not known').toBe(0);
    expect(known.missingFor('/e/x').ms).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(known.missingFor('/d/x').ms).toBe(0);
  });

  it('a name that may exist is never answered missing', () => {
    const known = new KnownNames(60_000);
    known.empty('/d');
    known.mayExist('/d/made');
    expect(known.missingFor('/d/made').ms).toBe(0);
    expect(known.missingFor('/d/other').ms).toBeGreaterThan(0);
    known.forgetTree('/d/renamed-here');
    expect(known.missingFor('/d/renamed-here').ms, 'a rename target or removed name may exist').toBe(0);
  });

  it('a directory renamed or removed: nothing is known of it or below it; siblings keep theirs', () => {
    const known = new KnownNames(60_000);
    for (const dir of ['/a', '/a/b', '/a/b/c', '/ab']) known.empty(dir);
    known.forgetTree('/a/b');
    expect(known.missingFor('/a/b/x').ms).toBe(0);
    expect(known.missingFor('/a/b/c/x').ms).toBe(0);
    expect(known.missingFor('/a/x').ms).toBeGreaterThan(0);
    expect(known.missingFor('/a/b').ms, 'its own name may exist again').toBe(0);
    expect(known.missingFor('/ab/x').ms, 'a sibling sharing a prefix keeps its knowledge').toBeGreaterThan(0);
    known.forgetTree('/');
    expect(known.missingFor('/ab/x').ms).toBe(0);
  });

  it('made again: starts empty again; a zero negative time knows nothing', () => {
    const known = new KnownNames(60_000);
    known.empty('/d');
    known.mayExist('/d/x');
    known.empty('/d');
    expect(known.missingFor('/d/x').ms).toBeGreaterThan(0);
    const off = new KnownNames(0);
    off.empty('/d');
    expect(off.missingFor('/d/x').ms).toBe(0);
  });

  it('bounded: too many names forget the directory; too many directories forget the least recently useful', () => {
    const known = new KnownNames(60_000);
    known.empty('/big');
    for (let index = 0; index <= KNOWN_NAMES_MAX; index += 1) known.mayExist(`/big/n${index}`);
    expect(known.missingFor('/big/other').ms).toBe(0);
    known.empty('/used');
    for (let index = 0; index < KNOWN_DIRS_MAX; index += 1) {
      known.empty(`/dir${index}`);
      expect(known.missingFor('/used/x').ms).toBeGreaterThan(0);
    }
    expect(known.missingFor('/dir0/x').ms, 'the least recently useful went').toBe(0);
    expect(known.missingFor(`/dir${KNOWN_DIRS_MAX - 1}/x`).ms).toBeGreaterThan(0);
  });

  it('run out after answering many lookups: worth listing again, once; a listing knows what it read plus what was hinted meanwhile', async () => {
    const known = new KnownNames(30);
    known.empty('/busy');
    known.empty('/quiet');
    for (let index = 0; index < RENEW_AFTER_ANSWERS; index += 1) expect(known.missingFor(`/busy/n${index}`).ms).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(known.missingFor('/quiet/x')).toEqual({ ms: 0, renew: false });
    expect(known.missingFor('/busy/x')).toEqual({ ms: 0, renew: true });
    const ticket = known.listing('/busy');
    known.mayExist('/busy/made-while-listing');
    known.listed(ticket, ['a', 'b']);
    expect(known.missingFor('/busy/a').ms).toBe(0);
    expect(known.missingFor('/busy/made-while-listing').ms).toBe(0);
    expect(known.missingFor('/busy/c').ms).toBeGreaterThan(0);
  });

  it('a listing of a directory renamed or removed meanwhile, or abandoned, knows nothing', () => {
    const known = new KnownNames(60_000);
    const moved = known.listing('/a/b');
    known.forgetTree('/a');
    known.listed(moved, []);
    expect(known.missingFor('/a/b/x').ms).toBe(0);
    const failed = known.listing('/c');
    known.abandon(failed);
    known.listed(failed, []);
    expect(known.missingFor('/c/x').ms).toBe(0);
    const fine = known.listing('/d');
    known.listed(fine, ['x']);
    expect(known.missingFor('/d/x').ms).toBe(0);
    expect(known.missingFor('/d/y').ms).toBeGreaterThan(0);
  });

  it('listings at once: each keeps the hints made while it ran; an older one ending last does not replace a newer one', async () => {
    const known = new KnownNames(60_000);
    const first = known.listing('/d');
    known.mayExist('/d/early');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = known.listing('/d');
    known.mayExist('/d/late');
    known.listed(second, ['x']);
    expect(known.missingFor('/d/late').ms).toBe(0);
    expect(known.missingFor('/d/x').ms).toBe(0);
    expect(known.missingFor('/d/early').ms, 'hinted before the second listing began: that hint belongs to the first one only').toBeGreaterThan(0);
    known.listed(first, ['x', 'early']);
    expect(known.missingFor('/d/early').ms, 'the newer listing stays: it began after the hint and did not find the name').toBeGreaterThan(0);
    expect(known.missingFor('/d/y').ms).toBeGreaterThan(0);
    const third = known.listing('/e');
    const fourth = known.listing('/e');
    known.mayExist('/e/made');
    known.listed(fourth, []);
    known.listed(third, []);
    expect(known.missingFor('/e/made').ms, 'every listing in flight got the hint').toBe(0);
    known.listed(third, []);
    expect(known.missingFor('/e/made').ms, 'a ticket ends once').toBe(0);
  });
});
