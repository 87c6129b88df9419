/**
 * Transaction scopes over the one sqlite connection. write(fn) runs fn in its own transaction, or inline
 * when a batch is already open. runBatch(ops) runs all ops in ONE transaction, each op in a savepoint: an
 * op that throws is rolled back alone (no trace) and the others commit together. In-memory state that
 * mirrors sqlite (blob allocator, caches, counters) is reverted through the hooks on every rollback and
 * the blob's pending frees are released only after the commit. Ops must be synchronous.
 */
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { BATCH_OPS_MAX } from './constants.js';
import type { BatchResult } from './operation.js';

export interface TransactionHooks<M> {
  /** A position in the in-memory undo journals, taken when a savepoint opens. */
  mark(): M;
  /** sqlite rolled back to the savepoint of `mark`, or (null) aborted the whole transaction. */
  rolledBack(mark: M | null): void;
  /** Last step inside the outermost transaction: write deferred state (counters) to sqlite. */
  beforeCommit(): void;
  /** The outermost transaction committed. */
  committed(): void;
}

export class Transactor<M> {
  private readonly inTransaction: (fn: () => unknown) => unknown;

  constructor(
    private readonly db: Database.Database,
    private readonly hooks: TransactionHooks<M>,
  ) {
    // A better-sqlite3 transaction function called inside another one becomes a savepoint.
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /** Runs `fn` atomically: its own transaction, or part of the enclosing batch (whose savepoint covers it). */
  write<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      const result = this.inTransaction(() => this.thenFlush(fn)) as T;
      this.hooks.committed();
      return result;
    } catch (error) {
      this.hooks.rolledBack(null);
      throw error;
    }
  }

  /**
   * Runs every op in one transaction, each isolated by a savepoint. Returns one result per op, in order.
   * If the commit itself fails, every op reports that error and nothing is stored.
   */
  runBatch<T>(ops: ReadonlyArray<() => T>): Array<BatchResult<T>> {
    assert.ok(ops.length <= BATCH_OPS_MAX, `batch of ${ops.length} ops exceeds ${BATCH_OPS_MAX}`);
    const [only] = ops;
    if (ops.length === 1 && only !== undefined && !this.db.inTransaction) {
      // One op: the transaction is its isolation; no savepoint (two statements fewer per lone write).
      try {
        return [{ ok: true, value: this.write(only) }];
      } catch (error) {
        return [{ ok: false, error }];
      }
    }
    const runAll = (): Array<BatchResult<T>> => ops.map((op) => this.runIsolated(op));
    if (this.db.inTransaction) return runAll();
    try {
      const results = this.inTransaction(() => this.thenFlush(runAll)) as Array<BatchResult<T>>;
      this.hooks.committed();
      return results;
    } catch (error) {
      this.hooks.rolledBack(null);
      return ops.map(() => ({ ok: false, error }));
    }
  }

  private thenFlush<T>(fn: () => T): T {
    const result = fn();
    this.hooks.beforeCommit();
    return result;
  }

  private runIsolated<T>(op: () => T): BatchResult<T> {
    const mark = this.hooks.mark();
    try {
      return { ok: true, value: this.inTransaction(op) as T };
    } catch (error) {
      this.hooks.rolledBack(mark);
      return { ok: false, error };
    }
  }
}
