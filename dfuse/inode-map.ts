/**
 * Path → DFS handle (+ the last stat sent), the dentry and attribute cache of a path-based FUSE daemon.
 * fuse-native (libfuse2's high-level API) names every object by path, so dfuse resolves paths here:
 * the longest cached prefix, then one lookup per missing component. Entries are trusted for the
 * container's dentry time (directories: dentry-dir time); stats for the attribute time. Changes made
 * through this mount update or drop entries at once, so this mount sees its own changes immediately;
 * other clients' changes are seen when the times run out (DAOS dfuse semantics).
 *
 * Handles are reference counted: an operation pins the entry it works on, and an entry that is
 * dropped (invalidated, replaced, evicted) while pinned releases its handle when the last user unpins.
 * The map is bounded (LRU); the root entry is never dropped.
 *
 * A directory whose names are being walked (lookups of its names keep missing, one close behind the other:
 * `ls -l` or `find` walking a listing for longer than the entry time, mdtest's stat and remove phases, a build
 * stat'ing its sources) is listed whole with a handle per entry (DFS readdirplusHandles: one RPC per page,
 * sizes in one query per engine; with attribute caching off, no sizes, which no stat could use), as Lustre's
 * statahead does, and every name whose entry ran out is filled in from it, trusted from its page's start, with
 * its stat for the attribute time (not after it, unlike a stat a lookup read just now: insert) unless the file
 * is open here (its size may be moving) or a file was closed here while the page was read, and unless its
 * entry is in use; an entry still trusted or in use that the listing finds naming the same object is trusted
 * from the page's start too, with the stat read (names looked up or created a while apart would otherwise run
 * out a while apart, and have the directory listed again each time). A stat asked for while its name is
 * trusted counts as a miss too (listedStat). A lookup that missed waits only until the listing has gone past
 * its name (listing-progress.ts), not for the whole directory.
 * The more entries the directory had when last listed, the more misses it takes (walked-dirs.ts), and
 * directories over REFRESH_ENTRIES_MAX are never listed so. A name changed through
 * this mount while its page was read is left out, and a page read while the directory or one above it was
 * renamed or removed is dropped. A listing a client asks for (readdir) fills in the map the same way, for its
 * first page (readPage).
 */
import {
  type DirAnchor, type DirEntryPlus, type DirEntryRef, type DirPage, type Dfs, type DfsObject, type DfsStat, FsError, O_NOFOLLOW, oidEquals,
  timespecNow,
} from '../dfs/index.js';
import { KNOWN_NAMES_MAX, KnownNames, type ListingTicket } from './known-names.js';
import { ChangeTimes } from './change-times.js';
import { ListedXattrs } from './listed-xattrs.js';
import { ListingProgress } from './listing-progress.js';
import { childOf, parentOf } from './path.js';
import { REFRESH_ENTRIES_MAX, WalkedDirs } from './walked-dirs.js';

export interface MapEntry {
  readonly path: string;
  readonly handle: DfsObject;
  /** Until when (ms) lookups may trust the entry. */
  nameUntil: number;
  stat: DfsStat | undefined;
  statUntil: number;
  /** security.* xattr names known missing (the kernel probes security.capability before writes). */
  missingXattrs?: Set<string>;
  /** Created through this mount and given no xattr since: it has none. */
  noXattrs?: boolean;
  /**
   * Until when (ms) the handle's inode, read by the lookup or create that made the entry and not used for a
   * stat yet, counts as read just now (`stat`, if set then, was read with it): for the attribute time, and
   * with attribute caching off for FRESH_MS, time for the GETATTR that follows a lookup in one system call.
   */
  freshUntil: number;
  /**
   * Changes made through this mount (writes, truncations) since the entry was made: a stat fetched
   * while one happened may miss it and is not cached (see setStat).
   */
  changes: number;
  users: number;
  dropped: boolean;
}

export interface Validity {
  readonly dentryMs: number;
  readonly dentryDirMs: number;
  readonly attrMs: number;
  /** Negative entries (names known missing). */
  readonly negativeMs: number;
}

/** Whether a lookup may ask for the stat of the object `oid` together with the entry read. */
export type StatAhead = (oid: DfsObject['oid']) => boolean;

/** The files this mount has open (their sizes may be changing here), and how many closes it has seen. */
export interface OpenFiles {
  isOpen(oid: DfsObject['oid']): boolean;
  /** Last closes so far: a file closed while a listing was read may have had its last writes land after its size was read. */
  readonly closes: number;
}

const NO_OPEN_FILES: OpenFiles = { isOpen: () => false, closes: 0 };

/** Entries kept at most (each holds one DFS handle). */
export const MAP_ENTRIES_MAX = 1 << 16;
const RESOLVE_ATTEMPTS_MAX = 4;
/**
 * With attribute caching off, how long an inode a lookup or create read counts as read just now (MapEntry
 * freshUntil): long enough for the kernel's GETATTR right after its LOOKUP, short enough that a stat a
 * while later asks the engines, as attribute caching off says (the stat may have changed elsewhere since).
 */
const FRESH_MS = 50;
/** Changes remembered for refreshes at least this long (a page read for longer is dropped). */
const REFRESH_CHANGES_KEEP_MS = 10_000;

export class InodeMap {
  readonly #dfs: Dfs;
  readonly #validity: Validity;
  readonly #entriesMax: number;
  readonly #entries = new Map<string, MapEntry>();
  /**
   * Child paths by parent path, for every cached entry and each of its ancestors (cached or not), so a
   * subtree is dropped without a scan of the whole map even when a directory between was evicted.
   */
  readonly #children = new Map<string, Set<string>>();
  readonly #pending = new Map<string, Promise<MapEntry>>();
  readonly #root: MapEntry;
  readonly #known: KnownNames;
  readonly #listedXattrs: ListedXattrs;
  readonly #openFiles: OpenFiles;
  /** Directories whose lookups miss (refresh candidates) and the refreshes running. */
  readonly #walks = new WalkedDirs();
  readonly #refreshes = new Map<string, ListingProgress>();
  /** Paths whose names or attributes changed through this mount, and those renamed or removed (with what was below). */
  readonly #changed = new ChangeTimes(REFRESH_CHANGES_KEEP_MS);
  readonly #moved = new ChangeTimes(REFRESH_CHANGES_KEEP_MS);

  /** `openFiles`: files this mount has open get no stat from a refresh (default: none is). */
  constructor(dfs: Dfs, validity: Validity, options: { entriesMax?: number; openFiles?: OpenFiles } = {}) {
    this.#dfs = dfs;
    this.#validity = validity;
    this.#entriesMax = options.entriesMax ?? MAP_ENTRIES_MAX;
    this.#openFiles = options.openFiles ?? NO_OPEN_FILES;
    this.#known = new KnownNames(validity.negativeMs);
    this.#listedXattrs = new ListedXattrs(validity.attrMs);
    this.#root = { path: '/', handle: dfs.root, nameUntil: Infinity, stat: undefined, statUntil: 0, users: 1, dropped: false, freshUntil: 0, changes: 0 };
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry for `path`, resolved as needed and pinned: the caller must unpin() it. A caller that will
   * stat the entry passes `statAhead`: a name looked up again (its entry expired) then has its object asked
   * together with the entry read, for objects the predicate allows (not those with writes in flight).
   */
  async acquire(path: string, statAhead?: StatAhead): Promise<MapEntry> {
    for (let attempt = 1; attempt <= RESOLVE_ATTEMPTS_MAX; attempt += 1) {
      const entry = await this.#resolve(path, statAhead);
      // An entry dropped by a concurrent change between its lookup and now may have released its
      // handle: then resolve again (the drop removed it from the map, so that is a new lookup).
      if (!entry.handle.released) {
        entry.users += 1;
        return entry;
      }
    }
    throw new FsError('ESTALE', { syscall: 'lookup', path, detail: 'the entry kept changing while it was looked up' });
  }

  /** The cached entry of `path` while its name is trusted, without a lookup, a pin or an LRU touch. */
  peek(path: string): MapEntry | undefined {
    if (path === '/') return this.#root;
    const entry = this.#entries.get(path);
    return entry !== undefined && Date.now() < entry.nameUntil ? entry : undefined;
  }

  unpin(entry: MapEntry): void {
    if (entry === this.#root) return;
    entry.users -= 1;
    if (entry.users === 0 && entry.dropped) this.#dfs.release(entry.handle);
  }

  /** Runs `fn` on the pinned entry of `path`. */
  async with<T>(path: string, fn: (entry: MapEntry) => Promise<T> | T): Promise<T> {
    const entry = await this.acquire(path);
    try {
      return await fn(entry);
    } finally {
      this.unpin(entry);
    }
  }

  /**
   * Records a handle this mount just created or looked up (taking ownership of it), with its stat if known,
   * both read just now (fresh: freshUntil); or, with `listedAtMs`, a handle a listing read then: trusted from
   * then, and not fresh (a stat asked for once its attribute time ran out is asked of the engines).
   */
  insert(path: string, handle: DfsObject, stat?: DfsStat, listedAtMs?: number): MapEntry {
    this.#known.mayExist(path);
    const sinceMs = listedAtMs ?? Date.now();
    const entry: MapEntry = {
      path, handle, nameUntil: sinceMs + this.#nameValidityMs(handle), stat, statUntil: stat === undefined ? 0 : sinceMs + this.#validity.attrMs,
      users: 0, dropped: false, freshUntil: listedAtMs === undefined ? sinceMs + Math.max(this.#validity.attrMs, FRESH_MS) : 0, changes: 0,
    };
    this.#drop(path);
    this.#entries.set(path, entry);
    this.#link(path);
    this.#evictOverflow();
    return entry;
  }

  /** A listing read at `sinceMs` found the entry's name still naming its object (and its attributes `stat`, if usable). */
  #renew(entry: MapEntry, stat: DfsStat | undefined, sinceMs: number): void {
    entry.nameUntil = Math.max(entry.nameUntil, sinceMs + this.#nameValidityMs(entry.handle));
    const statUntil = sinceMs + this.#validity.attrMs;
    if (stat === undefined || statUntil <= entry.statUntil) return;
    entry.stat = stat;
    entry.statUntil = statUntil;
  }

  /**
   * The stat of `entry`, whose name is trusted but whose stat ran out, from a listing of its directory: a
   * stat that has to be asked for counts as a missed lookup of the name (a directory whose entries' stats
   * keep running out while they are walked, as mdtest's remove phases walk the names a stat phase read, is
   * listed whole like one whose names keep missing). undefined: none listed (yet); ask the engines. Not
   * with attribute caching off, where no listed stat would be valid.
   */
  async listedStat(entry: MapEntry): Promise<DfsStat | undefined> {
    if (this.#validity.attrMs === 0 || entry === this.#root) return undefined;
    const { parent, name } = parentOf(entry.path);
    const dir = this.peek(parent);
    const refresh = dir === undefined ? undefined : this.#refreshFor(dir);
    if (refresh === undefined) return undefined;
    await refresh.reached(name);
    return entry.dropped ? undefined : this.freshStat(entry);
  }

  /** The stat to answer getattr with, if still valid. */
  freshStat(entry: MapEntry): DfsStat | undefined {
    return entry.stat !== undefined && Date.now() < entry.statUntil ? entry.stat : undefined;
  }

  /** True once, soon after the entry's lookup: its inode is current, so a stat need not read the entry again. */
  takeFresh(entry: MapEntry): boolean {
    const fresh = Date.now() < entry.freshUntil;
    entry.freshUntil = 0;
    return fresh;
  }

  /**
   * Caches `stat`, fetched from the engines after `since = entry.changes` was read, unless a write or
   * truncation went through this mount in between: the stat may miss it (a write answered from the
   * write-back buffer while the size query ran), and caching it would later hand the kernel, whose own
   * idea of the size is right, an older size, so that the end of the file would vanish until the
   * attribute time ran out. The stat still answers the request it was fetched for: the kernel drops
   * the attributes of a reply that a write overtook.
   */
  setStat(entry: MapEntry, stat: DfsStat, since: number): void {
    if (entry.changes !== since) return;
    entry.stat = stat;
    entry.statUntil = Date.now() + this.#validity.attrMs;
  }

  /** Adjusts a cached stat after a write through this mount: size grows to `end`, times move to now. */
  noteWrite(path: string, end: number, oid: DfsObject['oid']): void {
    const entry = this.#entries.get(path);
    if (entry === undefined || !oidEquals(entry.handle.oid, oid)) return;
    entry.changes += 1;
    if (entry.stat === undefined) return;
    const time = timespecNow();
    const size = Math.max(entry.stat.size, end);
    entry.stat = { ...entry.stat, size, blocks: Math.ceil(size / 512), mtime: time, ctime: time };
  }

  /**
   * A directory changed through this mount (an entry created, removed or renamed in it): its cached stat
   * takes the new times instead of being dropped, so the kernel's revalidation of the parent, which
   * follows every such change, costs no RPC.
   */
  noteDirChange(path: string): void {
    this.#changed.note(path);
    const entry = path === '/' ? this.#root : this.#entries.get(path);
    if (entry?.stat === undefined) return;
    const time = timespecNow();
    entry.stat = { ...entry.stat, mtime: time, ctime: time };
  }

  /**
   * Forgets the cached stat of `path`: the next getattr asks the engines, and reads the entry again too
   * (the change may have gone through another handle, so the looked-up handle's inode may be behind).
   */
  forgetStat(path: string): void {
    this.#changed.note(path);
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    entry.statUntil = 0;
    entry.freshUntil = 0;
    entry.changes += 1;
  }

  /** Directory `path` was just made through this mount: names not made in it since are known missing for a while (known-names.ts). */
  knowEmpty(path: string): void {
    this.#known.empty(path);
  }

  /**
   * How long (ms) `path` is known not to exist without asking the engines; 0: not known. A directory whose
   * knowledge has just run out after answering many lookups is listed again in the background.
   */
  missingFor(path: string): number {
    const missing = this.#known.missingFor(path);
    if (missing.renew) void this.#relist(parentOf(path).parent);
    return missing.ms;
  }

  /** Lists directory `dir` (if its entry is cached) so that its names are known again; a failure only leaves them unknown. */
  async #relist(dir: string): Promise<void> {
    const entry = this.peek(dir);
    if (entry === undefined || entry.handle.kind !== 'dir') return;
    const ticket = this.#known.listing(dir);
    if (entry !== this.#root) entry.users += 1;
    try {
      const names: string[] = [];
      let anchor: DirAnchor | undefined;
      do {
        const page = await this.#dfs.readdir(entry.handle, anchor);
        names.push(...page.entries);
        anchor = page.anchor;
      } while (!anchor.eof && names.length <= KNOWN_NAMES_MAX);
      if (anchor.eof) this.#known.listed(ticket, names);
      else this.#known.abandon(ticket);
    } catch {
      this.#known.abandon(ticket);
    } finally {
      this.unpin(entry);
    }
  }

  /** A whole listing of directory `dir` starts (readdir): pass what this returns to `listed` once it is read, or failed. */
  listing(dir: string): ListingTicket {
    return this.#known.listing(dir);
  }

  /** The listing read `names`, every name of the directory (undefined: it failed, nothing is learned). */
  listed(ticket: ListingTicket, names: readonly string[] | undefined): void {
    if (names === undefined) {
      this.#known.abandon(ticket);
      return;
    }
    this.#known.listed(ticket, names);
    this.#walks.listed(ticket.dir, names.length);
  }

  /** The xattr names a listing showed `path` with, while the attribute time runs (listed-xattrs.ts). */
  listedXattrs(path: string): ReadonlySet<string> | undefined {
    return this.#listedXattrs.namesOf(path);
  }

  /** `path`'s xattrs are changing through this mount: what a listing showed of them no longer counts. */
  forgetListedXattrs(path: string): void {
    this.#changed.note(path);
    this.#listedXattrs.forget(path);
  }

  /** `path` may name something from now on (a create is about to be sent): it is never answered missing from what is known. */
  mayExist(path: string): void {
    this.#changed.note(path);
    this.#known.mayExist(path);
  }

  /** Drops `path`. */
  invalidate(path: string): void {
    this.#changed.note(path);
    this.#known.mayExist(path);
    this.#listedXattrs.forgetTree(path);
    this.#drop(path);
  }

  /** Drops `path` and everything below it (a directory was removed or renamed). */
  invalidateTree(path: string): void {
    this.#changed.note(path);
    this.#moved.note(path);
    this.#walks.forgetTree(path);
    this.#known.forgetTree(path);
    this.#listedXattrs.forgetTree(path);
    this.#invalidateTree(path);
  }

  #invalidateTree(path: string): void {
    if (path !== '/') this.#drop(path);
    const below = this.#children.get(path);
    if (below === undefined) return;
    for (const child of [...below]) this.#invalidateTree(child);
  }

  /** Releases every handle (unmount). */
  clear(): void {
    this.#walks.clear();
    this.#changed.clear();
    this.#moved.clear();
    this.#known.clear();
    this.#listedXattrs.clear();
    for (const key of [...this.#entries.keys()]) this.#drop(key);
  }

  /** A lookup in directory `dir` missed: the refresh to wait for, running or started now, if it is due (class comment). */
  #refreshFor(dir: MapEntry): ListingProgress | undefined {
    const running = this.#refreshes.get(dir.path);
    if (running !== undefined) return running;
    if (dir.handle.kind !== 'dir' || !this.#walks.missed(dir.path)) return undefined;
    const progress = new ListingProgress((anchor, name) => this.#dfs.listingPassed(dir.handle, anchor, name));
    this.#refreshes.set(dir.path, progress);
    void this.#refresh(dir, progress).finally(() => {
      this.#refreshes.delete(dir.path);
      progress.end();
    });
    return progress;
  }

  /**
   * Lists `dir` whole with a handle per entry and fills in the names whose entries ran out, telling
   * `progress` after each page (the lookups waiting for a name of it go on); never rejects.
   */
  async #refresh(dir: MapEntry, progress: ListingProgress): Promise<void> {
    const ticket = this.#known.listing(dir.path);
    if (dir !== this.#root) dir.users += 1;
    const names: string[] = [];
    try {
      let anchor: DirAnchor | undefined;
      do {
        const page = await this.#refreshPage(dir, anchor);
        for (const item of page.entries) names.push(item.name);
        anchor = page.anchor;
        progress.advance(anchor);
      } while (!anchor.eof && names.length <= REFRESH_ENTRIES_MAX);
      if (anchor.eof) this.#known.listed(ticket, names);
      else this.#known.abandon(ticket);
      this.#walks.listed(dir.path, names.length);
    } catch {
      // Nothing more is learned; the lookups waiting go to the engines one by one.
      this.#known.abandon(ticket);
    } finally {
      this.unpin(dir);
    }
  }

  /**
   * A page of a listing of directory `dir` (pinned by the caller) from `anchor`; `withHandles`: read with
   * a handle per entry, whose names fill in the map as a refresh does (class comment), so the names a
   * client just listed (the kernel's readdirplus gives it their dentries: what it does next to them comes
   * without a lookup; rm -r unlinks them, md5sum opens them) need no lookup here either. Without, only
   * the xattr names listed are noted.
   */
  async readPage(dir: MapEntry, anchor: DirAnchor | undefined, withHandles: boolean): Promise<DirPage<DirEntryPlus>> {
    const pageStartedMs = Date.now();
    if (!withHandles) {
      const page = await this.#dfs.readdirplus(dir.handle, anchor);
      this.#listedXattrs.note(dir.path, pageStartedMs, listedXattrsOf(page.entries));
      return page;
    }
    const closes = this.#openFiles.closes;
    const page = await this.#dfs.readdirplusHandles(dir.handle, anchor);
    // Files written here are open (their sizes may be moving) until a close has flushed them.
    const entries = this.#fill(dir, page.entries, pageStartedMs, this.#openFiles.closes === closes);
    return { entries, anchor: page.anchor };
  }

  /**
   * A page of a refresh of `dir`, filled in as readPage does; with attribute caching off, without the
   * attributes, which no stat could use (a listed entry is not fresh: insert).
   */
  async #refreshPage(dir: MapEntry, anchor: DirAnchor | undefined): Promise<DirPage<{ readonly name: string }>> {
    if (this.#validity.attrMs > 0) return this.readPage(dir, anchor, true);
    const pageStartedMs = Date.now();
    const page = await this.#dfs.readdirHandles(dir.handle, anchor);
    return { entries: this.#fill(dir, page.entries, pageStartedMs, false), anchor: page.anchor };
  }

  /**
   * Fills in the map from a listing page of `dir` read from `pageStartedMs` (class comment), with each
   * entry's stat when `stats` and the file is not open here; returns the entries as a client may be told
   * them (the xattr names of entries changed meanwhile left out).
   */
  #fill<E extends DirEntryRef & { readonly stat?: DfsStat }>(
    dir: MapEntry, listed: readonly E[], pageStartedMs: number, stats: boolean,
  ): Array<Omit<E, 'handle'>> {
    // Renamed or removed (it or above it) meanwhile, or read for too long to tell: nothing of the page is used.
    const dropped = this.#moved.sinceAbove(dir.path, pageStartedMs) || !this.#changed.covers(pageStartedMs);
    const entries: Array<Omit<E, 'handle'>> = [];
    for (const { handle, ...item } of listed) {
      const path = childOf(dir.path, item.name);
      const changed = dropped || this.#changed.since(path, pageStartedMs);
      entries.push(changed ? { ...item, xattrs: undefined } : item);
      const stat = stats && !this.#openFiles.isOpen(handle.oid) ? item.stat : undefined;
      // An entry in use (an operation on it may be changing it) or still trusted stays as it is, trusted
      // longer (with the stat read) if it names the same object: else names created a while apart
      // expire a while apart, and each batch of them would have the directory listed again. Changes
      // through this mount while the page was read are left out above (changed).
      const cached = this.#entries.get(path);
      if (changed || (cached !== undefined && (cached.users > 0 || Date.now() < cached.nameUntil))) {
        if (!changed && oidEquals(cached!.handle.oid, handle.oid)) this.#renew(cached!, stat, pageStartedMs);
        this.#dfs.release(handle);
      } else {
        this.insert(path, handle, stat, pageStartedMs);
      }
    }
    if (!dropped) this.#listedXattrs.note(dir.path, pageStartedMs, listedXattrsOf(entries));
    return entries;
  }

  #nameValidityMs(handle: DfsObject): number {
    return handle.kind === 'dir' ? this.#validity.dentryDirMs : this.#validity.dentryMs;
  }

  #drop(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    this.#entries.delete(path);
    this.#unlink(path);
    entry.dropped = true;
    if (entry.users === 0) this.#dfs.release(entry.handle);
  }

  /** Records `path` under its parent, and each ancestor under its own, up to the root. */
  #link(path: string): void {
    for (let child = path; child !== '/';) {
      const parent = parentOf(child).parent;
      let siblings = this.#children.get(parent);
      if (siblings === undefined) this.#children.set(parent, (siblings = new Set()));
      if (siblings.has(child)) return;
      siblings.add(child);
      child = parent;
    }
  }

  /** Forgets `path` (no longer cached) unless entries below it remain; ancestors left empty go too. */
  #unlink(path: string): void {
    for (let child = path; child !== '/' && !this.#entries.has(child) && !this.#children.has(child);) {
      const parent = parentOf(child).parent;
      const siblings = this.#children.get(parent);
      siblings?.delete(child);
      if (siblings !== undefined && siblings.size > 0) return;
      this.#children.delete(parent);
      child = parent;
    }
  }

  #evictOverflow(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#entriesMax) return;
      this.#drop(key);
    }
  }

  #resolve(path: string, statAhead: StatAhead | undefined): Promise<MapEntry> {
    if (path === '/') return Promise.resolve(this.#root);
    const cached = this.#entries.get(path);
    if (cached !== undefined && Date.now() < cached.nameUntil) {
      // Most recently used last: Map iteration order is the LRU order.
      this.#entries.delete(path);
      this.#entries.set(path, cached);
      return Promise.resolve(cached);
    }
    // Concurrent lookups of one path share one RPC.
    let pending = this.#pending.get(path);
    if (pending === undefined) {
      pending = this.#lookup(path, cached, statAhead).finally(() => this.#pending.delete(path));
      this.#pending.set(path, pending);
    }
    return pending;
  }

  /** Looks `path` up again (`prior`: its expired entry, if any) and caches what it names. */
  async #lookup(path: string, prior: MapEntry | undefined, statAhead: StatAhead | undefined): Promise<MapEntry> {
    const { parent, name } = parentOf(path);
    const dir = await this.acquire(parent);
    try {
      const refresh = this.#refreshFor(dir);
      if (refresh !== undefined) {
        await refresh.reached(name);
        const refreshed = this.#entries.get(path);
        if (refreshed !== undefined && Date.now() < refreshed.nameUntil) return refreshed;
        prior = refreshed ?? prior;
      }
      if (prior === undefined || statAhead === undefined || !statAhead(prior.handle.oid)) {
        return this.insert(path, await this.#dfs.lookupRel(dir.handle, name, O_NOFOLLOW));
      }
      const since = prior.changes;
      const { handle, stat } = await this.#dfs.lookupStat(dir.handle, name, O_NOFOLLOW, prior.handle);
      // A write through this mount meanwhile (noted on the old entry, or still buffered) may be missing from the stat.
      return this.insert(path, handle, prior.changes === since && statAhead(handle.oid) ? stat : undefined);
    } catch (error) {
      // A parent that vanished or changed kind elsewhere must not stay cached as it was.
      if (error instanceof FsError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) this.#drop(path);
      throw error;
    } finally {
      this.unpin(dir);
    }
  }
}

/** The xattr names of the entries that were listed with theirs. */
function listedXattrsOf(entries: ReadonlyArray<Pick<DirEntryRef, 'name' | 'xattrs'>>): Map<string, readonly string[]> {
  const xattrs = new Map<string, readonly string[]>();
  for (const item of entries) if (item.xattrs !== undefined) xattrs.set(item.name, item.xattrs);
  return xattrs;
}
