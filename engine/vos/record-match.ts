/**
 * Compare-and-write: a punch or update with `ifMatch` applies only while the array akey it names holds
 * exactly the given records as the newest state reads them (EPOCH_MAX), so a caller that read a key can
 * change or remove it only while it still holds what was read. Read-only; DER_NONEXIST on a mismatch.
 */
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { VosContext } from './context.js';
import { applyFetch } from './fetch.js';
import type { ObjectRef, RecordMatch } from './operation.js';

/**
 * DER_NONEXIST unless the dkey's array akey holds `match.data` in `match.extents` at EPOCH_MAX, every record
 * of them written data (DER_INVAL when the akey holds a single value). An akey holding every record makes
 * its dkey exist, so the dkey's existence needs no test of its own.
 */
export function checkRecordMatch(context: VosContext, dkey: Buffer, match: RecordMatch, ref: ObjectRef): void {
  const iod = { type: 'array' as const, akey: match.akey, recordSize: match.recordSize, extents: match.extents };
  const records = match.extents.reduce((sum, extent) => sum + extent.count, 0);
  const [value] = applyFetch(context, { cont: ref.cont, oid: ref.oid, shard: ref.shard, dkey, epoch: EPOCH_MAX, iods: [iod] });
  if (value === undefined || value.type !== 'array' || value.filled !== records || !value.data.equals(match.data)) {
    throw new EngineError(Der.NONEXIST, 'the akey does not hold the expected records');
  }
}
