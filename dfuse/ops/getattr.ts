/**
 * getattr (also every kernel lookup: libfuse2's high-level API looks names up through it). Answered from
 * the last stat dfuse sent while the attribute time runs; else from the engines: an entry looked up just
 * now needs only its object queried, an older one is read again (other clients may have changed it) with
 * its object asked at the same time (or, when the directory is being walked, taken from a listing of it:
 * InodeMap.listedStat); a name whose entry expired is looked up again the same way when it named an object
 * before (InodeMap statAhead). An entry removed elsewhere is looked up once more before ENOENT; an open
 * file whose path went stale is asked through its handle (getattrOpen).
 */
import { type DfsStat, FsError } from '../../dfs/index.js';
import type { OpenFile, OpenFileOf } from '../file-table.js';
import { type FuseStat, toFuseStat } from '../fuse-stat.js';
import type { MapEntry } from '../inode-map.js';
import { type DfuseState, route } from '../state.js';
import type { View } from '../view.js';
import { onEntryOrOpenFile, throughOpenFile } from './resolve.js';

export async function getattr(state: DfuseState, path: string): Promise<FuseStat> {
  const target = await route(state, path);
  if (target.kind === 'snapshot-dir') {
    const stat = state.snapshots.stat(state.self.uid, state.self.gid);
    return { mode: stat.mode, uid: stat.uid, gid: stat.gid, size: 0, nlink: 2, ino: stat.ino, rdev: 0, blksize: 4096, blocks: 0, atime: stat.timeMs, mtime: stat.timeMs, ctime: stat.timeMs };
  }
  const { view } = target;
  const entry = await view.map.acquire(target.path, (oid) => !state.data.isDirty(oid));
  try {
    return toFuseStat(view, await entryStat(state, view, entry));
  } catch (error) {
    if (!(error instanceof FsError && error.code === 'ENOENT') || target.path === '/') throw error;
    view.map.invalidate(target.path);
    return view.map.with(target.path, async (again) => toFuseStat(view, await entryStat(state, view, again)));
  } finally {
    view.map.unpin(entry);
  }
}

/**
 * getattr of a node that may have files open here: as getattr, or through an open file's DFS handle when
 * the node's path went stale (or is lost: undefined), or names another object now (another client put
 * something else at a name on it: its attributes, of another type maybe, are not the node's).
 */
export function getattrOpen(state: DfuseState, path: string | undefined, openFile: OpenFileOf): Promise<FuseStat> {
  const byHandle = async (file: OpenFile): Promise<FuseStat> => toFuseStat(file.view, await file.view.dfs.ostat(file.handle));
  const byPath = path === undefined ? undefined : async (): Promise<FuseStat> => {
    const stat = await getattr(state, path);
    const fh = openFile();
    if (fh === undefined) return stat;
    const file = state.files.get(fh, 'fstat');
    return stat.ino === file.view.inoOf(file.handle.ino) ? stat : throughOpenFile(state, 'fstat', fh, byHandle);
  };
  return onEntryOrOpenFile(state, 'fstat', openFile, byPath, byHandle);
}

/**
 * The entry's attributes, cached or asked for (and cached unless this mount changed the file meanwhile).
 * Buffered writes go out before the engines are asked, or the size would miss them.
 */
export async function entryStat(state: DfuseState, view: View, entry: MapEntry): Promise<DfsStat> {
  const cached = view.map.freshStat(entry);
  if (cached !== undefined) return cached;
  const since = entry.changes;
  const fresh = view.map.takeFresh(entry);
  // The stat its lookup or create read just now (even with attribute caching off), unless this mount wrote since.
  if (fresh && entry.stat !== undefined && since === 0 && !state.data.isDirty(entry.handle.oid)) return entry.stat;
  if (state.data.isDirty(entry.handle.oid)) await state.data.settle(entry.handle.oid);
  else if (!fresh) {
    // A name trusted, its stat run out: from a listing of the directory, if one is due (InodeMap.listedStat).
    const listed = await view.map.listedStat(entry);
    if (listed !== undefined) return listed;
  }
  const stat = await view.dfs.ostat(entry.handle, { refresh: !fresh });
  view.map.setStat(entry, stat, since);
  return stat;
}
