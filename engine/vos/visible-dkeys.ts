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
 * Objects never punched (Cover.punchable false) skip the punch conditions. Read-only.
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
export function survivesPunches(dkeyId: string, akeyId: string): string {
  return `(v.epoch > @objectEpoch OR (v.epoch = @objectEpoch AND v.seq > @objectSeq))
  AND NOT EXISTS (${punchAfterVersion(PunchLevel.dkey, dkeyId)})
  AND NOT EXISTS (${punchAfterVersion(PunchLevel.akey, akeyId)})`;
}

/** The statement parameters that stand for an object's cover in survivesPunches. */
export function coverParams(cover: Cover): { objectEpoch: number; objectSeq: number } {
  const objectPunch = cover.stamp ?? NO_OBJECT_PUNCH;
  return { objectEpoch: objectPunch.epoch, objectSeq: objectPunch.seq };
}

function pageStatement(versionCondition: string): string {
  return `SELECT d.id, d.dkey AS key FROM dkeys d
    WHERE d.obj = @obj AND d.dkey > @after
      AND EXISTS (SELECT 1 FROM akeys a JOIN versions v ON v.akey = a.id WHERE ${versionCondition})
    ORDER BY d.dkey ${boundLimit('@count')}`;
}

const UNPUNCHED_PAGE = pageStatement(VERSION_AT_OR_BELOW);

const PUNCHED_PAGE = pageStatement(`${VERSION_AT_OR_BELOW} AND ${survivesPunches('d.id', 'a.id')}`);

interface PageParams {
  obj: number;
  after: Buffer;
  epoch: number;
  count: number;
}

export class VisibleDkeys {
  private readonly unpunched: Database.Statement<[PageParams], KeyRowLayout<DkeyId>>;
  private readonly punched: Database.Statement<[PageParams & { objectEpoch: number; objectSeq: number }], KeyRowLayout<DkeyId>>;

  constructor(db: Database.Database) {
    this.unpunched = db.prepare<[PageParams], KeyRowLayout<DkeyId>>(UNPUNCHED_PAGE);
    this.punched = db.prepare<[PageParams & { objectEpoch: number; objectSeq: number }], KeyRowLayout<DkeyId>>(PUNCHED_PAGE);
  }

  /**
   * Up to `count` dkeys (id and key) of the object visible at `epoch`, strictly after `after` (null: from
   * the first), ascending; `cover` is the object's cover at `epoch` (Visibility.objectCover).
   */
  page(options: { objectId: ObjectId; cover: Cover; after: Buffer | null; epoch: number; count: number }): Array<KeyRowLayout<DkeyId>> {
    const params: PageParams = { obj: options.objectId, after: options.after ?? EMPTY_KEY, epoch: options.epoch, count: options.count };
    if (!options.cover.punchable) return this.unpunched.all(params);
    return this.punched.all({ ...params, ...coverParams(options.cover) });
  }
}
