/**
 * The `dtx_decisions` table, kept by coordinator targets: txid -> commit | abort. The first decision
 * recorded for a txid wins and is never changed; later attempts read it back. A decision is durable once
 * the caller's transaction commits, which happens before any answer carrying it leaves the engine.
 * A row is removed when its client, having seen every other participant apply a commit, tells the coordinator
 * (TX_COMMIT with `forget`, engine/server/tx/README.md "Forgetting decisions"); other rows stay.
 */
import type Database from 'better-sqlite3';
import { decisionCodeOf, decisionOfCode, type DecisionRowLayout } from './layout.js';
import type { DtxDecision, Txid } from './operation.js';

export class DecisionStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      get: db.prepare<[Buffer], DecisionRowLayout>('SELECT decision, epoch, decided_ms FROM dtx_decisions WHERE txid = ?'),
      insert: db.prepare<[Buffer, number, number, number]>(
        'INSERT INTO dtx_decisions (txid, decision, epoch, decided_ms) VALUES (?, ?, ?, ?)'),
      remove: db.prepare<[Buffer]>('DELETE FROM dtx_decisions WHERE txid = ?'),
      count: db.prepare<[], { total: number }>('SELECT count(*) AS total FROM dtx_decisions'),
    };
  }

  get(txid: Txid): DtxDecision | undefined {
    const row = this.statements.get.get(txid);
    return row === undefined ? undefined : decisionOfCode(row.decision);
  }

  /** Records the first decision; returns the one that stands (this one, or the one recorded before). */
  recordFirst(txid: Txid, decision: DtxDecision, epoch: number, nowMs: number): { decision: DtxDecision; recorded: boolean } {
    const existing = this.get(txid);
    if (existing !== undefined) return { decision: existing, recorded: false };
    this.statements.insert.run(txid, decisionCodeOf(decision), epoch, nowMs);
    return { decision, recorded: true };
  }

  remove(txid: Txid): void {
    this.statements.remove.run(txid);
  }

  count(): number {
    return this.statements.count.get()?.total ?? 0;
  }
}
