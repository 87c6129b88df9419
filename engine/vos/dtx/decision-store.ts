/**
 * The `dtx_decisions` table, kept by coordinator targets: txid -> commit | abort. The first decision
 * recorded for a txid wins and is never changed; later attempts read it back. A decision is durable once
 * the caller's transaction commits, which happens before any answer carrying it leaves the engine.
 * Rows are never removed yet (bounded garbage collection is a follow-up, see engine/server/tx/README.md).
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

  count(): number {
    return this.statements.count.get()?.total ?? 0;
  }
}
