/**
 * The parts of one open target that operations work on, wired once by VosTarget.open. Operations are
 * plain functions of (context, op) in their own files; the context holds no per-op state. Everything in
 * it shares one sqlite connection, and callers run mutating functions inside a Transactor scope.
 */
import type Database from 'better-sqlite3';
import type { DataBlob } from './data-blob.js';
import type { KeyIndex } from './key-index.js';
import type { PunchLog } from './punch-log.js';
import type { PageValues } from './page-values.js';
import type { MetaTable } from './schema.js';
import type { SeqCounter } from './seq-counter.js';
import type { SpaceAccount } from './space.js';
import type { VersionStore } from './version-store.js';
import type { VisibleDkeys } from './visible-dkeys.js';
import type { Visibility } from './visibility.js';

export interface VosContext {
  readonly db: Database.Database;
  readonly meta: MetaTable;
  readonly seq: SeqCounter;
  readonly blob: DataBlob;
  readonly space: SpaceAccount;
  readonly keys: KeyIndex;
  readonly versions: VersionStore;
  readonly punches: PunchLog;
  readonly visibility: Visibility;
  readonly visibleDkeys: VisibleDkeys;
  readonly pageValues: PageValues;
}
