/**
 * Key listing with resumable anchors. Keys come from the (parent, key) index in byte order and are
 * filtered by visibility at the op's epoch (dkeys inside sqlite, visible-dkeys.ts; akeys by
 * visibility.ts). The anchor is the last key returned; the next call continues strictly after it, so
 * a key present for a whole listing is returned exactly once however keys are inserted or punched
 * between calls. The anchor is null once no visible key remains. A dkey listing can carry each listed
 * dkey's values and akeys, read for the whole page at once (page-values.ts). Read-only.
 */
import { LIST_SCAN_ROWS } from './constants.js';
import type { VosContext } from './context.js';
import type { AkeyId, DkeyId, KeyRowLayout } from './schema.js';
import type { ListOp, ListResult, ListValuesOp, ListValuesResult } from './operation.js';
import { type Cover, NO_COVER } from './visibility.js';
import { validateFetchIods, validateKey, validateListLimit, validateObjectRef, validateReadEpoch } from './validate.js';

export function validateList(op: ListOp): void {
  validateObjectRef(op);
  validateReadEpoch(op.epoch);
  validateListLimit(op.limit, op.anchor);
  if (op.dkey !== undefined) validateKey(op.dkey, 'dkey');
}

export function validateListValues(op: ListValuesOp): void {
  validateList(op);
  if (op.iods !== undefined) validateFetchIods(op.iods);
  if (op.akeysLimit !== undefined) validateListLimit(op.akeysLimit, null);
}

const DONE: ListResult = { keys: [], anchor: null };

/**
 * Lists dkeys of a validated op (op.dkey is ignored): one statement for the page plus one more key, so
 * the anchor can be null when the listing is complete (visible-dkeys.ts).
 */
export function listDkeys(context: VosContext, op: ListOp): ListResult {
  const { keys, anchor } = dkeyPage(context, op);
  return { keys: keys.map((row) => row.key), anchor };
}

/**
 * listDkeys, and for each listed dkey the values of op.iods and its first op.akeysLimit akeys, read for
 * the whole page at once (page-values.ts). DER_INVAL when a listed dkey's akey is of another kind than its iod.
 */
export function listDkeysWithValues(context: VosContext, op: ListValuesOp): ListValuesResult {
  const { keys, anchor, cover } = dkeyPage(context, op);
  const ids = keys.map((row) => row.id);
  return {
    keys: keys.map((row) => row.key),
    anchor,
    ...(op.iods === undefined ? {} : { values: ids.length === 0 ? [] : context.pageValues.fetch(context, ids, cover, op.epoch, op.iods) }),
    ...(op.akeysLimit === undefined ? {} : { akeys: ids.length === 0 ? [] : context.pageValues.akeysOf(ids, cover, op.epoch, op.akeysLimit) }),
  };
}

/** Up to op.limit dkeys (ids and keys) after op.anchor, the anchor for the next page, and the object's cover. */
function dkeyPage(context: VosContext, op: ListOp): { keys: Array<KeyRowLayout<DkeyId>>; anchor: Buffer | null; cover: Cover } {
  const objectId = context.keys.findObject(op);
  if (objectId === undefined) return { keys: [], anchor: null, cover: NO_COVER };
  const cover = context.visibility.objectCover(objectId, op.epoch);
  const keys = context.visibleDkeys.page({ objectId, cover, after: op.anchor, epoch: op.epoch, count: op.limit + 1 });
  if (keys.length <= op.limit) return { keys, anchor: null, cover };
  keys.length = op.limit;
  return { keys, anchor: keys[op.limit - 1]!.key, cover };
}

/** Lists akeys of op.dkey. */
export function listAkeys(context: VosContext, op: ListOp & { dkey: Buffer }): ListResult {
  const { keys, visibility } = context;
  const objectId = keys.findObject(op);
  const dkeyId = objectId === undefined ? undefined : keys.findDkey(objectId, op.dkey);
  if (objectId === undefined || dkeyId === undefined) return { ...DONE, keys: [] };
  const dkeyCover = visibility.dkeyCover(visibility.objectCover(objectId, op.epoch), dkeyId, op.epoch);
  return collectVisible(
    op,
    (after) => keys.akeysAfter(dkeyId, after, LIST_SCAN_ROWS),
    (row) => visibility.akeyExists(row.id, dkeyCover, op.epoch),
  );
}

/**
 * Scans key rows after the anchor until `limit` visible keys are found, then looks for one more so the
 * anchor can be null when the listing is complete.
 */
function collectVisible<I extends DkeyId | AkeyId>(
  op: ListOp,
  scan: (after: Buffer | null) => Array<KeyRowLayout<I>>,
  visible: (row: KeyRowLayout<I>) => boolean,
): ListResult {
  const keys: Buffer[] = [];
  let after = op.anchor;
  for (;;) {
    const rows = scan(after);
    for (const row of rows) {
      if (!visible(row)) continue;
      if (keys.length === op.limit) return { keys, anchor: keys[keys.length - 1]! };
      keys.push(row.key);
    }
    if (rows.length < LIST_SCAN_ROWS) return { keys, anchor: null };
    after = rows[rows.length - 1]!.key;
  }
}
