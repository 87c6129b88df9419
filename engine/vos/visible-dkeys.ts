/**
 * One page of an object shard's dkeys visible at an epoch, in one SQL statement. Listing key by key
 * (visibility.ts) costs two or more statements per dkey (its akey rows, then each akey's newest version,
 * plus punch lookups); a 100,000-entry directory listed that way spent almost all of its engine time
 * crossing from JavaScript into sqlite. Here sqlite evaluates the same rule itself:
 *
 *   a dkey exists at E  ⟺  some akey of it has a version v at or below E that is ordered after (by
 *   (epoch, seq)) every punch at or below E of the object, of the dkey and of that akey.
 *
 * This equals visibility.ts's "the akey's newest version at or below E survives its cover": the newest
 * version is such a v when it survives, and any such v is at most the newest, which then survives too.
 * Objects never punched (Cover.punchable false) skip the punch conditions: each statement is prepared in
 * both forms (punchForms, also used by page-values.ts) and run in the one the object's cover calls for. Read-only.
 */
import type Database from 'better-sqlite3';
import type { DkeyId, KeyRowLayout, ObjectId } from './schema.js';
import { PunchLevel, boundLimit } from './schema.js';
import type { Cover } from './visibility.js';

/** No object punch: every version is ordered after (-1, 0) since write epochs are >= 0. */
const NO_OBJECT_PUNCH = { epoch: -1, seq: 0 } as const;

const EMPTY_KEY = Buffer.alloc(0);

const VERSION_AT_OR_BELOW = 'a.dkey = d.id AND v.epoch <= @epoch';

/** A punch row `p` of `level`/`target` at or below E, ordered after version `v`. */
function punchAfterVersion(level: number, target: string): string {
  return `SELECT 1 FROM punches p WHERE p.level = ${level} AND p.target = ${target} AND p.epoch <= @epoch
      AND (p.epoch > v.epoch OR (p.epoch = v.epoch AND p.seq > v.seq))`;
}

/**
 * Version `v` (of akey `akeyId` under dkey `dkeyId`, at or below @epoch) survives every punch of a
 * punchable object: ordered after the object's punch (@objectEpoch, @objectSeq) and after every punch at
 * or below @epoch of the dkey and of the akey.
 */
function survivesPunches(dkeyId: string, akeyId: string): string {
  return `(v.epoch > @objectEpoch OR (v.epoch = @objectEpoch AND v.seq > @objectSeq))
  AND NOT EXISTS (${punchAfterVersion(PunchLevel.dkey, dkeyId)})
  AND NOT EXISTS (${punchAfterVersion(PunchLevel.akey, akeyId)})`;
}

/** The statement parameters that stand for an object's cover in survivesPunches. */
interface CoverParams {
  objectEpoch: number;
  objectSeq: number;
}

/** A read statement in its two forms: for objects never punched, and with the punch conditions. */
export interface PunchForms<P, R> {
  readonly unpunched: Database.Statement<[P], R>;
  readonly punched: Database.Statement<[P & CoverParams], R>;
}

/**
 * Prepares `sql` in both forms. `sql` gets the condition to add where versions `v` of akeys `a` are read
 * (empty, or `AND` the punch conditions); `dkeyId` is the SQL expression of the dkey's id there.
 */
export function punchForms<P, R>(db: Database.Database, dkeyId: string, sql: (punchCondition: string) => string): PunchForms<P, R> {
  return {
    unpunched: db.prepare<[P], R>(sql('')),
    punched: db.prepare<[P & CoverParams], R>(sql(`AND ${survivesPunches(dkeyId, 'a.id')}`)),
  };
}

/** Runs the form `cover` calls for (Visibility.objectCover of the object read). */
export function allForCover<P, R>(forms: PunchForms<P, R>, cover: Cover, params: P): R[] {
  if (!cover.punchable) return forms.unpunched.all(params);
  const objectPunch = cover.stamp ?? NO_OBJECT_PUNCH;
  return forms.punched.all({ ...params, objectEpoch: objectPunch.epoch, objectSeq: objectPunch.seq });
}

interface PageParams {
  obj: number;
  after: Buffer;
  epoch: number;
  count: number;
}

export class VisibleDkeys {
  private readonly pages: PunchForms<PageParams, KeyRowLayout<DkeyId>>;

  constructor(db: Database.Database) {
    this.pages = punchForms(db, 'd.id', (punched) => `SELECT d.id, d.dkey AS key FROM dkeys d
      WHERE d.obj = @obj AND d.dkey > @after
        AND EXISTS (SELECT 1 FROM akeys a JOIN versions v ON v.akey = a.id WHERE ${VERSION_AT_OR_BELOW} ${punched})
      ORDER BY d.dkey ${boundLimit('@count')}`);
  }

  /**
   * Up to `count` dkeys (id and key) of the object visible at `epoch`, strictly after `after` (null: from
   * the first), ascending; `cover` is the object's cover at `epoch` (Visibility.objectCover).
   */
  page(options: { objectId: ObjectId; cover: Cover; after: Buffer | null; epoch: number; count: number }): Array<KeyRowLayout<DkeyId>> {
    const params: PageParams = { obj: options.objectId, after: options.after ?? EMPTY_KEY, epoch: options.epoch, count: options.count };
    return allForCover(this.pages, options.cover, params);
  }
}
