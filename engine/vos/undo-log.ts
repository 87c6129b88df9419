/**
 * Undo log for in-memory state that mirrors or defers sqlite writes within a transaction (space counters,
 * object high-water epochs). Components push a closure that restores their previous state; when sqlite
 * rolls back to a savepoint or aborts, the Transactor runs the closures newer than the savepoint's mark,
 * newest first. Cleared at commit. Holds at most one entry per change of the open transaction.
 */
import assert from 'node:assert/strict';

export class UndoLog {
  private readonly entries: Array<() => void> = [];

  mark(): number {
    return this.entries.length;
  }

  push(undo: () => void): void {
    this.entries.push(undo);
  }

  /** Runs and drops every entry pushed after `mark`, newest first. */
  rollbackTo(mark: number): void {
    assert.ok(mark <= this.entries.length, 'undo mark from another transaction');
    while (this.entries.length > mark) this.entries.pop()!();
  }

  clear(): void {
    this.entries.length = 0;
  }
}
