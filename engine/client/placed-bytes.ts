/**
 * PlacedBytes: bytes held as parts, each in memory or at a place of an open file on this host (a target's
 * data blob, local-blobs.ts). File parts stay valid until `readBy` (performance.now() milliseconds): later,
 * the engine may have reused the space, so they must not be read, and the caller fetches the bytes again.
 * A reader that can take file parts as they are (dfuse splices them into its answer to the kernel) avoids
 * every copy in user space; toBuffer() reads them into memory otherwise.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** `length` bytes at `position` of the open file `fd`. */
export interface FilePart {
  readonly fd: number;
  readonly position: number;
  readonly length: number;
}

export type BytesPart = Buffer | FilePart;

export class PlacedBytes {
  readonly parts: readonly BytesPart[];
  /** When file parts stop being valid (Infinity when there are none). */
  readonly readBy: number;
  readonly length: number;

  constructor(parts: readonly BytesPart[], readBy: number) {
    this.parts = parts.filter((part) => part.length > 0);
    this.readBy = this.parts.every((part) => Buffer.isBuffer(part)) ? Number.POSITIVE_INFINITY : readBy;
    this.length = this.parts.reduce((sum, part) => sum + part.length, 0);
  }

  /** Bytes in memory. */
  static of(buffer: Buffer): PlacedBytes {
    return new PlacedBytes([buffer], Number.POSITIVE_INFINITY);
  }

  /** `list` one after the other; valid as long as all are. */
  static concat(list: readonly PlacedBytes[]): PlacedBytes {
    return new PlacedBytes(list.flatMap((bytes) => bytes.parts), Math.min(...list.map((bytes) => bytes.readBy)));
  }

  /** True when every part is in memory. */
  get inMemory(): boolean {
    return this.readBy === Number.POSITIVE_INFINITY;
  }

  /** True while the file parts may be read (`marginMs`: and will still be that much later). */
  valid(marginMs = 0): boolean {
    return performance.now() + marginMs < this.readBy;
  }

  /** Bytes [start, end) (clamped to the length), no copy. */
  subarray(start: number, end: number = this.length): PlacedBytes {
    const from = Math.max(0, Math.min(start, this.length));
    const to = Math.max(from, Math.min(end, this.length));
    const parts: BytesPart[] = [];
    let at = 0;
    for (const part of this.parts) {
      const { length } = part;
      const lo = Math.max(from, at) - at;
      const hi = Math.min(to, at + length) - at;
      if (hi > lo) parts.push(Buffer.isBuffer(part) ? part.subarray(lo, hi) : { fd: part.fd, position: part.position + lo, length: hi - lo });
      at += length;
      if (at >= to) break;
    }
    return new PlacedBytes(parts, this.readBy);
  }

  /** The bytes in one buffer, file parts read now (in the thread pool); undefined when they are no longer valid or cannot be read. */
  async toBuffer(): Promise<Buffer | undefined> {
    if (this.parts.length === 1 && Buffer.isBuffer(this.parts[0])) return this.parts[0];
    if (!this.valid()) return undefined;
    const out = Buffer.allocUnsafe(this.length);
    const reads: Array<Promise<boolean>> = [];
    let at = 0;
    for (const part of this.parts) {
      if (Buffer.isBuffer(part)) part.copy(out, at);
      else reads.push(readFully(part, out, at));
      at += part.length;
    }
    const complete = (await Promise.all(reads)).every(Boolean);
    return complete && this.valid() ? out : undefined;
  }
}

/** Reads `part` into `target` at `offset`; false if the file is shorter or the read fails. */
function readFully(part: FilePart, target: Buffer, offset: number): Promise<boolean> {
  return new Promise((resolve) => {
    const step = (done: number): void => {
      if (done === part.length) return resolve(true);
      fs.read(part.fd, target, offset + done, part.length - done, part.position + done, (error, count) => {
        if (error !== null || count === 0) return resolve(false);
        step(done + count);
      });
    };
    step(0);
  });
}
