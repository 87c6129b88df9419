/**
 * Resync support: exportSince streams every version and punch with epoch > sinceEpoch in seq (arrival)
 * order with a resumable cursor (the last seq returned, 8 bytes big-endian); ingest applies such records
 * with the caller's shard index, skipping any record already present (same key, epoch and content), so
 * ingesting twice changes nothing visible. Ingest never checks conditionals; it does check capacity.
 */
import type Database from 'better-sqlite3';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { EXPORT_PAYLOAD_BYTES_SOFT_MAX, EXPORT_RECORDS_MAX, INGEST_RECORDS_MAX } from './constants.js';
import type { VosContext } from './context.js';
import { recordPayloadBytes, type VosRecord } from './record.js';
import {
  AkeyKind,
  PunchLevel,
  VersionKind,
  boundLimit,
  type AkeyId,
  type DkeyId,
  type ObjectId,
  type PunchLevelCode,
  type PunchRowLayout,
  type PunchTargetId,
  type VersionRowLayout,
} from './schema.js';
import { updateSpaceBytes, writeIod } from './update.js';
import type { UpdateIod } from './operation.js';
import {
  validateExtents,
  validateKey,
  validateObjectRef,
  validateReadEpoch,
  validateRecordSize,
  validateWriteEpoch,
} from './validate.js';

interface ExportVersionRow extends VersionRowLayout {
  akey: Buffer;
  rsize: number;
  dkey: Buffer;
  cont: string;
  oid: Buffer;
  shard: number;
}

export interface ExportOptions {
  sinceEpoch: Epoch;
  cursor: Buffer | null;
  limit: number;
}

export class Resync {
  private readonly versionsSince: Database.Statement<[number, number, number], ExportVersionRow>;
  private readonly punchesSince: Database.Statement<[number, number, number], PunchRowLayout>;

  constructor(private readonly context: VosContext) {
    this.versionsSince = context.db.prepare(
      `SELECT v.seq, v.epoch, v.kind, v.lo, v.hi, v.inl, v.boff, v.blen, a.akey, a.rsize, d.dkey, o.cont, o.oid, o.shard
       FROM versions v JOIN akeys a ON a.id = v.akey JOIN dkeys d ON d.id = a.dkey JOIN objects o ON o.id = d.obj
       WHERE v.seq > ? AND v.epoch > ? ORDER BY v.seq ${boundLimit()}`);
    this.punchesSince = context.db.prepare(
      `SELECT seq, level, target, epoch FROM punches WHERE seq > ? AND epoch > ? ORDER BY seq ${boundLimit()}`);
  }

  /** Up to `limit` records after `cursor`; cursor null in the result when the export is complete. */
  exportSince(options: ExportOptions): { records: VosRecord[]; cursor: Buffer | null } {
    validateReadEpoch(options.sinceEpoch);
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > EXPORT_RECORDS_MAX) {
      throw new EngineError(Der.INVAL, `export limit must be 1..${EXPORT_RECORDS_MAX}`);
    }
    if (options.cursor !== null && (!Buffer.isBuffer(options.cursor) || options.cursor.length !== 8)) {
      throw new EngineError(Der.INVAL, 'bad export cursor');
    }
    const after = options.cursor === null ? 0 : Number(options.cursor.readBigUInt64BE(0));
    const versions = this.versionsSince.all(after, options.sinceEpoch, options.limit);
    const punches = this.punchesSince.all(after, options.sinceEpoch, options.limit);
    const records: VosRecord[] = [];
    let payloadBytes = 0;
    let lastSeq = after;
    let v = 0;
    let p = 0;
    while (records.length < options.limit && payloadBytes < EXPORT_PAYLOAD_BYTES_SOFT_MAX) {
      const version = versions[v];
      const punch = punches[p];
      let record: VosRecord;
      if (version !== undefined && (punch === undefined || version.seq < punch.seq)) {
        record = this.versionRecord(version);
        lastSeq = version.seq;
        v += 1;
      } else if (punch !== undefined) {
        record = this.punchRecord(punch);
        lastSeq = punch.seq;
        p += 1;
      } else {
        break;
      }
      payloadBytes += recordPayloadBytes(record);
      records.push(record);
    }
    const exhausted = v === versions.length && p === punches.length &&
      versions.length < options.limit && punches.length < options.limit;
    return { records, cursor: exhausted ? null : encodeCursor(lastSeq) };
  }

  /** Applies records (one transaction, arranged by the caller) with `shard` as their shard index. */
  ingest(records: VosRecord[], shard: number): void {
    if (!Array.isArray(records) || records.length > INGEST_RECORDS_MAX) {
      throw new EngineError(Der.INVAL, `ingest takes at most ${INGEST_RECORDS_MAX} records`);
    }
    const prepared = records.map((record) => ({ ...record, shard }));
    for (const record of prepared) validateRecord(record);
    for (const record of prepared) this.applyRecord(record);
  }

  private versionRecord(row: ExportVersionRow): VosRecord {
    const base = { cont: row.cont, oid: row.oid, shard: row.shard, epoch: row.epoch as Epoch, dkey: row.dkey, akey: row.akey };
    if (row.kind === VersionKind.single) return { ...base, kind: 'single', value: this.context.versions.payload(row) };
    const data = row.kind === VersionKind.extentPunch ? null : this.context.versions.payload(row);
    return { ...base, kind: 'array', recordSize: row.rsize, extent: { index: row.lo, count: row.hi - row.lo }, data };
  }

  private punchRecord(row: PunchRowLayout): VosRecord {
    const { keys } = this.context;
    let akey: Buffer | null = null;
    let dkey: Buffer | null = null;
    // punches.target names a row of the table its level selects.
    let dkeyId = row.level === PunchLevel.dkey ? (row.target as DkeyId) : null;
    if (row.level === PunchLevel.akey) {
      const akeyRow = keys.akeyById(row.target as AkeyId)!;
      akey = akeyRow.key;
      dkeyId = akeyRow.dkey;
    }
    let objectId = row.target as ObjectId;
    if (dkeyId !== null) {
      const dkeyRow = keys.dkeyById(dkeyId)!;
      dkey = dkeyRow.key;
      objectId = dkeyRow.obj;
    }
    const object = keys.objectById(objectId)!;
    const base = { cont: object.cont, oid: object.oid, shard: object.shard, epoch: row.epoch as Epoch };
    if (akey !== null && dkey !== null) return { ...base, kind: 'punchAkey', dkey, akey };
    if (dkey !== null) return { ...base, kind: 'punchDkey', dkey };
    return { ...base, kind: 'punchObject' };
  }

  private applyRecord(record: VosRecord): void {
    const { keys } = this.context;
    const objectId = keys.ensureObject(record);
    keys.noteEpoch(objectId, record.epoch);
    if (record.kind === 'punchObject') {
      this.punchOnce(objectId, PunchLevel.object, objectId, record.epoch);
      return;
    }
    const dkeyId = keys.ensureDkey(objectId, record.dkey);
    if (record.kind === 'punchDkey') {
      this.punchOnce(objectId, PunchLevel.dkey, dkeyId, record.epoch);
    } else if (record.kind === 'punchAkey') {
      this.punchOnce(objectId, PunchLevel.akey, keys.ensureAkey(dkeyId, record.akey, AkeyKind.unset, 0), record.epoch);
    } else {
      const iod = recordIod(record);
      if (this.isPresent(dkeyId, record)) return;
      this.context.space.checkCapacity(updateSpaceBytes(this.context, [iod]));
      writeIod(this.context, dkeyId, record.epoch, iod);
    }
  }

  private punchOnce<L extends PunchLevelCode>(objectId: ObjectId, level: L, target: PunchTargetId<L>, epoch: number): void {
    if (this.context.punches.existsAtEpoch(level, target, epoch)) return;
    this.context.keys.markPunched(objectId);
    this.context.punches.record(level, target, epoch);
  }

  /** True when an identical version (same akey, epoch, kind, extent and bytes) is already stored. */
  private isPresent(dkeyId: DkeyId, record: VosRecord & { kind: 'single' | 'array' }): boolean {
    const akeyRow = this.context.keys.findAkey(dkeyId, record.akey);
    if (akeyRow === undefined) return false;
    const rows = this.context.versions.atEpoch(akeyRow.id, record.epoch);
    return rows.some((row) => {
      if (record.kind === 'single') {
        return row.kind === VersionKind.single && this.context.versions.payload(row).equals(record.value);
      }
      const { index, count } = record.extent;
      if (row.lo !== index || row.hi !== index + count) return false;
      if (record.data === null) return row.kind === VersionKind.extentPunch;
      return row.kind === VersionKind.extent && this.context.versions.payload(row).equals(record.data);
    });
  }
}

function encodeCursor(seq: number): Buffer {
  const cursor = Buffer.alloc(8);
  cursor.writeBigUInt64BE(BigInt(seq));
  return cursor;
}

function recordIod(record: VosRecord & { kind: 'single' | 'array' }): UpdateIod {
  if (record.kind === 'single') return { akey: record.akey, type: 'single', value: record.value };
  return { akey: record.akey, type: 'array', recordSize: record.recordSize, extents: [record.extent], data: record.data };
}

function validateRecord(record: VosRecord): void {
  validateObjectRef(record);
  validateWriteEpoch(record.epoch);
  if (record.kind === 'punchObject') return;
  validateKey(record.dkey, 'dkey');
  if (record.kind === 'punchDkey') return;
  validateKey(record.akey, 'akey');
  if (record.kind === 'single') {
    if (!Buffer.isBuffer(record.value)) throw new EngineError(Der.INVAL, 'record value must be a Buffer');
  } else if (record.kind === 'array') {
    validateRecordSize(record.recordSize);
    const records = validateExtents([record.extent]);
    if (record.data !== null && (!Buffer.isBuffer(record.data) || record.data.length !== records * record.recordSize)) {
      throw new EngineError(Der.INVAL, 'record data length does not match its extent');
    }
  } else if (record.kind !== 'punchAkey') {
    throw new EngineError(Der.INVAL, 'unknown record kind');
  }
}
