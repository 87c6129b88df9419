import { afterEach, describe, expect, it, vi } from 'vitest';
import { LISTINGS_KEPT_MAX, LISTING_KEPT_NAMES_MAX, type Listing, ListingReuse } from './listing-reuse.js';

const listing = (...names: string[]): Listing => ({ names: ['.', '..', ...names], stats: [] });

describe('listing reuse', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a listing kept is answered again within the window, not after it', () => {
    vi.useFakeTimers();
    const reuse = new ListingReuse(1000);
    const read = listing('a', 'b');
    reuse.keep('/d', reuse.start(), read);
    vi.advanceTimersByTime(999);
    expect(reuse.take('/d')).toBe(read);
    expect(reuse.take('/other')).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(reuse.take('/d')).toBeUndefined();
  });

  it('the window counts from the start of the listing, not from its end', () => {
    vi.useFakeTimers();
    const reuse = new ListingReuse(1000);
    const start = reuse.start();
    vi.advanceTimersByTime(600);
    reuse.keep('/d', start, listing('a'));
    vi.advanceTimersByTime(400);
    expect(reuse.take('/d')).toBeUndefined();
  });

  it('a change here ends every listing kept; one during a listing keeps it from being kept', () => {
    const reuse = new ListingReuse(60_000);
    reuse.keep('/d', reuse.start(), listing('a'));
    reuse.keep('/e', reuse.start(), listing('b'));
    reuse.noteChange();
    expect(reuse.take('/d')).toBeUndefined();
    expect(reuse.take('/e')).toBeUndefined();
    const start = reuse.start();
    reuse.noteChange();
    reuse.keep('/d', start, listing('a'));
    expect(reuse.take('/d'), 'changed while it was read').toBeUndefined();
    reuse.keep('/d', reuse.start(), listing('a', 'c'));
    expect(reuse.take('/d')?.names).toEqual(['.', '..', 'a', 'c']);
  });

  it('off with a window of 0; large listings and the least recently kept beyond the cap are not kept', () => {
    const off = new ListingReuse(0);
    off.keep('/d', off.start(), listing('a'));
    expect(off.take('/d')).toBeUndefined();
    const reuse = new ListingReuse(60_000);
    reuse.keep('/big', reuse.start(), listing(...Array.from({ length: LISTING_KEPT_NAMES_MAX }, (_, index) => `n${index}`)));
    expect(reuse.take('/big'), 'over the cap with . and ..').toBeUndefined();
    for (let index = 0; index <= LISTINGS_KEPT_MAX; index += 1) reuse.keep(`/d${index}`, reuse.start(), listing('x'));
    expect(reuse.take('/d0')).toBeUndefined();
    expect(reuse.take('/d1')).toBeDefined();
    expect(reuse.take(`/d${LISTINGS_KEPT_MAX}`)).toBeDefined();
  });
});
