/**
 * The `versions` table: every single-value update, array extent and extent punch, one row each, never
 * modified in place (no read-modify-write). Owns where a payload lives: inline when smaller than
 * BLOB_THRESHOLD_BYTES, else in the data blob (written before the row is inserted). Keeps the inline byte
 * counter in step with the rows; removal frees blob space through DataBlob (reusable after commit).
 */
import type Database from 'better-sqlite3';
import { BLOB_THRESHOLD_BYTES } from './constants.js';
import type { DataBlob } from './data-blob.js';
import type { SeqCounter } from './seq-counter.js';
import type { SpaceAccount } from './space.js';
import type { Stamp } from './stamp.js';
import {
  VersionKind,
  type AkeyId,
  type Seq,
  type VersionKindCode,
  type VersionMetaLayout,
  type VersionRowLayout,
} from './schema.js';

export interface NewVersion {
  akeyId: AkeyId;
  epoch: number;
  kind: VersionKindCode;
  lo: number;
  hi: number;
  /** Payload, or null for an extent punch. */
  data: Buffer | null;
}

const COLUMNS = 'seq, epoch, kind, lo, hi, inl, boff, blen';
const META_COLUMNS = 'seq, epoch, kind, lo, hi, length(inl) AS ilen, boff, blen';

/**
 * A versions row as the array sqlite gives in raw mode (COLUMNS, or META_COLUMNS with the inline length in
 * place of the payload). The hot reads take rows raw and make the objects here: better-sqlite3 builds a row
 * object property by property, which cost more than the statement itself in an engine serving stats
 * (perf: 17 % of its CPU in GetFlatRowJS against 10 % in sqlite3_step).
 */
type VersionTuple = [Seq, number, VersionKindCode, number, number, Buffer | number | null, number | null, number];

function versionRow(row: VersionTuple): VersionRowLayout {
  return { seq: row[0], epoch: row[1], kind: row[2], lo: row[3], hi: row[4], inl: row[5] as Buffer | null, boff: row[6], blen: row[7] };
}

function versionMeta(row: VersionTuple): VersionMetaLayout {
  return { seq: row[0], epoch: row[1], kind: row[2], lo: row[3], hi: row[4], ilen: row[5] as number | null, boff: row[6], blen: row[7] };
}

export class VersionStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly blob: DataBlob,
    private readonly seq: SeqCounter,
    private readonly space: SpaceAccount,
  ) {
    this.statements = {
      insert: db.prepare<[number, number, number, number, number, number, Buffer | null, number | null, number]>(
        'INSERT INTO versions (seq, akey, epoch, kind, lo, hi, inl, boff, blen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      newest: db.prepare<[number, number], VersionTuple>(
        `SELECT ${COLUMNS} FROM versions WHERE akey = ? AND epoch <= ? ORDER BY epoch DESC, seq DESC LIMIT 1`).raw(),
      newestStamp: db.prepare<[number, number], { epoch: number; seq: number }>(
        'SELECT epoch, seq FROM versions WHERE akey = ? AND epoch <= ? ORDER BY epoch DESC, seq DESC LIMIT 1'),
      overlapping: db.prepare<[number, number, number, number], VersionTuple>(
        `SELECT ${COLUMNS} FROM versions WHERE akey = ? AND epoch <= ? AND lo < ? AND hi > ?`).raw(),
      metaUpTo: db.prepare<[number, number], VersionTuple>(
        `SELECT ${META_COLUMNS} FROM versions WHERE akey = ? AND epoch <= ? ORDER BY epoch, seq`).raw(),
      inlineBySeq: db.prepare<[number], { inl: Buffer | null }>('SELECT inl FROM versions WHERE seq = ?'),
      atEpoch: db.prepare<[number, number], VersionRowLayout>(
        `SELECT ${COLUMNS} FROM versions WHERE akey = ? AND epoch = ?`),
      anyVersion: db.prepare<[number], { seq: number }>('SELECT seq FROM versions WHERE akey = ? LIMIT 1'),
      olderThan: db.prepare<[number, number, number, number], { seq: number }>(
        'SELECT seq FROM versions WHERE akey = ? AND epoch <= ? AND (epoch < ? OR seq < ?) LIMIT 1'),
      remove: db.prepare<[number]>('DELETE FROM versions WHERE seq = ?'),
      blobRefsOfAkey: db.prepare<[number], { boff: number; blen: number }>(
        'SELECT boff, blen FROM versions WHERE akey = ? AND boff IS NOT NULL'),
      inlineBytesOfAkey: db.prepare<[number], { total: number | null }>(
        'SELECT sum(length(inl)) AS total FROM versions WHERE akey = ?'),
      countOfAkey: db.prepare<[number], { total: number }>('SELECT count(*) AS total FROM versions WHERE akey = ?'),
      removeAkey: db.prepare<[number]>('DELETE FROM versions WHERE akey = ?'),
    };
  }

  /** Stores a new version with a fresh seq; the blob payload is written first. Returns the seq. */
  insert(version: NewVersion): Seq {
    const seq = this.seq.next();
    const data = version.data;
    let inline: Buffer | null = null;
    let blobOffset: number | null = null;
    if (data !== null && data.length >= BLOB_THRESHOLD_BYTES) {
      blobOffset = this.blob.allocate(data.length).offset;
      this.blob.write(blobOffset, data);
    } else if (data !== null) {
      inline = data;
      this.space.addInline(data.length);
    }
    this.statements.insert.run(seq, version.akeyId, version.epoch, version.kind, version.lo, version.hi,
      inline, blobOffset, data?.length ?? 0);
    return seq;
  }

  /** The newest version at or below `epoch` (any kind). */
  newest(akeyId: AkeyId, epoch: number): VersionRowLayout | undefined {
    const row = this.statements.newest.get(akeyId, epoch);
    return row === undefined ? undefined : versionRow(row);
  }

  newestStamp(akeyId: AkeyId, epoch: number): { epoch: number; seq: number } | undefined {
    return this.statements.newestStamp.get(akeyId, epoch);
  }

  /** Extents (data or punch) at or below `epoch` overlapping records [lo, hi), unordered. */
  overlapping(akeyId: AkeyId, epoch: number, lo: number, hi: number): VersionRowLayout[] {
    return this.statements.overlapping.all(akeyId, epoch, hi, lo).map(versionRow);
  }

  /** All versions at or below `epoch` without inline payloads, in (epoch, seq) order (for planning). */
  metaUpTo(akeyId: AkeyId, epoch: number): VersionMetaLayout[] {
    return this.statements.metaUpTo.all(akeyId, epoch).map(versionMeta);
  }

  /** A row with its payload, from a meta row. */
  withPayload(meta: VersionMetaLayout): VersionRowLayout {
    const inl = meta.ilen === null ? null : (this.statements.inlineBySeq.get(meta.seq)?.inl ?? null);
    return { seq: meta.seq, epoch: meta.epoch, kind: meta.kind, lo: meta.lo, hi: meta.hi, inl, boff: meta.boff, blen: meta.blen };
  }

  atEpoch(akeyId: AkeyId, epoch: number): VersionRowLayout[] {
    return this.statements.atEpoch.all(akeyId, epoch);
  }

  hasAny(akeyId: AkeyId): boolean {
    return this.statements.anyVersion.get(akeyId) !== undefined;
  }

  /** True when the akey has a version ordered before (epoch, seq). */
  hasOlderThan(akeyId: AkeyId, stamp: Stamp): boolean {
    return this.statements.olderThan.get(akeyId, stamp.epoch, stamp.epoch, stamp.seq) !== undefined;
  }

  /** Reads `lengthBytes` of the payload starting `offsetBytes` into it, into `target` at `targetOffset`. */
  readPayload(row: VersionRowLayout, offsetBytes: number, lengthBytes: number, target: Buffer, targetOffset: number): void {
    if (row.inl !== null) {
      row.inl.copy(target, targetOffset, offsetBytes, offsetBytes + lengthBytes);
    } else if (row.boff !== null) {
      this.blob.readInto(row.boff + offsetBytes, target, targetOffset, lengthBytes);
    }
  }

  /** The whole payload (empty for a punch). */
  payload(row: VersionRowLayout): Buffer {
    if (row.inl !== null) return row.inl;
    const target = Buffer.alloc(row.blen);
    if (row.boff !== null) this.blob.readInto(row.boff, target, 0, row.blen);
    return target;
  }

  /** Deletes one version and releases its payload; returns the bytes released. */
  remove(row: VersionMetaLayout): number {
    this.statements.remove.run(row.seq);
    if (row.ilen !== null) {
      this.space.addInline(-row.ilen);
      return row.ilen;
    }
    if (row.boff !== null) return this.blob.free(row.boff, row.blen);
    return 0;
  }

  /** Deletes every version of an akey; returns { versions, bytes } released. */
  removeAllOfAkey(akeyId: AkeyId): { versions: number; bytes: number } {
    let bytes = 0;
    for (const ref of this.statements.blobRefsOfAkey.all(akeyId)) bytes += this.blob.free(ref.boff, ref.blen);
    const inlineBytes = this.statements.inlineBytesOfAkey.get(akeyId)?.total ?? 0;
    this.space.addInline(-inlineBytes);
    const versions = this.statements.countOfAkey.get(akeyId)?.total ?? 0;
    this.statements.removeAkey.run(akeyId);
    return { versions, bytes: bytes + inlineBytes };
  }
}

/** True for rows that carry data (single values and data extents), false for extent punches. */
export function isDataVersion(row: { kind: VersionKindCode }): boolean {
  return row.kind !== VersionKind.extentPunch;
}
