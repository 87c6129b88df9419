/**
 * What is visible at an epoch. A version is visible at E when it is at or below E and ordered after the
 * newest punch at or below E of its akey, its dkey and its object (the "cover"). An akey exists at E when
 * its newest version at or below E survives the cover (extent punches count: they are akey updates).
 * A dkey exists when one of its akeys does; an object shard when one of its dkeys does. Read-only.
 * Objects never punched skip the punch lookups (objects.punched).
 */
import { LIST_SCAN_ROWS } from './constants.js';
import type { KeyIndex } from './key-index.js';
import type { PunchLog } from './punch-log.js';
import { PunchLevel, type AkeyId, type DkeyId, type ObjectId } from './schema.js';
import { newerStamp, survives, type Stamp } from './stamp.js';
import type { VersionStore } from './version-store.js';

/**
 * The punch cover of a subtree at an epoch. `punchable` false means no punch was ever recorded under the
 * object, so deeper levels skip their punch lookups.
 */
export interface Cover {
  stamp: Stamp | null;
  punchable: boolean;
}

/** The cover of an object that does not exist (nothing can be punched under it). */
export const NO_COVER: Cover = { stamp: null, punchable: false };

export class Visibility {
  constructor(
    private readonly keys: KeyIndex,
    private readonly versions: VersionStore,
    private readonly punches: PunchLog,
  ) {}

  objectCover(objectId: ObjectId, epoch: number): Cover {
    if (!this.keys.mayHavePunches(objectId)) return NO_COVER;
    return { stamp: this.punches.newest(PunchLevel.object, objectId, epoch), punchable: true };
  }

  /** Cover of a dkey: its own newest punch or its object's, whichever is newer. */
  dkeyCover(objectCover: Cover, dkeyId: DkeyId, epoch: number): Cover {
    if (!objectCover.punchable) return objectCover;
    return { stamp: newerStamp(objectCover.stamp, this.punches.newest(PunchLevel.dkey, dkeyId, epoch)), punchable: true };
  }

  akeyCover(dkeyCover: Cover, akeyId: AkeyId, epoch: number): Stamp | null {
    if (!dkeyCover.punchable) return null;
    return newerStamp(dkeyCover.stamp, this.punches.newest(PunchLevel.akey, akeyId, epoch));
  }

  akeyExists(akeyId: AkeyId, dkeyCover: Cover, epoch: number): boolean {
    const newest = this.versions.newestStamp(akeyId, epoch);
    if (newest === undefined) return false;
    return survives(newest, this.akeyCover(dkeyCover, akeyId, epoch));
  }

  dkeyExists(dkeyId: DkeyId, objectCover: Cover, epoch: number): boolean {
    const cover = this.dkeyCover(objectCover, dkeyId, epoch);
    let after: Buffer | null = null;
    for (;;) {
      const rows = this.keys.akeysAfter(dkeyId, after, LIST_SCAN_ROWS);
      for (const row of rows) {
        if (this.akeyExists(row.id, cover, epoch)) return true;
      }
      if (rows.length < LIST_SCAN_ROWS) return false;
      after = rows[rows.length - 1]!.key;
    }
  }

  objectExists(objectId: ObjectId, epoch: number): boolean {
    const cover = this.objectCover(objectId, epoch);
    let after: Buffer | null = null;
    for (;;) {
      const rows = this.keys.dkeysAfter(objectId, after, LIST_SCAN_ROWS);
      for (const row of rows) {
        if (this.dkeyExists(row.id, cover, epoch)) return true;
      }
      if (rows.length < LIST_SCAN_ROWS) return false;
      after = rows[rows.length - 1]!.key;
    }
  }
}
