/**
 * The `dtx_intents` table: one row per accepted TX_PREPARE. Rows are added by a prepare and removed, all
 * parts of a transaction at once, when its decision is applied (or its container is destroyed); nothing
 * else changes them. Callers run these inside the target's transaction scope (the rows commit with the
 * versions a commit produces). Read at open to rebuild the lock index.
 */
import type Database from 'better-sqlite3';
import type { IntentRowLayout } from './layout.js';
import type { DtxCoordinator, Txid } from './operation.js';

export interface NewIntentPart {
  readonly txid: Txid;
  readonly digest: Buffer;
  readonly cont: string;
  readonly epoch: number;
  readonly coordinator: DtxCoordinator;
  readonly preparedMs: number;
  readonly ops: Buffer;
}

const COLUMNS = 'id, txid, digest, cont, epoch, coord_rank, coord_target, prepared_ms, ops';

export class IntentStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare<[Buffer, Buffer, string, number, number, number, number, Buffer]>(
        `INSERT INTO dtx_intents (txid, digest, cont, epoch, coord_rank, coord_target, prepared_ms, ops)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      hasPart: db.prepare<[Buffer, Buffer], { id: number }>('SELECT id FROM dtx_intents WHERE txid = ? AND digest = ?'),
      partsOf: db.prepare<[Buffer], IntentRowLayout>(`SELECT ${COLUMNS} FROM dtx_intents WHERE txid = ? ORDER BY id`),
      removeOf: db.prepare<[Buffer]>('DELETE FROM dtx_intents WHERE txid = ?'),
      txidsOfCont: db.prepare<[string], { txid: Buffer }>('SELECT DISTINCT txid FROM dtx_intents WHERE cont = ?'),
      all: db.prepare<[], IntentRowLayout>(`SELECT ${COLUMNS} FROM dtx_intents ORDER BY id`),
    };
  }

  insert(part: NewIntentPart): void {
    this.statements.insert.run(part.txid, part.digest, part.cont, part.epoch, part.coordinator.rank,
      part.coordinator.target, part.preparedMs, part.ops);
  }

  hasPart(txid: Txid, digest: Buffer): boolean {
    return this.statements.hasPart.get(txid, digest) !== undefined;
  }

  /** Every prepare of the transaction, in arrival order. */
  partsOf(txid: Txid): IntentRowLayout[] {
    return this.statements.partsOf.all(txid);
  }

  removeAllOf(txid: Txid): void {
    this.statements.removeOf.run(txid);
  }

  txidsOfContainer(cont: string): Txid[] {
    return this.statements.txidsOfCont.all(cont).map((row) => row.txid);
  }

  /** Every row, oldest first (open only: the table is bounded by DTX_INTENTS_PER_TARGET_MAX transactions). */
  all(): IterableIterator<IntentRowLayout> {
    return this.statements.all.iterate();
  }
}
