/**
 * Open files: the number handed to the kernel as the FUSE file handle (fi->fh) → the DFS handle opened
 * with the caller's flags. Numbers start at 1 (fuse-native treats 0 as "no handle") and stay below
 * 2^32 (fuse-native passes fh as a uint32). Bounded: past FILES_OPEN_MAX opens fail with ENFILE.
 */
import { type DfsObject, FsError } from '../dfs/index.js';
import type { ReadAhead } from './read-ahead.js';
import type { View } from './view.js';
import type { WriteBack } from './write-back.js';

export const FILES_OPEN_MAX = 1 << 16;
const FH_LIMIT = 2 ** 32;

export interface OpenFile {
  readonly fh: number;
  readonly handle: DfsObject;
  /** The view the file was opened in (its DFS mount releases the handle). */
  readonly view: View;
  /** Write-back buffer (files open for writing, unless caching is off). */
  readonly writer: WriteBack | undefined;
  /** Read coalescing (unless caching is off). */
  readonly reader: ReadAhead | undefined;
  /**
   * Opened O_APPEND on a mount without page cache: each write goes at the end of the file as the engines
   * have it (write.ts), not at the kernel's idea of it, which misses what other clients appended.
   */
  readonly appendsAtEnd: boolean;
}

/** The handle number of a file open on a path's node, if any (asked only when the path went stale). */
export type OpenFileOf = () => number | undefined;

export class FileTable {
  readonly #files = new Map<number, OpenFile>();
  #next = 1;

  add(handle: DfsObject, view: View, data: { writer?: WriteBack; reader?: ReadAhead; appendsAtEnd?: boolean } = {}): OpenFile {
    if (this.#files.size >= FILES_OPEN_MAX) throw new FsError('ENFILE', { syscall: 'open', path: handle.name, detail: `${FILES_OPEN_MAX} files open` });
    while (this.#files.has(this.#next)) this.#advance();
    const file: OpenFile = { fh: this.#next, handle, view, writer: data.writer, reader: data.reader, appendsAtEnd: data.appendsAtEnd ?? false };
    this.#files.set(file.fh, file);
    this.#advance();
    return file;
  }

  /** The open file `fh`; EBADF when the kernel names one we do not have. */
  get(fh: number, syscall: string): OpenFile {
    const file = this.#files.get(fh);
    if (file === undefined) throw new FsError('EBADF', { syscall, detail: `file handle ${fh} is not open` });
    return file;
  }

  remove(fh: number): OpenFile | undefined {
    const file = this.#files.get(fh);
    this.#files.delete(fh);
    return file;
  }

  /** Every open file (unmount releases them). */
  all(): OpenFile[] {
    return [...this.#files.values()];
  }

  #advance(): void {
    this.#next = this.#next + 1 >= FH_LIMIT ? 1 : this.#next + 1;
  }
}
