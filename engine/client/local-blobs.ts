/**
 * Local reads: the data blob files of engines on this host, read in place. A fetch sent to an engine over
 * its UNIX socket may ask for a placed answer (wire `blobPlaces`): the engine names where the bytes lie in
 * a target's blob file, and the client preads them itself, so a MiB crosses no socket and the engine does
 * no copy (HDFS's short-circuit reads). The engine does not reuse space it freed within a lease of such an
 * answer (engine/vos/data-blob.ts); the client must be done within half the lease of sending its request,
 * or it asks again for the bytes. A file this process may not open (another user's engine) or whose inode
 * is not the one named is never read: the caller asks again for the bytes.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LOCAL_READ_LEASE_MS } from '../constants.js';
import type { FetchValueBody } from '../wire/rpc/obj.js';

/** The environment switch that turns local reads off in a client process (`TSDAOS_LOCAL_READS=0`). */
export const LOCAL_READS_ENV = 'TSDAOS_LOCAL_READS';
/** Fetches asking for at least this many bytes ask for a placed answer (smaller ones gain nothing from it). */
export const LOCAL_READ_BYTES_MIN = 64 * 1024;

type ArrayValue = FetchValueBody & { type: 'array' };
type BlobPlacesBody = NonNullable<ArrayValue['blob']>;

interface OpenBlob {
  readonly fd: number;
  readonly ino: number;
}

export class LocalBlobFiles {
  /** Open blob files by path; null for a path that cannot be opened here. */
  readonly #files = new Map<string, OpenBlob | null>();
  /** Descriptors to close once no read is in flight (a closed descriptor's number may be reused at once). */
  #retired: number[] = [];
  #reading = 0;
  #closed = false;
  #refused = false;

  /** True unless the process turned local reads off (LOCAL_READS_ENV=0). */
  static enabled(env: NodeJS.ProcessEnv = process.env): boolean {
    return env[LOCAL_READS_ENV] !== '0';
  }

  /** True while placed answers are worth asking for: not closed, and no blob file refused to open here. */
  get wanted(): boolean {
    return !this.#closed && !this.#refused;
  }

  /**
   * The values of a placed answer with their blob bytes read in; undefined when any cannot be read here
   * or the reads ended later than half the lease after `sentAtMs` (performance.now() when the request
   * left): the caller then asks again for the bytes.
   */
  async resolve(values: FetchValueBody[], sentAtMs: number): Promise<FetchValueBody[] | undefined> {
    const resolved = await Promise.all(values.map((value) =>
      (value.type === 'array' && value.blob !== undefined ? this.#assemble(value, value.blob) : value)));
    if (resolved.includes(undefined) || performance.now() - sentAtMs > LOCAL_READ_LEASE_MS / 2) return undefined;
    return resolved as FetchValueBody[];
  }

  /** Closes the files; later answers are never resolved here. */
  close(): void {
    this.#closed = true;
    for (const file of this.#files.values()) if (file !== null) this.#retired.push(file.fd);
    this.#files.clear();
    this.#closeRetired();
  }

  #closeRetired(): void {
    if (this.#reading > 0) return;
    for (const fd of this.#retired) fs.closeSync(fd);
    this.#retired = [];
  }

  async #assemble(value: ArrayValue, blob: BlobPlacesBody): Promise<ArrayValue | undefined> {
    const file = this.#file(blob.path, blob.ino);
    if (file === undefined) return undefined;
    const { places } = blob;
    let placedBytes = 0;
    for (let index = 2; index < places.length; index += 3) placedBytes += places[index]!;
    const out = Buffer.allocUnsafe(value.data.length + placedBytes);
    // Places are in answer order: the data bytes fill the gaps between them.
    let at = 0;
    let dataAt = 0;
    for (let index = 0; index < places.length; index += 3) {
      const placeAt = places[index]!;
      if (placeAt < at || placeAt - at > value.data.length - dataAt) return undefined;
      dataAt += value.data.copy(out, at, dataAt, dataAt + placeAt - at);
      at = placeAt + places[index + 2]!;
    }
    if (out.length - at !== value.data.length - dataAt) return undefined;
    value.data.copy(out, at, dataAt);
    this.#reading++;
    const reads: Array<Promise<boolean>> = [];
    for (let index = 0; index < places.length; index += 3) reads.push(readFully(file.fd, out, places[index]!, places[index + 2]!, places[index + 1]!));
    const complete = (await Promise.all(reads)).every(Boolean);
    this.#reading--;
    this.#closeRetired();
    if (!complete) return undefined;
    const assembled: ArrayValue = { type: 'array', data: out };
    if (value.filled !== undefined) assembled.filled = value.filled;
    return assembled;
  }

  /** The open file at `path` if it is inode `ino`; undefined when it cannot be (a newer file is reopened once). */
  #file(path: string, ino: number): OpenBlob | undefined {
    if (this.#closed) return undefined;
    let file = this.#files.get(path);
    if (file === null) return undefined;
    if (file !== undefined && file.ino !== ino) {
      this.#retired.push(file.fd);
      this.#closeRetired();
      file = undefined;
    }
    if (file === undefined) {
      file = openBlob(path);
      this.#files.set(path, file);
      // This process may not read the engines' files (another user's): it stops asking for placed answers.
      if (file === null) this.#refused = true;
    }
    return file !== null && file.ino === ino ? file : undefined;
  }
}

function openBlob(path: string): OpenBlob | null {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  } catch {
    return null;
  }
  return { fd, ino: fs.fstatSync(fd).ino };
}

/** Reads `length` bytes at `position` into `target` at `offset` (in the thread pool); false if the file is shorter. */
function readFully(fd: number, target: Buffer, offset: number, length: number, position: number): Promise<boolean> {
  return new Promise((resolve) => {
    const step = (done: number): void => {
      if (done === length) return resolve(true);
      fs.read(fd, target, offset + done, length - done, position + done, (error, count) => {
        if (error !== null || count === 0) return resolve(false);
        step(done + count);
      });
    };
    step(0);
  });
}
