/**
 * The data-path caches of all open files, by object: write-back buffers (write-back.ts) and read windows
 * (read-ahead.ts). Keeps them coherent for everything that goes through this mount: a write drops the
 * read windows of every open file of that object; reads, getattr (once the cached stat is stale) and
 * truncation first flush the object's write-back buffers, as DAOS dfuse's inode lock does.
 */
import { type DfsObject, oidToString as oidKey } from '../dfs/index.js';
import type { OpenFile } from './file-table.js';
import { READ_WINDOWS_BUDGET_BYTES, WINDOW_BYTES, WindowBudget } from './read-ahead.js';
import { WriteBudget } from './write-back.js';

/** Bytes all write-back buffers may hold together. */
export const WRITE_BACK_BUDGET_BYTES = 64 << 20;

type Oid = DfsObject['oid'];

export class DataCache {
  readonly budget = new WriteBudget(WRITE_BACK_BUDGET_BYTES);
  readonly windows = new WindowBudget(READ_WINDOWS_BUDGET_BYTES / WINDOW_BYTES);
  readonly #files = new Map<string, Set<OpenFile>>();
  /** Files unregistered so far (InodeMap's OpenFiles). */
  #closes = 0;

  register(file: OpenFile): void {
    const key = oidKey(file.handle.oid);
    let files = this.#files.get(key);
    if (files === undefined) this.#files.set(key, (files = new Set()));
    files.add(file);
  }

  unregister(file: OpenFile): void {
    const key = oidKey(file.handle.oid);
    const files = this.#files.get(key);
    files?.delete(file);
    if (files?.size === 0) this.#files.delete(key);
    file.reader?.drop();
    this.#closes += 1;
  }

  get closes(): number {
    return this.#closes;
  }

  /** Drops the read windows of every open file of `oid` (it was just written or truncated). */
  dropReads(oid: Oid): void {
    for (const file of this.#files.get(oidKey(oid)) ?? []) file.reader?.drop();
  }

  /** True when this mount has `oid` open. */
  isOpen(oid: Oid): boolean {
    return this.#files.has(oidKey(oid));
  }

  /** True when some open file of `oid` has unwritten or in-flight data. */
  isDirty(oid: Oid): boolean {
    for (const file of this.#files.get(oidKey(oid)) ?? []) if (file.writer?.dirty === true) return true;
    return false;
  }

  /**
   * Writes out every open file's buffered data of `oid`. Failures stay with each file's write-back
   * (its owner hears of them at its next write, flush or close), so this resolves regardless.
   */
  async settle(oid: Oid): Promise<void> {
    await settleFiles(this.#files.get(oidKey(oid)) ?? []);
  }

  /**
   * settle() of the other open files of `file`'s object: each open file buffers on its own, and a write
   * through `file` answered after theirs must reach the engines after theirs (it wins where they overlap).
   */
  async settleOthers(file: OpenFile): Promise<void> {
    const files = this.#files.get(oidKey(file.handle.oid));
    if (files !== undefined && files.size > 1) await settleFiles([...files].filter((other) => other !== file));
  }

  /** settle() of every object: what the engines answer next includes every write this mount has answered. */
  async settleAll(): Promise<void> {
    await settleFiles([...this.#files.values()].flatMap((files) => [...files]));
  }
}

async function settleFiles(files: Iterable<OpenFile>): Promise<void> {
  const writers = [...files].flatMap((file) => (file.writer?.dirty === true ? [file.writer] : []));
  await Promise.all(writers.map((writer) => writer.flush().catch((error: unknown) => writer.keep(error))));
}
