/**
 * The unwritten mark: a file or directory is created with its inode marked "object never written"
 * (containers of DFS layout 2 on), and the mark is cleared, in the entry, before anything is written to
 * the object: the first data write, truncate or hole punch of a file; the first entry inserted into a
 * directory. While an entry read just now carries the mark, its object is known to be empty, so stat needs
 * no size query (for a striped file: one per engine), rmdir no emptiness probe, and remove no object punch.
 *
 * Why it is safe: the mark is only ever set at creation (a new oid) and only ever cleared, and every
 * writer clears it at an epoch below its first write's (data writes alongside the clearing, truncates and
 * inserts after it): a reader (at any epoch, snapshots too) that sees the mark sees no data. A rename writes the moved entry
 * without the mark (it may have read the mark before a writer elsewhere cleared it). A clearing that finds
 * the entry gone goes on: the name was removed (a write to an open, removed file leaks its object, as
 * before) or renamed (the new entry has no mark). An inode held from earlier may carry a mark cleared since
 * elsewhere: only entries read in the same call are trusted, plus what this mount itself wrote
 * (InodeTable.markWritten, kept while handles are open).
 */
import type { Epoch } from '../engine/client/index.js';
import { updateEntry } from './entry.js';
import { isFsError } from './errors.js';
import type { EntryRef } from './handle.js';
import type { Inode } from './inode.js';
import { DFS_LAYOUT_UNWRITTEN } from './layout.js';
import type { DfsMount } from './mount.js';

/** The entry's object is known to be empty: `inode`, read just now, is marked and this mount has not written it since. */
export function isUnwritten(mount: DfsMount, inode: Inode): boolean {
  return inode.unwritten && !mount.inodes.isWritten(inode.oid);
}

/**
 * Clears the unwritten mark of the entry at `ref` (once per mount while its handles are open); await it
 * before writing the object. While `inode` carries the mark, every call waits for the same clearing, even
 * once it is done, so writes issued in order still reach the object in order.
 */
export function ensureWritten(mount: DfsMount, ref: EntryRef, inode: Inode): Promise<void> | undefined {
  if (!inode.unwritten) return undefined;
  return mount.inodes.markWritten(inode.oid, () => clearMark(mount, ref));
}

/**
 * Writes to an unwritten file's object alongside the clearing of its mark, instead of after it: the
 * clearing's epoch is taken before `write` is called, so every epoch `write` takes is above it, which is
 * what readers (snapshots too) rely on; both must land before the write is done. Should the clearing fail
 * at its fixed epoch (a transaction read the entry above it), it is done again the ordinary way and the
 * data written again above it. A crash while both are in flight can leave data behind a mark (an
 * unacknowledged write then reads as absent until the next write). Files without the mark just write.
 */
export async function writeClearing(mount: DfsMount, ref: EntryRef, inode: Inode, write: () => Promise<unknown>): Promise<void> {
  if (!inode.unwritten) {
    await write();
    return;
  }
  const clearing = mount.inodes.markWritten(inode.oid, () => clearMark(mount, ref, mount.cont.object(ref.dirOid).nextEpoch()));
  const [cleared, written] = await Promise.allSettled([clearing, write()]);
  if (written.status === 'rejected') throw written.reason;
  if (cleared.status === 'fulfilled') return;
  await ensureWritten(mount, ref, inode);
  await write();
}

async function clearMark(mount: DfsMount, ref: EntryRef, epoch?: Epoch): Promise<void> {
  try {
    await updateEntry(mount, ref, { unwritten: false }, epoch);
  } catch (error) {
    if (!isFsError(error, 'ENOENT')) throw error;
  }
}

/** Whether new entries of this mount's container carry the mark (DFS layout 2 and later). */
export function marksUnwritten(mount: DfsMount): boolean {
  return mount.sb.layoutVersion >= DFS_LAYOUT_UNWRITTEN;
}
