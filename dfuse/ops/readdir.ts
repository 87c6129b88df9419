/**
 * readdir: the whole directory at once (requests.ts keeps it per open directory and serves the kernel's
 * offsets from that copy, so offsets survive concurrent changes), with each
 * entry's type and inode number (readdirplus pages). The mount root also lists `.snapshot`;
 * `.snapshot` lists the snapshots by name. Every name listed may exist from then on (known-names.ts), so a
 * lookup of it right after the listing is never answered missing from older knowledge; and as the listing
 * is the whole directory, names it did not read are known missing for the negative-entry time from its
 * start. The entries' xattr names come with the listing too, so `ls -l`'s probes of each need no RPC
 * (listed-xattrs.ts), and so do their handles (first page): the names listed need no lookup (InodeMap.readPage).
 * A listing read here is answered again for a while (listing-reuse.ts). Buffered writes go out first.
 */
import type { DirAnchor } from '../../dfs/index.js';
import { type FuseStat, toFuseStat } from '../fuse-stat.js';
import type { Listing } from '../listing-reuse.js';
import { childOf, parentOf } from '../path.js';
import { SNAPSHOT_DIR_NAME } from '../snapshot-dir.js';
import { type DfuseState, route } from '../state.js';
import { entryStat, getattr } from './getattr.js';

export async function readdir(state: DfuseState, path: string): Promise<Listing> {
  const target = await route(state, path);
  if (target.kind === 'snapshot-dir') return { names: ['.', '..', ...(await state.snapshots.names())], stats: [] };
  const { view } = target;
  const kept = view.listings.take(target.path);
  if (kept !== undefined) return kept;
  const start = view.listings.start();
  // The listing's sizes and times come from the engines, so they must include every write this mount has
  // answered: the kernel replaces the attributes it holds with readdirplus's (unless one of its writes
  // ran meanwhile), and a file written here would otherwise shrink back to its old size.
  await state.data.settleAll();
  return view.map.with(target.path, async (entry) => {
    const self = toFuseStat(view, await entryStat(state, view, entry));
    const names = ['.', '..'];
    const stats: FuseStat[] = [self, path === '/' ? self : await getattr(state, parentOf(path).parent)];
    if (path === '/') {
      names.push(SNAPSHOT_DIR_NAME);
      stats.push(await getattr(state, `/${SNAPSHOT_DIR_NAME}`));
    }
    const ticket = view.map.listing(target.path);
    const read: string[] = [];
    try {
      let anchor: DirAnchor | undefined;
      do {
        // The first page fills in the path cache (the directories tools walk right after listing them);
        // past it, a handle for every entry would cost an `ls -l` of a large directory more (5,000 files: a
        // quarter more dfuse CPU), and a walk of its names has it listed again by a refresh.
        const page = await view.map.readPage(entry, anchor, read.length === 0);
        for (const item of page.entries) {
          read.push(item.name);
          // A name just listed is never answered missing from what dfuse knew of the directory before.
          view.map.mayExist(childOf(target.path, item.name));
          // A live entry named like the virtual directory stays hidden behind it at the root.
          if (path === '/' && item.name === SNAPSHOT_DIR_NAME) continue;
          names.push(item.name);
          stats.push(toFuseStat(view, item.stat));
        }
        anchor = page.anchor;
      } while (!anchor.eof);
    } catch (error) {
      view.map.listed(ticket, undefined);
      throw error;
    }
    view.map.listed(ticket, read);
    const listing = { names, stats };
    view.listings.keep(target.path, start, listing);
    return listing;
  });
}
