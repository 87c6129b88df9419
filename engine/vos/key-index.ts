/**
 * Surrogate ids for the key hierarchy: (cont, oid, shard) -> object id, (object, dkey) -> dkey id,
 * (dkey, akey) -> akey id plus the akey's kind and record size. Version and punch rows carry only these
 * integers. Object ids are cached in a bounded LRU, and so are shards known to have no row (queries of
 * an object's shards that were never written here: every stat of an empty striped file asks each one);
 * both must be cleared whenever a transaction or savepoint rolls back or rows are deleted (clearCache),
 * since a cached id may then name nothing. Rows are only ever inserted by ensureObject, which updates both.
 * Each object's high-water epoch is raised in memory during a transaction and written by flushEpochs().
 */
import type Database from 'better-sqlite3';
import { Der, EngineError } from '../wire/errors.js';
import { OBJECT_CACHE_ENTRIES_MAX } from './constants.js';
import type { ObjectRef } from './operation.js';
import type { UndoLog } from './undo-log.js';
import {
  AkeyKind,
  boundLimit,
  type AkeyId,
  type AkeyKindCode,
  type AkeyRowLayout,
  type DkeyId,
  type KeyRowLayout,
  type ObjectId,
  type ObjectRowLayout,
} from './schema.js';

/**
 * A key row from a raw-mode statement: better-sqlite3 builds row objects property by property, slower than
 * the statement itself on the hot reads (see version-store.ts); an object literal here costs little.
 */
function keyRow<I extends DkeyId | AkeyId>(row: [I, Buffer]): KeyRowLayout<I> {
  return { id: row[0], key: row[1] };
}

function objectCacheKey(ref: ObjectRef): string {
  return `${ref.cont}\u0000${ref.oid.toString('latin1')}\u0000${ref.shard}`;
}

export class KeyIndex {
  private readonly objectCache = new Map<string, ObjectId>();
  /** Object shards with no row here (insertion order: the oldest is dropped first). */
  private readonly absentObjects = new Set<string>();
  /** Object id -> whether any punch was ever recorded under it (objects.punched); bounded like objectCache. */
  private readonly punchedCache = new Map<ObjectId, boolean>();
  /** Object id -> highest epoch noted in the open transaction, not yet written. */
  private readonly pendingEpochs = new Map<ObjectId, number>();
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly undo: UndoLog,
  ) {
    this.statements = {
      findObject: db.prepare<[string, Buffer, number], { id: ObjectId }>(
        'SELECT id FROM objects WHERE cont = ? AND oid = ? AND shard = ?'),
      insertObject: db.prepare<[string, Buffer, number], { id: ObjectId }>(
        'INSERT INTO objects (cont, oid, shard) VALUES (?, ?, ?) RETURNING id'),
      objectById: db.prepare<[number], ObjectRowLayout>('SELECT id, cont, oid, shard FROM objects WHERE id = ?'),
      noteEpoch: db.prepare<[number, number, number]>(
        'UPDATE objects SET max_epoch = ? WHERE id = ? AND max_epoch < ?'),
      // Single-column reads on every fetch and query: plucked, so no row object is built per call.
      maxEpoch: db.prepare<[number], number>('SELECT max_epoch FROM objects WHERE id = ?').pluck(),
      punched: db.prepare<[number], { punched: number }>('SELECT punched FROM objects WHERE id = ?'),
      markPunched: db.prepare<[number]>('UPDATE objects SET punched = 1 WHERE id = ? AND punched = 0'),
      findDkey: db.prepare<[number, Buffer], DkeyId>('SELECT id FROM dkeys WHERE obj = ? AND dkey = ?').pluck(),
      upsertDkey: db.prepare<[number, Buffer], { id: DkeyId }>(
        'INSERT INTO dkeys (obj, dkey) VALUES (?, ?) ON CONFLICT (obj, dkey) DO UPDATE SET obj = excluded.obj RETURNING id'),
      dkeyById: db.prepare<[number], { obj: ObjectId; key: Buffer }>('SELECT obj, dkey AS key FROM dkeys WHERE id = ?'),
      findAkey: db.prepare<[number, Buffer], [AkeyId, AkeyKindCode, number]>(
        'SELECT id, kind, rsize FROM akeys WHERE dkey = ? AND akey = ?').raw(),
      upsertAkey: db.prepare<[number, Buffer, number, number], AkeyRowLayout>(
        `INSERT INTO akeys (dkey, akey, kind, rsize) VALUES (?, ?, ?, ?)
         ON CONFLICT (dkey, akey) DO UPDATE SET kind = akeys.kind RETURNING id, kind, rsize`),
      setAkeyKind: db.prepare<[number, number, number]>('UPDATE akeys SET kind = ?, rsize = ? WHERE id = ?'),
      akeyById: db.prepare<[number], { dkey: DkeyId; key: Buffer }>('SELECT dkey, akey AS key FROM akeys WHERE id = ?'),
      dkeysAfter: db.prepare<[number, Buffer, number], [DkeyId, Buffer]>(
        'SELECT id, dkey AS key FROM dkeys WHERE obj = ? AND dkey > ? ORDER BY dkey ' + boundLimit()).raw(),
      dkeysBefore: db.prepare<[number, Buffer, number], [DkeyId, Buffer]>(
        'SELECT id, dkey AS key FROM dkeys WHERE obj = ? AND dkey < ? ORDER BY dkey DESC ' + boundLimit()).raw(),
      dkeysLast: db.prepare<[number, number], [DkeyId, Buffer]>(
        'SELECT id, dkey AS key FROM dkeys WHERE obj = ? ORDER BY dkey DESC ' + boundLimit()).raw(),
      removeObject: db.prepare<[number]>('DELETE FROM objects WHERE id = ?'),
      removeDkey: db.prepare<[number]>('DELETE FROM dkeys WHERE id = ?'),
      removeAkey: db.prepare<[number]>('DELETE FROM akeys WHERE id = ?'),
      anyDkey: db.prepare<[number], { id: DkeyId }>('SELECT id FROM dkeys WHERE obj = ? LIMIT 1'),
      anyAkey: db.prepare<[number], { id: AkeyId }>('SELECT id FROM akeys WHERE dkey = ? LIMIT 1'),
      nextObject: db.prepare<[number, number], { id: ObjectId }>(
        'SELECT id FROM objects WHERE id > ? AND max_epoch > ? ORDER BY id LIMIT 1'),
      objectsOfCont: db.prepare<[string], { id: ObjectId }>('SELECT id FROM objects WHERE cont = ?'),
      akeysOfDkey: db.prepare<[number, Buffer, number], AkeyRowLayout & { key: Buffer }>(
        'SELECT id, kind, rsize, akey AS key FROM akeys WHERE dkey = ? AND akey > ? ORDER BY akey ' + boundLimit()),
      akeysAfter: db.prepare<[number, Buffer, number], [AkeyId, Buffer]>(
        'SELECT id, akey AS key FROM akeys WHERE dkey = ? AND akey > ? ORDER BY akey ' + boundLimit()).raw(),
    };
  }

  /** The object's id, or undefined when the object shard was never written or punched here. */
  findObject(ref: ObjectRef): ObjectId | undefined {
    const key = objectCacheKey(ref);
    const cached = this.objectCache.get(key);
    if (cached !== undefined) {
      this.objectCache.delete(key);
      this.objectCache.set(key, cached);
      return cached;
    }
    if (this.absentObjects.has(key)) return undefined;
    const row = this.statements.findObject.get(ref.cont, ref.oid, ref.shard);
    if (row !== undefined) this.remember(key, row.id);
    else this.rememberAbsent(key);
    return row?.id;
  }

  ensureObject(ref: ObjectRef): ObjectId {
    const found = this.findObject(ref);
    if (found !== undefined) return found;
    const id = this.statements.insertObject.get(ref.cont, ref.oid, ref.shard)!.id;
    this.remember(objectCacheKey(ref), id);
    return id;
  }

  objectById(id: ObjectId): ObjectRowLayout | undefined {
    return this.statements.objectById.get(id);
  }

  /**
   * False only if no punch (object, dkey or akey) was ever recorded under the object, so reads may skip
   * punch lookups. Conservative: it stays true after aggregation drops the punches.
   */
  mayHavePunches(objectId: ObjectId): boolean {
    const cached = this.punchedCache.get(objectId);
    if (cached !== undefined) return cached;
    const punched = (this.statements.punched.get(objectId)?.punched ?? 1) !== 0;
    this.punchedCache.set(objectId, punched);
    if (this.punchedCache.size > OBJECT_CACHE_ENTRIES_MAX) {
      const oldest = this.punchedCache.keys().next().value;
      if (oldest !== undefined) this.punchedCache.delete(oldest);
    }
    return punched;
  }

  /** Records that a punch exists under the object; call with every recorded punch. */
  markPunched(objectId: ObjectId): void {
    if (this.punchedCache.get(objectId) === true) return;
    this.statements.markPunched.run(objectId);
    this.punchedCache.set(objectId, true);
  }

  /** Raises the object's high-water epoch (queryMaxEpoch); call only inside a transaction. */
  noteEpoch(objectId: ObjectId, epoch: number): void {
    const previous = this.pendingEpochs.get(objectId);
    if (previous !== undefined && previous >= epoch) return;
    this.pendingEpochs.set(objectId, epoch);
    this.undo.push(() => {
      if (previous === undefined) this.pendingEpochs.delete(objectId);
      else this.pendingEpochs.set(objectId, previous);
    });
  }

  /** Writes the epochs noted in this transaction; the last step of a transaction. */
  flushEpochs(): void {
    for (const [objectId, epoch] of this.pendingEpochs) this.statements.noteEpoch.run(epoch, objectId, epoch);
    this.pendingEpochs.clear();
  }

  maxEpoch(objectId: ObjectId): number {
    const stored = this.statements.maxEpoch.get(objectId) ?? 0;
    return Math.max(stored, this.pendingEpochs.get(objectId) ?? 0);
  }

  findDkey(objectId: ObjectId, dkey: Buffer): DkeyId | undefined {
    return this.statements.findDkey.get(objectId, dkey);
  }

  /** Creates the dkey row (or returns the existing one) without a prior lookup. */
  createDkey(objectId: ObjectId, dkey: Buffer): DkeyId {
    return this.statements.upsertDkey.get(objectId, dkey)!.id;
  }

  ensureDkey(objectId: ObjectId, dkey: Buffer): DkeyId {
    return this.findDkey(objectId, dkey) ?? this.createDkey(objectId, dkey);
  }

  dkeyById(id: DkeyId): { obj: ObjectId; key: Buffer } | undefined {
    return this.statements.dkeyById.get(id);
  }

  findAkey(dkeyId: DkeyId, akey: Buffer): AkeyRowLayout | undefined {
    const row = this.statements.findAkey.get(dkeyId, akey);
    return row === undefined ? undefined : { id: row[0], kind: row[1], rsize: row[2] };
  }

  /**
   * The akey's id, creating the row or fixing its kind on the first value write.
   * DER_INVAL when the akey already holds the other kind, or an array of another record size.
   */
  ensureAkey(dkeyId: DkeyId, akey: Buffer, kind: AkeyKindCode, recordSize: number, known?: AkeyRowLayout): AkeyId {
    // Without a known row, one upsert both creates and looks up (the row may exist: a repeated akey).
    const row = known ?? this.statements.upsertAkey.get(dkeyId, akey, kind, recordSize)!;
    if (row.kind === AkeyKind.unset && kind !== AkeyKind.unset) {
      this.statements.setAkeyKind.run(kind, recordSize, row.id);
    } else if (kind !== AkeyKind.unset) {
      checkAkeyKind(row, kind, recordSize);
    }
    return row.id;
  }

  akeyById(id: AkeyId): { dkey: DkeyId; key: Buffer } | undefined {
    return this.statements.akeyById.get(id);
  }

  /** Up to `count` dkeys strictly after `after` (null: from the first), ascending. */
  dkeysAfter(objectId: ObjectId, after: Buffer | null, count: number): Array<KeyRowLayout<DkeyId>> {
    return this.statements.dkeysAfter.all(objectId, after ?? Buffer.alloc(0), count).map(keyRow);
  }

  /** Up to `count` dkeys strictly before `before` (null: from the last), descending. */
  dkeysBefore(objectId: ObjectId, before: Buffer | null, count: number): Array<KeyRowLayout<DkeyId>> {
    if (before === null) return this.statements.dkeysLast.all(objectId, count).map(keyRow);
    return this.statements.dkeysBefore.all(objectId, before, count).map(keyRow);
  }

  /** Up to `count` akeys strictly after `after` (null: from the first), ascending. */
  akeysAfter(dkeyId: DkeyId, after: Buffer | null, count: number): Array<KeyRowLayout<AkeyId>> {
    return this.statements.akeysAfter.all(dkeyId, after ?? Buffer.alloc(0), count).map(keyRow);
  }

  /** Akey rows (with kind and record size) after `after`, ascending. */
  akeyRowsAfter(dkeyId: DkeyId, after: Buffer | null, count: number): Array<AkeyRowLayout & { key: Buffer }> {
    return this.statements.akeysOfDkey.all(dkeyId, after ?? Buffer.alloc(0), count);
  }

  /**
   * The first object id greater than `after` written or punched above `epochAbove` (objects.max_epoch, as
   * flushed at the last commit), or undefined.
   */
  nextObjectId(after: number, epochAbove = -1): ObjectId | undefined {
    return this.statements.nextObject.get(after, epochAbove)?.id;
  }

  objectIdsOfContainer(cont: string): ObjectId[] {
    return this.statements.objectsOfCont.all(cont).map((row) => row.id);
  }

  hasDkeys(objectId: ObjectId): boolean {
    return this.statements.anyDkey.get(objectId) !== undefined;
  }

  hasAkeys(dkeyId: DkeyId): boolean {
    return this.statements.anyAkey.get(dkeyId) !== undefined;
  }

  /** Deletes key rows; the caller has removed their versions, punches and children. */
  removeObject(objectId: ObjectId): void {
    this.statements.removeObject.run(objectId);
    this.clearCache();
    // A later object may reuse the rowid; it must not inherit this one's pending epoch.
    const pending = this.pendingEpochs.get(objectId);
    if (pending === undefined) return;
    this.pendingEpochs.delete(objectId);
    this.undo.push(() => this.pendingEpochs.set(objectId, pending));
  }

  removeDkey(dkeyId: DkeyId): void {
    this.statements.removeDkey.run(dkeyId);
  }

  removeAkey(akeyId: AkeyId): void {
    this.statements.removeAkey.run(akeyId);
  }

  clearCache(): void {
    this.objectCache.clear();
    this.absentObjects.clear();
    this.punchedCache.clear();
  }

  private rememberAbsent(key: string): void {
    this.absentObjects.add(key);
    if (this.absentObjects.size > OBJECT_CACHE_ENTRIES_MAX) {
      const oldest = this.absentObjects.values().next().value;
      if (oldest !== undefined) this.absentObjects.delete(oldest);
    }
  }

  private remember(key: string, id: ObjectId): void {
    this.absentObjects.delete(key);
    this.objectCache.set(key, id);
    if (this.objectCache.size > OBJECT_CACHE_ENTRIES_MAX) {
      const oldest = this.objectCache.keys().next().value;
      if (oldest !== undefined) this.objectCache.delete(oldest);
    }
  }
}

/** DER_INVAL unless a stored akey of `row` may take a write of `kind` / `recordSize`. */
export function checkAkeyKind(row: AkeyRowLayout, kind: AkeyKindCode, recordSize: number): void {
  if (row.kind === AkeyKind.unset) return;
  if (row.kind !== kind) throw new EngineError(Der.INVAL, 'akey holds the other value type');
  if (kind === AkeyKind.array && row.rsize !== recordSize) {
    throw new EngineError(Der.INVAL, `akey record size is ${row.rsize}, not ${recordSize}`);
  }
}
