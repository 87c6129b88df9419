import { describe, expect, it } from 'vitest';
import { LISTED_DIRS_MAX, ListedXattrs } from './listed-xattrs.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('xattr names from directory listings', () => {
  it('a listed entry answers with its names for the attribute time; unlisted ones and other directories know nothing', async () => {
    const listed = new ListedXattrs(40);
    listed.note('/d', Date.now(), new Map([['plain', []], ['tagged', ['user.a', 'security.selinux']]]));
    expect([...listed.namesOf('/d/plain')!]).toEqual([]);
    expect(listed.namesOf('/d/tagged')!.has('security.selinux')).toBe(true);
    expect(listed.namesOf('/d/other')).toBeUndefined();
    expect(listed.namesOf('/e/plain')).toBeUndefined();
    await sleep(60);
    expect(listed.namesOf('/d/plain'), 'the attribute time ran out').toBeUndefined();
  });

  it('a change here forgets the entry, and a listing that ran across the change does not bring it back', async () => {
    const listed = new ListedXattrs(60_000);
    listed.note('/d', Date.now(), new Map([['a', []], ['b', []]]));
    const started = Date.now();
    await sleep(2);
    listed.forget('/d/a');
    expect(listed.namesOf('/d/a')).toBeUndefined();
    expect(listed.namesOf('/d/b')).toBeDefined();
    listed.note('/d', started, new Map([['a', []], ['b', []]]));
    expect(listed.namesOf('/d/a'), 'read before the change, noted after it').toBeUndefined();
    expect(listed.namesOf('/d/b')).toBeDefined();
    await sleep(2);
    listed.note('/d', Date.now(), new Map([['a', ['user.x']]]));
    expect([...listed.namesOf('/d/a')!], 'a listing begun after the change counts').toEqual(['user.x']);
  });

  it('a rename or removal forgets the listings of it and below it, and of listings running meanwhile', async () => {
    const listed = new ListedXattrs(60_000);
    const started = Date.now();
    listed.note('/top/sub', started, new Map([['f', []]]));
    listed.note('/top', started, new Map([['sub', []], ['g', []]]));
    listed.note('/other', started, new Map([['h', []]]));
    await sleep(2);
    listed.forgetTree('/top');
    expect(listed.namesOf('/top/sub/f')).toBeUndefined();
    expect(listed.namesOf('/top/g')).toBeUndefined();
    expect(listed.namesOf('/other/h')).toBeDefined();
    listed.note('/top/sub', started, new Map([['f', []]]));
    expect(listed.namesOf('/top/sub/f'), 'a listing below a renamed directory, begun before the rename').toBeUndefined();
  });

  it('pages of one listing add up, each entry trusted from the start of its own page', async () => {
    const listed = new ListedXattrs(40);
    listed.note('/d', Date.now() - 30, new Map([['early', []]]));
    listed.note('/d', Date.now(), new Map([['late', []]]));
    expect(listed.namesOf('/d/early')).toBeDefined();
    await sleep(20);
    expect(listed.namesOf('/d/early'), 'its page began 50 ms ago').toBeUndefined();
    expect(listed.namesOf('/d/late'), 'its page began 20 ms ago').toBeDefined();
    listed.note('/d', Date.now() - 60, new Map([['stale', []]]));
    expect(listed.namesOf('/d/stale'), 'a page older than the attribute time adds nothing').toBeUndefined();
  });

  it('zero attribute time keeps nothing; past the bound the oldest directory goes', () => {
    const off = new ListedXattrs(0);
    off.note('/d', Date.now(), new Map([['a', []]]));
    expect(off.namesOf('/d/a')).toBeUndefined();
    const listed = new ListedXattrs(60_000);
    for (let index = 0; index <= LISTED_DIRS_MAX; index += 1) listed.note(`/d${index}`, Date.now(), new Map([['a', []]]));
    expect(listed.namesOf('/d0/a')).toBeUndefined();
    expect(listed.namesOf(`/d${LISTED_DIRS_MAX}/a`)).toBeDefined();
  });
});
