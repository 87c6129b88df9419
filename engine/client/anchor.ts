/**
 * Key-listing anchors: where a listing of an object's dkeys stands, across its redundancy groups. Groups are
 * listed in order; inside a group the engine's cursor (the last key it returned) says where to resume. An
 * anchor is a plain JSON-serialisable object (the cursor is base64), so it can be handed to another process
 * or worker. `splitAnchors` gives one anchor per group, each pinned to it: a pinned listing ends with its
 * group, so N workers together list every key exactly once. Pure code; no I/O.
 */
import { dkeyGroup } from '../placement/placement.js';
import { Der, EngineError } from '../wire/errors.js';

export interface ListAnchor {
  /** The group being listed. */
  readonly group: number;
  /** Engine cursor inside the group (base64 of the last key returned); null = from the group's start. */
  readonly cursor: string | null;
  /** Pinned anchors (splitAnchors) stop at the end of their group instead of moving on. */
  readonly pinned: boolean;
  /** Nothing more to list. */
  readonly eof: boolean;
}

/** The anchor that starts a listing of every group. */
export function startAnchor(): ListAnchor {
  return { group: 0, cursor: null, pinned: false, eof: false };
}

/** One anchor per group (0..groupCount-1), each pinned to its group. */
export function splitAnchors(groupCount: number): ListAnchor[] {
  return Array.from({ length: groupCount }, (_, group): ListAnchor => ({ group, cursor: null, pinned: true, eof: false }));
}

/** An anchor pinned to one group, for listings confined to it (akeys of one dkey). */
export function groupAnchor(group: number): ListAnchor {
  return { group, cursor: null, pinned: true, eof: false };
}

/** The engine cursor to send for `anchor` (null = from the start of its group). */
export function anchorCursor(anchor: ListAnchor): Buffer | null {
  return anchor.cursor === null ? null : Buffer.from(anchor.cursor, 'base64');
}

/**
 * The anchor after one list call on `anchor.group` answered `cursor` (null: the group is exhausted):
 * the same group at the new cursor; else the next group from its start; else eof (last group, or pinned).
 */
export function advanceAnchor(anchor: ListAnchor, cursor: Buffer | null, groupCount: number): ListAnchor {
  if (cursor !== null) return { ...anchor, cursor: cursor.toString('base64') };
  if (anchor.pinned || anchor.group + 1 >= groupCount) return { ...anchor, cursor: null, eof: true };
  return { group: anchor.group + 1, cursor: null, pinned: false, eof: false };
}

/**
 * True when a listing now at `anchor` has gone past the place of `dkey` (present or not): it would have
 * been listed already. Groups are listed in order and each in byte order, so: eof, an earlier group than
 * the anchor's, or the anchor's group up to its cursor. A pinned anchor covers its own group only.
 */
export function anchorPassed(anchor: ListAnchor, dkey: Buffer, groupCount: number): boolean {
  const group = dkeyGroup(dkey, groupCount);
  if (anchor.pinned && group !== anchor.group) return false;
  if (anchor.eof || group < anchor.group) return true;
  return group === anchor.group && anchor.cursor !== null && Buffer.compare(dkey, Buffer.from(anchor.cursor, 'base64')) <= 0;
}

/** Checks an anchor handed in by a caller (maybe deserialised) against the object's group count. */
export function checkAnchor(anchor: ListAnchor, groupCount: number): ListAnchor {
  const valid =
    Number.isInteger(anchor.group) && anchor.group >= 0 && anchor.group < groupCount &&
    (anchor.cursor === null || typeof anchor.cursor === 'string') &&
    typeof anchor.pinned === 'boolean' && typeof anchor.eof === 'boolean';
  if (!valid) throw new EngineError(Der.INVAL, `list anchor does not fit an object of ${groupCount} groups`);
  return anchor;
}
