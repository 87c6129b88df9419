/**
 * The per-target insertion counter `seq` shared by versions and punches: (epoch, seq) totally orders
 * events, so an update and a punch at the same epoch are ordered by arrival. Strictly increasing for the
 * life of the store: it starts above every stored row and above the `seq_floor` meta row, which is raised
 * whenever rows are deleted (so deleting the newest rows cannot make a later open reuse their seqs).
 */
import type Database from 'better-sqlite3';
import { MetaKey, type MetaTable, type Seq } from './schema.js';

export class SeqCounter {
  private last: number;

  constructor(
    db: Database.Database,
    private readonly meta: MetaTable,
  ) {
    const versions = db.prepare<[], { top: number | null }>('SELECT max(seq) AS top FROM versions').get();
    const punches = db.prepare<[], { top: number | null }>('SELECT max(seq) AS top FROM punches').get();
    this.last = Math.max(versions?.top ?? 0, punches?.top ?? 0, meta.read(MetaKey.seqFloor));
  }

  next(): Seq {
    this.last += 1;
    return this.last as Seq;
  }

  /** The last seq handed out. */
  get current(): number {
    return this.last;
  }

  /** Call in any transaction that deletes version or punch rows. */
  persistFloor(): void {
    this.meta.write(MetaKey.seqFloor, this.last);
  }
}
