/**
 * dfuse's path cache refreshing a directory whose names are walked (InodeMap: listed whole after the
 * misses, the names and stats taken from the listing, entries changed meanwhile left out), against a real
 * DFS mount of a 3-engine in-process cluster.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { patternBytes } from '../test/harness/tree-digest.js';
import { type Dfs, O_CREAT, O_RDWR } from '../dfs/index.js';
import { InodeMap, type OpenFiles, type Validity } from './inode-map.js';
import { REFRESH_AFTER_MISSES } from './walked-dirs.js';
import { useDfsBed } from '../test/harness/dfs-bed.js';

let fs: Dfs;

useDfsBed('dfuse-refresh', (bed) => ({ fs } = bed));

describe('inode map: a directory whose names are walked is listed whole (refresh)', () => {
  const SHORT = { dentryMs: 300, dentryDirMs: 60_000, attrMs: 300, negativeMs: 300 };
  const COUNT = 100;
  const names = Array.from({ length: COUNT }, (_, index) => `n${index}`);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    const dir = await fs.mkdir(fs.root, 'big');
    for (const [index, name] of names.entries()) {
      const file = await fs.open(dir, name, O_CREAT | O_RDWR, 0o644);
      await fs.write(file, patternBytes(index, 3), 0);
      fs.release(file);
    }
    fs.release(dir);
  });

  /**
   * A map (with `/big` listed whole and run out, if `listed`); `calls` counts its DFS lookups and refresh
   * pages; `duringPage` runs once, as the first refresh page is read.
   */
  async function walker(options: { listed?: boolean; openFiles?: OpenFiles; duringPage?: (map: InodeMap) => void; validity?: Validity } = {}) {
    const map = new InodeMap(fs, options.validity ?? SHORT, { openFiles: options.openFiles });
    /** refreshes: pages read; statless: those read without attributes. */
    const calls = { lookups: 0, refreshes: 0, statless: 0 };
    let duringPage = options.duringPage;
    const spies = (['lookupRel', 'lookupStat', 'readdirplusHandles', 'readdirHandles'] as const).map((method) => {
      const original = Object.getPrototypeOf(fs)[method] as (...args: unknown[]) => Promise<unknown>;
      return vi.spyOn(fs, method).mockImplementation(async (...args: unknown[]) => {
        if (method === 'readdirHandles') calls.statless += 1;
        if (method !== 'readdirplusHandles' && method !== 'readdirHandles') {
          calls.lookups += 1;
          return Reflect.apply(original, fs, args) as never;
        }
        calls.refreshes += 1;
        const page = await Reflect.apply(original, fs, args);
        duringPage?.(map);
        duringPage = undefined;
        return page as never;
      });
    });
    if (options.listed === true) {
      map.listed(map.listing('/big'), names);
      await sleep(SHORT.dentryMs + 50);
    }
    return { map, calls, restore: () => spies.forEach((spy) => spy.mockRestore()) };
  }

  it('a listed directory walked after its entries ran out: listed again once, the rest answered from it', async () => {
    const { map, calls, restore } = await walker({ listed: true });
    try {
      const entries = [];
      for (const name of names) entries.push(await map.acquire(`/big/${name}`, () => true));
      expect(calls.lookups, '/big itself, then the names before the refresh starts').toBe(1 + REFRESH_AFTER_MISSES - 1);
      expect(calls.refreshes).toBe(1);
      for (const [index, entry] of entries.entries()) {
        if (index >= REFRESH_AFTER_MISSES - 1) expect(entry.stat?.size, names[index]).toBe(index);
        map.unpin(entry);
      }
      // The count starts again: a few misses right after do not list it again.
      await sleep(SHORT.dentryMs + 50);
      for (const name of names.slice(0, REFRESH_AFTER_MISSES - 1)) map.unpin(await map.acquire(`/big/${name}`));
      expect(calls.refreshes).toBe(1);
    } finally {
      restore();
      map.clear();
    }
  });

  it('a directory never listed, walked by name (mdtest\'s stat phase): listed whole after the misses', async () => {
    const { map, calls, restore } = await walker();
    try {
      for (const name of names) map.unpin(await map.acquire(`/big/${name}`, () => true));
      expect([calls.lookups, calls.refreshes]).toEqual([1 + REFRESH_AFTER_MISSES - 1, 1]);
      expect(map.peek('/big/n99')?.stat?.size).toBe(99);
    } finally {
      restore();
      map.clear();
    }
  });

  it('attribute caching off: the directory is listed without attributes, its names trusted, none fresh', async () => {
    const { map, calls, restore } = await walker({ validity: { ...SHORT, attrMs: 0 } });
    try {
      for (const name of names) map.unpin(await map.acquire(`/big/${name}`, () => true));
      expect([calls.lookups, calls.refreshes, calls.statless]).toEqual([1 + REFRESH_AFTER_MISSES - 1, 1, 1]);
      const listed = map.peek('/big/n99');
      expect(listed?.stat).toBeUndefined();
      expect(map.takeFresh(listed!), 'a stat of it reads its entry again').toBe(false);
    } finally {
      restore();
      map.clear();
    }
  });

  it('names still trusted when the listing comes are trusted longer (with their stats), not left to run out one by one', async () => {
    const validity = { ...SHORT, dentryMs: 600, attrMs: 600 };
    const { map, calls, restore } = await walker({ validity });
    try {
      const early = names.slice(0, 5);
      for (const name of early) map.unpin(await map.acquire(`/big/${name}`));
      // n4 now names another object (replaced elsewhere): its entry is not the one listed.
      const big = await fs.lookup('/big');
      await fs.remove(big, 'n4');
      const file = await fs.open(big, 'n4', O_CREAT | O_RDWR, 0o644);
      await fs.write(file, patternBytes(4, 3), 0);
      fs.release(file);
      fs.release(big);
      await sleep(validity.dentryMs / 2);
      for (const name of names.slice(early.length)) map.unpin(await map.acquire(`/big/${name}`));
      expect(calls.refreshes).toBe(1);
      const lookups = calls.lookups;
      // Past the time the early names were looked up for, within the time from the listing.
      await sleep(validity.dentryMs / 2 + 100);
      for (const name of early.slice(0, 4)) {
        const entry = await map.acquire(`/big/${name}`);
        expect(map.freshStat(entry)?.size, name).toBe(Number(name.slice(1)));
        map.unpin(entry);
      }
      expect(calls.lookups, 'no early name looked up again').toBe(lookups);
      map.unpin(await map.acquire('/big/n4'));
      expect(calls.lookups, 'the replaced one is').toBe(lookups + 1);
      expect(calls.refreshes).toBe(1);
    } finally {
      restore();
      map.clear();
    }
  });

  it('names trusted whose stats ran out, walked for their stats: listed whole after the misses, the stats taken from it', async () => {
    const validity = { ...SHORT, dentryMs: 60_000, attrMs: 300 };
    const { map, calls, restore } = await walker({ validity });
    try {
      for (const name of names) map.unpin(await map.acquire(`/big/${name}`));
      expect(calls.refreshes).toBe(1);
      await sleep(validity.attrMs + 50);
      const lookups = calls.lookups;
      let asked = 0;
      for (const [index, name] of names.entries()) {
        const entry = await map.acquire(`/big/${name}`);
        const stat = map.freshStat(entry) ?? await map.listedStat(entry);
        if (stat === undefined) asked += 1;
        else expect(stat.size, name).toBe(index);
        map.unpin(entry);
      }
      expect(calls.lookups, 'every name still trusted').toBe(lookups);
      expect(asked, 'the stats asked for before the listing').toBe(REFRESH_AFTER_MISSES - 1);
      expect(calls.refreshes).toBe(2);
    } finally {
      restore();
      map.clear();
    }
    // With attribute caching off no listed stat would be valid: none is listed for one.
    const uncached = await walker({ validity: { ...SHORT, dentryMs: 60_000, attrMs: 0 } });
    try {
      for (const name of names) uncached.map.unpin(await uncached.map.acquire(`/big/${name}`));
      for (const name of names) {
        const entry = await uncached.map.acquire(`/big/${name}`);
        expect(await uncached.map.listedStat(entry)).toBeUndefined();
        uncached.map.unpin(entry);
      }
      expect(uncached.calls.refreshes).toBe(1);
    } finally {
      uncached.restore();
      uncached.map.clear();
    }
  });

  it('a lookup waiting for a refresh goes on once the listing has passed its name, not at its end', async () => {
    const map = new InodeMap(fs, SHORT);
    const original = Object.getPrototypeOf(fs).readdirplusHandles as Dfs['readdirplusHandles'];
    let pages = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Pages of 10 entries (byte order: n0, n1, n10..n17, then n18, n19, n2, n20..n26, ...); from the third on, held at the gate.
    const spy = vi.spyOn(fs, 'readdirplusHandles').mockImplementation(async (dir, anchor) => {
      pages += 1;
      const page = await Reflect.apply(original, fs, [dir, anchor, 10]);
      if (pages >= 3) await gate;
      return page;
    });
    const lookups = vi.spyOn(fs, 'lookupRel');
    try {
      for (const name of names.slice(50, 50 + REFRESH_AFTER_MISSES - 1)) map.unpin(await map.acquire(`/big/${name}`));
      let lastDone = false;
      const last = map.acquire('/big/n99').then((entry) => ((lastDone = true), entry));
      last.catch(() => undefined);
      const before = lookups.mock.calls.length;
      const firstLookup = map.acquire('/big/n1');
      const first = await Promise.race([firstLookup, sleep(2000).then(() => undefined)]);
      if (first === undefined) {
        open();
        map.unpin(await firstLookup);
        map.unpin(await last);
        expect.fail('n1 waited for the whole listing');
      }
      expect(first.handle.name).toBe('n1');
      expect(lookups.mock.calls.length, 'n1 came from the listing').toBe(before);
      expect(pages, 'the listing has not gone past its third page').toBeLessThanOrEqual(3);
      expect(lastDone, 'n99 (a later page) still waits').toBe(false);
      open();
      map.unpin(await last);
      expect(lastDone).toBe(true);
      expect(lookups.mock.calls.length, 'n99 came from the listing too').toBe(before);
      map.unpin(first);
    } finally {
      open();
      spy.mockRestore();
      lookups.mockRestore();
      map.clear();
    }
  });

  it('a name changed here while its page was read, or in use, is left out; a rename above drops the page; open files, and all during a close, get no stat', async () => {
    const changed = await walker({ duringPage: (map) => map.invalidate('/big/n50') });
    try {
      for (const name of names) changed.map.unpin(await changed.map.acquire(`/big/${name}`));
      expect(changed.calls.lookups, '/big, the misses before the refresh, then n50 on its own').toBe(1 + REFRESH_AFTER_MISSES - 1 + 1);
    } finally {
      changed.restore();
      changed.map.clear();
    }
    // An entry in use (pinned) when the refresh comes keeps its handle, even once its time ran out, and
    // is trusted again from the listing when it names the same object.
    const pinned = await walker();
    try {
      const held = await pinned.map.acquire('/big/n60');
      await sleep(SHORT.dentryMs + 50);
      for (const name of names) {
        const entry = await pinned.map.acquire(`/big/${name}`);
        if (name === 'n60') expect(entry, 'the held entry itself').toBe(held);
        pinned.map.unpin(entry);
      }
      expect(pinned.calls.refreshes).toBe(1);
      expect(pinned.calls.lookups, '/big, n60 (held), the misses before the refresh').toBe(1 + 1 + (REFRESH_AFTER_MISSES - 2));
      pinned.map.unpin(held);
    } finally {
      pinned.restore();
      pinned.map.clear();
    }
    const moved = await walker({ duringPage: (map) => map.invalidateTree('/big') });
    try {
      for (const name of names.slice(0, REFRESH_AFTER_MISSES)) moved.map.unpin(await moved.map.acquire(`/big/${name}`));
      expect(moved.calls.refreshes).toBe(1);
      expect(moved.map.peek('/big/n99'), 'nothing of the dropped page').toBeUndefined();
    } finally {
      moved.restore();
      moved.map.clear();
    }
    const open = await fs.lookup('/big/n70');
    const withOpen = await walker({ openFiles: { isOpen: (oid) => oid.hi === open.oid.hi && oid.lo === open.oid.lo, closes: 0 } });
    try {
      for (const name of names) withOpen.map.unpin(await withOpen.map.acquire(`/big/${name}`));
      expect(withOpen.calls.refreshes).toBe(1);
      expect(withOpen.map.peek('/big/n70')?.stat, 'open here: its size may be moving').toBeUndefined();
      expect(withOpen.map.peek('/big/n71')?.stat?.size).toBe(71);
    } finally {
      withOpen.restore();
      withOpen.map.clear();
      fs.release(open);
    }
    // A file closed while a page was read may have had its last writes land after its size was read.
    const openFiles = { isOpen: () => false, closes: 0 };
    const closing = await walker({ openFiles, duringPage: () => (openFiles.closes += 1) });
    try {
      for (const name of names) closing.map.unpin(await closing.map.acquire(`/big/${name}`));
      expect(closing.calls.refreshes).toBe(1);
      expect(closing.map.peek('/big/n71'), 'the name is filled in').toBeDefined();
      expect(closing.map.peek('/big/n71')?.stat, 'but not its stat').toBeUndefined();
    } finally {
      closing.restore();
      closing.map.clear();
    }
  });
});
