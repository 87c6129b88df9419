/**
 * Newest-wins merge of overlapping extents (the evtree read of DAOS, VOS §1.5), as a pure function.
 * Given extents [lo, hi) stamped with (epoch, seq), returns the segments of a range where each segment
 * names the newest extent covering it; uncovered parts (holes) are omitted. Callers decide what an extent
 * means (data, punch). O(n log n): a sweep over the endpoints with a max-heap of covering extents.
 */
import { isNewer } from './stamp.js';

export interface PaintExtent {
  lo: number;
  hi: number;
  epoch: number;
  seq: number;
}

/** Records [lo, hi) are shown by `source`. Segments are sorted, disjoint, and merged when adjacent. */
export interface PaintSegment<T> {
  lo: number;
  hi: number;
  source: T;
}

/**
 * Paints `extents` over [range.lo, range.hi) (default: their union's bounds), newest on top.
 * Extents with lo >= hi are ignored.
 */
export function paintExtents<T extends PaintExtent>(
  extents: readonly T[],
  range?: { lo: number; hi: number },
): PaintSegment<T>[] {
  const clipLo = range?.lo ?? extents.reduce((low, extent) => Math.min(low, extent.lo), Infinity);
  const clipHi = range?.hi ?? extents.reduce((high, extent) => Math.max(high, extent.hi), -Infinity);
  const live = extents.filter((e) => e.lo < e.hi && e.hi > clipLo && e.lo < clipHi);
  if (live.length === 0) return [];
  const starts = [...live].sort((a, b) => Math.max(a.lo, clipLo) - Math.max(b.lo, clipLo));
  const points = collectPoints(live, clipLo, clipHi);
  const heap = new NewestHeap<T>();
  const segments: PaintSegment<T>[] = [];
  let next = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const lo = points[i]!;
    const hi = points[i + 1]!;
    while (next < starts.length && Math.max(starts[next]!.lo, clipLo) <= lo) heap.push(starts[next++]!);
    const top = heap.topCovering(lo);
    if (top === undefined) continue;
    const last = segments[segments.length - 1];
    if (last !== undefined && last.source === top && last.hi === lo) last.hi = hi;
    else segments.push({ lo, hi, source: top });
  }
  return segments;
}

function collectPoints(extents: readonly PaintExtent[], clipLo: number, clipHi: number): number[] {
  const points = new Set<number>([clipLo, clipHi]);
  for (const extent of extents) {
    if (extent.lo > clipLo) points.add(extent.lo);
    if (extent.hi < clipHi) points.add(extent.hi);
  }
  return [...points].sort((a, b) => a - b);
}

/** Max-heap by (epoch, seq) with lazy removal of extents that ended. */
class NewestHeap<T extends PaintExtent> {
  private readonly items: T[] = [];

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!isNewer(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }

  /** The newest extent still covering `point`, dropping ended ones. */
  topCovering(point: number): T | undefined {
    while (this.items.length > 0 && this.items[0]!.hi <= point) this.pop();
    return this.items[0];
  }

  private pop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let best = index;
      if (left < items.length && isNewer(items[left]!, items[best]!)) best = left;
      if (right < items.length && isNewer(items[right]!, items[best]!)) best = right;
      if (best === index) return;
      [items[index], items[best]] = [items[best]!, items[index]!];
      index = best;
    }
  }
}
