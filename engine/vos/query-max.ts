/**
 * Query max (array size): the greatest dkey, in byte order, under which `akey` has visible array data at
 * the epoch, and the end (index + count, in records) of the highest visible data under it. Extent punches
 * and key punches are honoured: a record counts only if the newest surviving extent covering it is data.
 * Also the object's high-water epoch. Read-only.
 */
import { LIST_SCAN_ROWS } from './constants.js';
import type { VosContext } from './context.js';
import { paintExtents } from './extent-paint.js';
import type { ObjectRef, QueryMaxOp, QueryMaxResult } from './operation.js';
import { AkeyKind, type DkeyId } from './schema.js';
import { survives } from './stamp.js';
import type { Cover } from './visibility.js';
import { isDataVersion } from './version-store.js';
import { validateKey, validateObjectRef, validateReadEpoch } from './validate.js';

export function validateQueryMax(op: QueryMaxOp): void {
  validateObjectRef(op);
  validateKey(op.akey, 'akey');
  validateReadEpoch(op.epoch);
}

export function queryMax(context: VosContext, op: QueryMaxOp): QueryMaxResult {
  const objectId = context.keys.findObject(op);
  if (objectId === undefined) return { dkey: null, end: 0 };
  const objectCover = context.visibility.objectCover(objectId, op.epoch);
  let before: Buffer | null = null;
  // The greatest dkey nearly always holds the data (a file's last chunk, a directory's last entry): read
  // one row first, then batches growing to LIST_SCAN_ROWS (reading 256 rows for every query was most of
  // the engine time of a directory's stat).
  for (let batch = 1; ; batch = Math.min(batch * 4, LIST_SCAN_ROWS)) {
    const rows = context.keys.dkeysBefore(objectId, before, batch);
    for (const row of rows) {
      const end = dataEndUnderDkey(context, row.id, objectCover, op);
      if (end > 0) return { dkey: row.key, end };
    }
    if (rows.length < batch) return { dkey: null, end: 0 };
    before = rows[rows.length - 1]!.key;
  }
}

/** End of the highest visible data record of op.akey under the dkey, 0 when none. */
function dataEndUnderDkey(context: VosContext, dkeyId: DkeyId, objectCover: Cover, op: QueryMaxOp): number {
  const row = context.keys.findAkey(dkeyId, op.akey);
  if (row === undefined || row.kind !== AkeyKind.array) return 0;
  const dkeyCover = context.visibility.dkeyCover(objectCover, dkeyId, op.epoch);
  const cover = context.visibility.akeyCover(dkeyCover, row.id, op.epoch);
  const candidates = context.versions.metaUpTo(row.id, op.epoch).filter((version) => survives(version, cover));
  let end = 0;
  for (const segment of paintExtents(candidates)) {
    if (isDataVersion(segment.source)) end = Math.max(end, segment.hi);
  }
  return end;
}

/** The newest epoch written or punched in the object shard (a high-water mark), 0 when none. */
export function queryMaxEpoch(context: VosContext, ref: ObjectRef): number {
  const objectId = context.keys.findObject(ref);
  return objectId === undefined ? 0 : context.keys.maxEpoch(objectId);
}
