/**
 * The `punches` table: object, dkey and akey punches (the punch half of DAOS's incarnation logs).
 * A punch at (epoch, seq) hides every version of its subtree ordered before it, for reads at epochs
 * >= its epoch; versions after it (re-created keys) stay visible. Rows are only added by punch/ingest
 * and only removed by aggregation and container destroy.
 */
import type Database from 'better-sqlite3';
import type { Stamp } from './stamp.js';
import type { SeqCounter } from './seq-counter.js';
import type { PunchLevelCode, PunchRowLayout, PunchTargetId, Seq } from './schema.js';

export class PunchLog {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly seq: SeqCounter,
  ) {
    this.statements = {
      insert: db.prepare<[number, number, number, number]>(
        'INSERT INTO punches (seq, level, target, epoch) VALUES (?, ?, ?, ?)'),
      newest: db.prepare<[number, number, number], Stamp>(
        'SELECT epoch, seq FROM punches WHERE level = ? AND target = ? AND epoch <= ? ORDER BY epoch DESC, seq DESC LIMIT 1'),
      upTo: db.prepare<[number, number, number], PunchRowLayout>(
        'SELECT seq, level, target, epoch FROM punches WHERE level = ? AND target = ? AND epoch <= ? ORDER BY epoch, seq'),
      atEpoch: db.prepare<[number, number, number], { seq: number }>(
        'SELECT seq FROM punches WHERE level = ? AND target = ? AND epoch = ? LIMIT 1'),
      any: db.prepare<[number, number], { seq: number }>('SELECT seq FROM punches WHERE level = ? AND target = ? LIMIT 1'),
      remove: db.prepare<[number]>('DELETE FROM punches WHERE seq = ?'),
      removeAll: db.prepare<[number, number]>('DELETE FROM punches WHERE level = ? AND target = ?'),
    };
  }

  /** Records a punch with a fresh seq; returns the seq. */
  record<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>, epoch: number): Seq {
    const seq = this.seq.next();
    this.statements.insert.run(seq, level, target, epoch);
    return seq;
  }

  /** The newest punch of `target` at or below `epoch`, or null. */
  newest<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>, epoch: number): Stamp | null {
    return this.statements.newest.get(level, target, epoch) ?? null;
  }

  /** Punches of `target` at or below `epoch`, oldest first. */
  upTo<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>, epoch: number): PunchRowLayout[] {
    return this.statements.upTo.all(level, target, epoch);
  }

  existsAtEpoch<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>, epoch: number): boolean {
    return this.statements.atEpoch.get(level, target, epoch) !== undefined;
  }

  hasAny<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>): boolean {
    return this.statements.any.get(level, target) !== undefined;
  }

  remove(seq: Seq): void {
    this.statements.remove.run(seq);
  }

  removeAll<L extends PunchLevelCode>(level: L, target: PunchTargetId<L>): void {
    this.statements.removeAll.run(level, target);
  }
}
