/**
 * Pure decisions of aggregation for one akey and its punches (aggregate.ts does the I/O).
 * Evaluation points are the retained epochs below upTo plus upTo: a version at or below upTo can only be
 * seen at one of them (any read at an epoch >= upTo sees a subset of what upTo sees among them).
 * A version is kept iff it is visible at some point (for arrays: wins a record there). Within the window
 * (previous point, point], visible data extents that are partly overwritten, or small and adjacent, are
 * rewritten as merged extents holding exactly the records they show at the point, stamped with the newest
 * epoch among their sources. README.md gives the argument that reads at every point stay identical.
 */
import { MERGE_RUN_BYTES_MAX, MERGE_SMALL_EXTENT_BYTES } from './constants.js';
import { paintExtents, type PaintSegment } from './extent-paint.js';
import { VersionKind, type VersionKindCode } from './schema.js';
import { newerStamp, survives, type Stamp } from './stamp.js';

export interface PlanVersion extends Stamp {
  kind: VersionKindCode;
  lo: number;
  hi: number;
  blen: number;
}

/** Records [lo, hi) of `source` go into a merged extent. */
export interface MergePiece<V> {
  source: V;
  lo: number;
  hi: number;
}

/** A new extent [lo, hi) at `epoch` made of contiguous pieces, in record order. */
export interface MergeRun<V> {
  epoch: number;
  lo: number;
  hi: number;
  pieces: MergePiece<V>[];
}

export interface AkeyPlan<V> {
  /** Versions to delete (hidden at every point, or replaced by a merge). */
  remove: V[];
  merges: MergeRun<V>[];
}

export interface AkeyPlanInput<V> {
  array: boolean;
  recordSize: number;
  /** Every version of the akey at or below upTo, in (epoch, seq) order. */
  versions: readonly V[];
  /** Evaluation points, ascending, unique; the last is upTo. */
  points: readonly number[];
  /** The newest object/dkey/akey punch at or below a point. */
  coverAt(point: number): Stamp | null;
}

export function planAkey<V extends PlanVersion>(input: AkeyPlanInput<V>): AkeyPlan<V> {
  const keep = new Set<V>();
  const replaced = new Set<V>();
  const merges: MergeRun<V>[] = [];
  let windowLo = -Infinity;
  for (const point of input.points) {
    const cover = input.coverAt(point);
    const candidates = input.versions.filter((version) => version.epoch <= point && survives(version, cover));
    if (!input.array) {
      const newest = candidates[candidates.length - 1];
      if (newest !== undefined) keep.add(newest);
    } else {
      const segments = paintExtents(candidates);
      for (const segment of segments) keep.add(segment.source);
      merges.push(...planWindowMerges(segments, windowLo, input.recordSize, replaced));
    }
    windowLo = point;
  }
  const remove = input.versions.filter((version) => !keep.has(version) || replaced.has(version));
  return { remove, merges };
}

/**
 * Merges among the data extents of the window (windowLo, point] given the paint at the point.
 * Adds every source it rewrites to `replaced`.
 */
function planWindowMerges<V extends PlanVersion>(
  segments: PaintSegment<V>[],
  windowLo: number,
  recordSize: number,
  replaced: Set<V>,
): MergeRun<V>[] {
  const won = new Map<V, number>();
  for (const segment of segments) {
    const source = segment.source;
    if (source.kind !== VersionKind.extent || source.epoch <= windowLo) continue;
    won.set(source, (won.get(source) ?? 0) + segment.hi - segment.lo);
  }
  const partial = (source: V): boolean => (won.get(source) ?? 0) < source.hi - source.lo;
  const rewritable = (source: V): boolean =>
    won.has(source) && (partial(source) || source.blen < MERGE_SMALL_EXTENT_BYTES);
  const runs: MergeRun<V>[] = [];
  let run: PaintSegment<V>[] = [];
  const flush = (): void => {
    if (run.length >= 2 || run.some((segment) => partial(segment.source))) {
      for (const segment of run) replaced.add(segment.source);
      runs.push(...splitRun(run, recordSize));
    }
    run = [];
  };
  for (const segment of segments) {
    const joins = rewritable(segment.source);
    const last = run[run.length - 1];
    if (!joins || (last !== undefined && last.hi !== segment.lo)) flush();
    if (joins) run.push(segment);
  }
  flush();
  return runs;
}

/** Cuts a run of contiguous segments into merged extents of at most MERGE_RUN_BYTES_MAX bytes. */
function splitRun<V extends PlanVersion>(run: PaintSegment<V>[], recordSize: number): MergeRun<V>[] {
  const recordsMax = Math.max(1, Math.floor(MERGE_RUN_BYTES_MAX / recordSize));
  const out: MergeRun<V>[] = [];
  let current: MergeRun<V> | null = null;
  for (const segment of run) {
    let lo = segment.lo;
    while (lo < segment.hi) {
      if (current === null || current.hi - current.lo >= recordsMax) {
        current = { epoch: 0, lo, hi: lo, pieces: [] };
        out.push(current);
      }
      const hi = Math.min(segment.hi, lo + recordsMax - (current.hi - current.lo));
      current.pieces.push({ source: segment.source, lo, hi });
      current.hi = hi;
      current.epoch = Math.max(current.epoch, segment.source.epoch);
      lo = hi;
    }
  }
  return out;
}

/** The newest stamp at or below `point` across lists sorted in (epoch, seq) order. */
export function coverFromLists(lists: readonly (readonly Stamp[])[], point: number): Stamp | null {
  let cover: Stamp | null = null;
  for (const list of lists) {
    let newest: Stamp | null = null;
    for (const stamp of list) {
      if (stamp.epoch > point) break;
      newest = stamp;
    }
    cover = newerStamp(cover, newest);
  }
  return cover;
}

/**
 * Punches of one entity (at or below upTo, in (epoch, seq) order) that can go: one superseded by the
 * entity's next punch with no point in between, or one that no remaining version is ordered before.
 */
export function planPunchRemoval<P extends Stamp>(
  punches: readonly P[],
  points: readonly number[],
  hasOlderVersion: (punch: P) => boolean,
): P[] {
  const remove: P[] = [];
  punches.forEach((punch, index) => {
    const next = punches[index + 1];
    const superseded = next !== undefined && !points.some((point) => point >= punch.epoch && point < next.epoch);
    if (superseded || !hasOlderVersion(punch)) remove.push(punch);
  });
  return remove;
}
