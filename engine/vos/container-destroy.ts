/**
 * Destroy container: deletes every object shard of a container on this target (versions, punches, key
 * rows) and frees their blob space (reusable once the transaction commits). Runs inside the caller's
 * write transaction; clears the object id cache. Destroying an unknown container does nothing.
 */
import { Der, EngineError } from '../wire/errors.js';
import { CONT_ID_CHARS_MAX, LIST_SCAN_ROWS } from './constants.js';
import type { VosContext } from './context.js';
import { PunchLevel, type DkeyId, type ObjectId } from './schema.js';

/** Returns how many object shards were removed. */
export function destroyContainer(context: VosContext, cont: string): { objectsRemoved: number } {
  if (typeof cont !== 'string' || cont.length === 0 || cont.length > CONT_ID_CHARS_MAX) {
    throw new EngineError(Der.INVAL, 'container id must be a non-empty string');
  }
  const objectIds = context.keys.objectIdsOfContainer(cont);
  for (const objectId of objectIds) destroyObject(context, objectId);
  if (objectIds.length > 0) context.seq.persistFloor();
  return { objectsRemoved: objectIds.length };
}

function destroyObject(context: VosContext, objectId: ObjectId): void {
  const { keys, punches } = context;
  for (;;) {
    // Rows are deleted as they are visited, so each scan restarts from the first remaining dkey.
    const dkeys = keys.dkeysAfter(objectId, null, LIST_SCAN_ROWS);
    for (const dkey of dkeys) destroyDkey(context, dkey.id);
    if (dkeys.length < LIST_SCAN_ROWS) break;
  }
  punches.removeAll(PunchLevel.object, objectId);
  keys.removeObject(objectId);
}

function destroyDkey(context: VosContext, dkeyId: DkeyId): void {
  const { keys, punches, versions } = context;
  for (;;) {
    const akeys = keys.akeysAfter(dkeyId, null, LIST_SCAN_ROWS);
    for (const akey of akeys) {
      versions.removeAllOfAkey(akey.id);
      punches.removeAll(PunchLevel.akey, akey.id);
      keys.removeAkey(akey.id);
    }
    if (akeys.length < LIST_SCAN_ROWS) break;
  }
  punches.removeAll(PunchLevel.dkey, dkeyId);
  keys.removeDkey(dkeyId);
}
