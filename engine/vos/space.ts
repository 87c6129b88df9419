/**
 * Space accounting of one target: inline value bytes plus blob bytes allocated to values, against the
 * optional capacity given at open. The inline counter lives in memory during a transaction (changes are
 * undoable through the UndoLog) and is written to the `meta` table once, by flush() just before commit;
 * after an aborted transaction it is reloaded from sqlite.
 */
import type Database from 'better-sqlite3';
import { Der, EngineError } from '../wire/errors.js';
import type { DataBlob } from './data-blob.js';
import type { VosUsage } from './operation.js';
import { MetaKey, type MetaTable } from './schema.js';
import type { UndoLog } from './undo-log.js';

export class SpaceAccount {
  private inlineBytes: number;
  private persistedInlineBytes: number;
  private readonly pageCount: Database.Statement<[], number>;
  private readonly pageSize: number;

  constructor(
    db: Database.Database,
    private readonly meta: MetaTable,
    private readonly blob: DataBlob,
    private readonly capacityBytes: number | null,
    private readonly undo: UndoLog,
  ) {
    this.inlineBytes = meta.read(MetaKey.inlineBytes);
    this.persistedInlineBytes = this.inlineBytes;
    this.pageCount = db.prepare<[], number>('PRAGMA page_count').pluck();
    this.pageSize = Number(db.pragma('page_size', { simple: true }));
  }

  /** Changes the inline byte count; call only inside a transaction. */
  addInline(deltaBytes: number): void {
    if (deltaBytes === 0) return;
    const previous = this.inlineBytes;
    this.inlineBytes += deltaBytes;
    this.undo.push(() => {
      this.inlineBytes = previous;
    });
  }

  /** Writes the counter; the last step of a transaction. */
  flush(): void {
    if (this.inlineBytes === this.persistedInlineBytes) return;
    this.meta.write(MetaKey.inlineBytes, this.inlineBytes);
    this.persistedInlineBytes = this.inlineBytes;
  }

  /** Re-reads the counter after an aborted transaction. */
  reload(): void {
    this.inlineBytes = this.meta.read(MetaKey.inlineBytes);
    this.persistedInlineBytes = this.inlineBytes;
  }

  /** Value bytes held (blob allocations + inline values). */
  dataBytes(): number {
    return this.inlineBytes + this.blob.usedBytes();
  }

  /** DER_NOSPACE when storing `additionalBytes` more would exceed the capacity. */
  checkCapacity(additionalBytes: number): void {
    if (this.capacityBytes === null || additionalBytes === 0) return;
    if (this.dataBytes() + additionalBytes > this.capacityBytes) {
      throw new EngineError(Der.NOSPACE, `needs ${additionalBytes} bytes, ${this.capacityBytes - this.dataBytes()} left`);
    }
  }

  usage(): VosUsage {
    const blob = this.blob.stats();
    return {
      metadataBytes: this.pageCount.get()! * this.pageSize,
      dataBytes: this.inlineBytes + blob.usedBytes,
      blobFileBytes: blob.fileBytes,
      blobFreeBytes: blob.freeBytes,
    };
  }
}
