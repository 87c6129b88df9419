/**
 * The `dtx_decisions` table, kept by coordinator targets: txid -> commit | abort. The first decision
 * recorded for a txid wins and is never changed; later attempts read it back. A decision is durable once
 * the caller's transaction commits, which happens before any answer carrying it leaves the engine.
 * A commit's row is removed when its client, having seen every other participant apply it, tells the
 * coordinator (TX_COMMIT with `forget`); an abort's once it is old enough that no TX_DECIDE(commit) can still
 * arrive (engine/server/tx/README.md "Forgetting decisions"). Other rows stay.
 */
import type Database from 'better-sqlite3';
import { boundLimit } from '../schema.js';
import { DecisionCode, decisionCodeOf, decisionOfCode, type DecisionRowLayout } from './layout.js';
import type { DtxDecision, Txid } from './operation.js';

export class DecisionStore {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      get: db.prepare<[Buffer], DecisionRowLayout>('SELECT decision, epoch, decided_ms FROM dtx_decisions WHERE txid = ?'),
      insert: db.prepare<[Buffer, number, number, number]>(
        'INSERT INTO dtx_decisions (txid, decision, epoch, decided_ms) VALUES (?, ?, ?, ?)'),
      remove: db.prepare<[Buffer]>('DELETE FROM dtx_decisions WHERE txid = ?'),
      removeAbortsBefore: db.prepare<[number, number, number]>(
        `DELETE FROM dtx_decisions WHERE txid IN (SELECT txid FROM dtx_decisions WHERE decision = ? AND decided_ms < ? ${boundLimit()})`),
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

  /** Removes up to `limit` abort rows decided before `beforeMs` (wall time); returns how many went. */
  removeAbortsBefore(beforeMs: number, limit: number): number {
    return this.statements.removeAbortsBefore.run(DecisionCode.abort, beforeMs, limit).changes;
  }

  count(): number {
    return this.statements.count.get()?.total ?? 0;
  }
}
