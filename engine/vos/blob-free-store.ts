/**
 * The durable free list of the data blob: table `blob_free` (offset -> length, coalesced) and the
 * `blob_end` meta row. Every method runs inside the caller's sqlite transaction, so the stored free list
 * always matches the committed version rows. It holds no state of its own; ExtentAllocator drives it.
 */
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import type { BlobRange, FreeListStore } from './extent-allocator.js';
import { MetaKey, type MetaTable } from './schema.js';

interface FreeRowLayout {
  off: number;
  len: number;
}

export class SqliteFreeListStore implements FreeListStore {
  private readonly selectAll: Database.Statement<[], FreeRowLayout>;
  private readonly selectAtOrBefore: Database.Statement<[number], FreeRowLayout>;
  private readonly selectAt: Database.Statement<[number], FreeRowLayout>;
  private readonly insert: Database.Statement<[number, number]>;
  private readonly remove: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly meta: MetaTable,
  ) {
    this.selectAll = db.prepare('SELECT off, len FROM blob_free ORDER BY off');
    this.selectAtOrBefore = db.prepare('SELECT off, len FROM blob_free WHERE off <= ? ORDER BY off DESC LIMIT 1');
    this.selectAt = db.prepare('SELECT off, len FROM blob_free WHERE off = ?');
    this.insert = db.prepare('INSERT INTO blob_free (off, len) VALUES (?, ?)');
    this.remove = db.prepare('DELETE FROM blob_free WHERE off = ?');
  }

  loadFree(): BlobRange[] {
    return this.selectAll.all().map((row) => ({ offset: row.off, length: row.len }));
  }

  loadEnd(): number {
    return this.meta.read(MetaKey.blobEnd);
  }

  saveEnd(end: number): void {
    this.meta.write(MetaKey.blobEnd, end);
  }

  insertFree(range: BlobRange): void {
    let offset = range.offset;
    let length = range.length;
    const before = this.selectAtOrBefore.get(offset);
    if (before !== undefined) {
      assert.ok(before.off + before.len <= offset, 'stored blob free list overlap');
      if (before.off + before.len === offset) {
        this.remove.run(before.off);
        offset = before.off;
        length += before.len;
      }
    }
    const after = this.selectAt.get(range.offset + range.length);
    if (after !== undefined) {
      this.remove.run(after.off);
      length += after.len;
    }
    this.insert.run(offset, length);
  }

  removeFree(range: BlobRange): void {
    const row = this.selectAtOrBefore.get(range.offset);
    assert.ok(row !== undefined && row.off + row.len >= range.offset + range.length, 'blob range not free');
    this.remove.run(row.off);
    if (row.off < range.offset) this.insert.run(row.off, range.offset - row.off);
    const rowEnd = row.off + row.len;
    const rangeEnd = range.offset + range.length;
    if (rangeEnd < rowEnd) this.insert.run(rangeEnd, rowEnd - rangeEnd);
  }
}
