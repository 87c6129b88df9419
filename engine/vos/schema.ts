/**
 * The durable layout of one target's VOS in sqlite: DDL, the numeric codes stored in rows, and the
 * row shapes (`*Layout`) that statements return. This file is the on-disk format; changing a table or a
 * code means bumping VOS_LAYOUT_VERSION. Versions and punches share one insertion counter `seq`
 * (the rowid of both tables), so (epoch, seq) orders every event on the target.
 * Version 2 added the DTX tables (dtx/layout.ts) and meta `rts_bound`; a version 1 store is upgraded in
 * place at open (both additions are empty for it).
 * The versions index carries each row's extent (lo, hi) after (akey, epoch), so an extent read's overlap test
 * runs on index entries instead of one table lookup per version of the akey (a 1 MiB chunk written by 4 KiB
 * random writes holds ~256 versions: 53 -> 20 us per overlap query, measured on a copy of the table). It
 * replaced an (akey, epoch) index at open: no layout change, the old index is dropped, the new one built.
 */
import Database from 'better-sqlite3';
import { EngineError, Der } from '../wire/errors.js';
import { SQLITE_CACHE_KIB, VOS_LAYOUT_VERSION, WAL_AUTOCHECKPOINT_PAGES } from './constants.js';
import { DTX_DDL } from './dtx/layout.js';

/** versions.kind */
export const VersionKind = { single: 1, extent: 2, extentPunch: 3 } as const;
export type VersionKindCode = (typeof VersionKind)[keyof typeof VersionKind];

/** akeys.kind: fixed at the first value write; `unset` when the row was created by a punch. */
export const AkeyKind = { unset: 0, single: 1, array: 2 } as const;
export type AkeyKindCode = (typeof AkeyKind)[keyof typeof AkeyKind];

/** punches.level: which table `punches.target` names. */
export const PunchLevel = { object: 0, dkey: 1, akey: 2 } as const;
export type PunchLevelCode = (typeof PunchLevel)[keyof typeof PunchLevel];

/** meta table keys. */
export const MetaKey = {
  layoutVersion: 'layout_version',
  blobEnd: 'blob_end',
  inlineBytes: 'inline_bytes',
  seqFloor: 'seq_floor',
  /** Durable upper bound of every read timestamp recorded (dtx/read-stamps.ts). */
  rtsBound: 'rts_bound',
} as const;

/** The layout version before DTX; opened stores of this version are upgraded in place. */
const LAYOUT_VERSION_BEFORE_DTX = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, ival INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
  id INTEGER PRIMARY KEY, cont TEXT NOT NULL, oid BLOB NOT NULL, shard INTEGER NOT NULL,
  max_epoch INTEGER NOT NULL DEFAULT 0, punched INTEGER NOT NULL DEFAULT 0, UNIQUE (cont, oid, shard));
CREATE TABLE IF NOT EXISTS dkeys (
  id INTEGER PRIMARY KEY, obj INTEGER NOT NULL, dkey BLOB NOT NULL, UNIQUE (obj, dkey));
CREATE TABLE IF NOT EXISTS akeys (
  id INTEGER PRIMARY KEY, dkey INTEGER NOT NULL, akey BLOB NOT NULL,
  kind INTEGER NOT NULL, rsize INTEGER NOT NULL, UNIQUE (dkey, akey));
CREATE TABLE IF NOT EXISTS versions (
  seq INTEGER PRIMARY KEY, akey INTEGER NOT NULL, epoch INTEGER NOT NULL, kind INTEGER NOT NULL,
  lo INTEGER NOT NULL, hi INTEGER NOT NULL, inl BLOB, boff INTEGER, blen INTEGER NOT NULL);
DROP INDEX IF EXISTS versions_by_akey;
CREATE INDEX IF NOT EXISTS versions_by_akey_extent ON versions (akey, epoch, lo, hi);
CREATE TABLE IF NOT EXISTS punches (
  seq INTEGER PRIMARY KEY, level INTEGER NOT NULL, target INTEGER NOT NULL, epoch INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS punches_by_target ON punches (level, target, epoch);
CREATE TABLE IF NOT EXISTS blob_free (off INTEGER PRIMARY KEY, len INTEGER NOT NULL);
`;

/** Surrogate row ids, branded so an id of one table can never be passed as another's. */
/**
 * A LIMIT taken from a bound parameter (`?` or a named one). Written as a CAST: sqlite (3.53 here) takes a
 * bare `LIMIT ?` as a constant for its planner and so prepares the statement again every time the
 * parameter is bound, even to the same value: 4 us per execution when hot, 20-60 us inside a busy engine,
 * where a directory's stat (its query max reads the last dkey) spent most of its engine time re-parsing SQL.
 */
export function boundLimit(parameter = '?'): string {
  return `LIMIT CAST(${parameter} AS INTEGER)`;
}

export type ObjectId = number & { readonly __brand: 'VosObjectId' };
export type DkeyId = number & { readonly __brand: 'VosDkeyId' };
export type AkeyId = number & { readonly __brand: 'VosAkeyId' };
/** The insertion counter shared by versions and punches (their rowid). */
export type Seq = number & { readonly __brand: 'VosSeq' };

/** The id type of each punch level's target. */
export type PunchTargetId<L extends PunchLevelCode> =
  L extends typeof PunchLevel.object ? ObjectId : L extends typeof PunchLevel.dkey ? DkeyId : AkeyId;

/** objects row. */
export interface ObjectRowLayout {
  id: ObjectId;
  cont: string;
  oid: Buffer;
  shard: number;
}

/** akeys row (without the key bytes). */
export interface AkeyRowLayout {
  id: AkeyId;
  kind: AkeyKindCode;
  rsize: number;
}

/** A key row as listed: surrogate id and key bytes. */
export interface KeyRowLayout<I extends DkeyId | AkeyId> {
  id: I;
  key: Buffer;
}

/**
 * versions row. Single values: lo = hi = 0. Extents: records [lo, hi). blen is the payload length;
 * the payload is `inl` (inline) or blob bytes [boff, boff + blen); extent punches have neither.
 */
export interface VersionRowLayout {
  seq: Seq;
  epoch: number;
  kind: VersionKindCode;
  lo: number;
  hi: number;
  inl: Buffer | null;
  boff: number | null;
  blen: number;
}

/** versions row without the inline payload: `ilen` is the inline payload length, null when not inline. */
export interface VersionMetaLayout {
  seq: Seq;
  epoch: number;
  kind: VersionKindCode;
  lo: number;
  hi: number;
  ilen: number | null;
  boff: number | null;
  blen: number;
}

/** punches row; `target` is an ObjectId, DkeyId or AkeyId as `level` says (PunchTargetId). */
export interface PunchRowLayout {
  seq: Seq;
  level: PunchLevelCode;
  target: number;
  epoch: number;
}

/**
 * Opens (creating if needed) the database at `path` with the durability settings of the contract:
 * WAL + synchronous NORMAL, so a committed transaction survives the process being killed.
 * Throws EngineError(DER_INVAL) for a database of another layout version, EngineError(DER_BUSY) for one
 * that is open elsewhere (the lock is exclusive).
 */
export function openVosDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    // The engine is the database's only user. Exclusive locking, set before the first WAL access, keeps
    // the WAL index in the process's memory: no -shm file and no fcntl lock calls per transaction (a point
    // read measured 32 -> 17 us, a small insert 141 -> 132 us). A second opener of the same target now
    // fails SQLITE_BUSY instead of sharing it.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    db.pragma('temp_store = MEMORY');
    // Checkpoint less often than the default 1000 pages: hot index pages are copied back fewer times.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec(DDL);
    db.exec(DTX_DDL);
    checkLayoutVersion(db);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY') {
      throw new EngineError(Der.BUSY, `VOS database ${path} is open elsewhere (another engine on this directory?)`);
    }
    throw error;
  }
}

function checkLayoutVersion(db: Database.Database): void {
  const read = db.prepare<[string], { ival: number }>('SELECT ival FROM meta WHERE key = ?');
  const row = read.get(MetaKey.layoutVersion);
  if (row === undefined) {
    const insert = db.prepare('INSERT INTO meta (key, ival) VALUES (?, ?)');
    db.transaction(() => {
      insert.run(MetaKey.layoutVersion, VOS_LAYOUT_VERSION);
      insert.run(MetaKey.blobEnd, 0);
      insert.run(MetaKey.inlineBytes, 0);
      insert.run(MetaKey.seqFloor, 0);
      insert.run(MetaKey.rtsBound, 0);
    })();
    return;
  }
  if (row.ival === LAYOUT_VERSION_BEFORE_DTX) {
    // The DTX tables were just created (DDL above); only the new meta row and the version are missing.
    db.transaction(() => {
      db.prepare('INSERT OR IGNORE INTO meta (key, ival) VALUES (?, 0)').run(MetaKey.rtsBound);
      db.prepare('UPDATE meta SET ival = ? WHERE key = ?').run(VOS_LAYOUT_VERSION, MetaKey.layoutVersion);
    })();
    return;
  }
  if (row.ival !== VOS_LAYOUT_VERSION) {
    throw new EngineError(Der.INVAL, `vos layout version ${row.ival}, expected ${VOS_LAYOUT_VERSION}`);
  }
}

/** Reads and writes the integer-valued `meta` rows. */
export class MetaTable {
  private readonly readStatement: Database.Statement<[string], { ival: number }>;
  private readonly writeStatement: Database.Statement<[number, string]>;

  constructor(db: Database.Database) {
    this.readStatement = db.prepare('SELECT ival FROM meta WHERE key = ?');
    this.writeStatement = db.prepare('UPDATE meta SET ival = ? WHERE key = ?');
  }

  read(key: string): number {
    const row = this.readStatement.get(key);
    if (row === undefined) throw new EngineError(Der.MISC, `vos meta row ${key} missing`);
    return row.ival;
  }

  write(key: string, value: number): void {
    this.writeStatement.run(value, key);
  }
}
