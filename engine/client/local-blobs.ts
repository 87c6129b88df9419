/**
 * Local reads: the data blob files of engines on this host, read in place. A fetch sent to an engine over
 * its UNIX socket may ask for a placed answer (wire `blobPlaces`): the engine names where the bytes lie in
 * a target's blob file, and the client preads them itself, so a MiB crosses no socket and the engine does
 * no copy (HDFS's short-circuit reads). The engine does not reuse space it freed within a lease of such an
 * answer (engine/vos/data-blob.ts); the client must be done within half the lease of sending its request,
 * or it asks again for the bytes. A file this process may not open (another user's engine) or whose inode
 * is not the one named is never read: the caller asks again for the bytes. Nor is a path that is not a
 * target's data blob under the directory of an engine this process reaches by its UNIX socket (an
 * engine's answer cannot make a client read any other file of its host).
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { DATA_BLOB_FILE_NAME, LOCAL_READ_LEASE_MS } from '../constants.js';
import type { FetchValueBody } from '../wire/rpc/obj.js';
import { type BytesPart, PlacedBytes } from './placed-bytes.js';

/** The environment switch that turns local reads off in a client process (`TSDAOS_LOCAL_READS=0`). */
export const LOCAL_READS_ENV = 'TSDAOS_LOCAL_READS';
/** Fetches asking for at least this many bytes ask for a placed answer (smaller ones gain nothing from it). */
export const LOCAL_READ_BYTES_MIN = 64 * 1024;

type ArrayValue = FetchValueBody & { type: 'array' };

interface OpenBlob {
  readonly fd: number;
  readonly ino: number;
}

export class LocalBlobFiles {
  /** Open blob files by path; null for a path that cannot be opened here. */
  readonly #files = new Map<string, OpenBlob | null>();
  /** The directories of the engines reached by their UNIX sockets now. */
  readonly #engineDirs: () => Iterable<string>;
  #closed = false;
  #refused = false;

  constructor(engineDirs: () => Iterable<string>) {
    this.#engineDirs = engineDirs;
  }

  /** True unless the process turned local reads off (LOCAL_READS_ENV=0). */
  static enabled(env: NodeJS.ProcessEnv = process.env): boolean {
    return env[LOCAL_READS_ENV] !== '0';
  }

  /** True while placed answers are worth asking for: not closed, and no blob file refused to open here. */
  get wanted(): boolean {
    return !this.#closed && !this.#refused;
  }

  /**
   * A placed array answer as PlacedBytes, valid until half the lease after `sentAtMs` (performance.now()
   * when the request left); undefined when its file cannot be read here or the places do not fit the answer.
   */
  place(value: ArrayValue, sentAtMs: number): PlacedBytes | undefined {
    const blob = value.blob;
    if (blob === undefined) return PlacedBytes.of(value.data);
    const file = this.#file(blob.path, blob.ino);
    if (file === undefined) return undefined;
    const { places } = blob;
    const parts: BytesPart[] = [];
    // Places are in answer order: the data bytes fill the gaps between them.
    let at = 0;
    let dataAt = 0;
    for (let index = 0; index < places.length; index += 3) {
      const [placeAt, position, length] = [places[index]!, places[index + 1]!, places[index + 2]!];
      if (placeAt < at || placeAt - at > value.data.length - dataAt) return undefined;
      parts.push(value.data.subarray(dataAt, dataAt + placeAt - at), { fd: file.fd, position, length });
      dataAt += placeAt - at;
      at = placeAt + length;
    }
    parts.push(value.data.subarray(dataAt));
    return new PlacedBytes(parts, sentAtMs + LOCAL_READ_LEASE_MS / 2);
  }

  /**
   * The values of a placed answer with their blob bytes read in; undefined when any cannot be read here
   * or the reads ended past their time (see place): the caller then asks again for the bytes.
   */
  async resolve(values: FetchValueBody[], sentAtMs: number): Promise<FetchValueBody[] | undefined> {
    const resolved = await Promise.all(values.map(async (value): Promise<FetchValueBody | undefined> => {
      if (value.type !== 'array' || value.blob === undefined) return value;
      const data = await this.place(value, sentAtMs)?.toBuffer();
      if (data === undefined) return undefined;
      return value.filled === undefined ? { type: 'array', data } : { type: 'array', data, filled: value.filled };
    }));
    return resolved.includes(undefined) ? undefined : resolved as FetchValueBody[];
  }

  /** Closes the files (once nothing placed before can be valid); later answers are never read here. */
  close(): void {
    this.#closed = true;
    for (const file of this.#files.values()) if (file !== null) retire(file.fd);
    this.#files.clear();
  }

  /** The open file at `path` if it is inode `ino`; undefined when it cannot be (a newer file is reopened once). */
  #file(path: string, ino: number): OpenBlob | undefined {
    if (this.#closed) return undefined;
    let file = this.#files.get(path);
    if (file === null) return undefined;
    if (file !== undefined && file.ino !== ino) {
      retire(file.fd);
      file = undefined;
    }
    if (file === undefined) {
      if (!this.#isEngineBlob(path)) return undefined;
      file = openBlob(path);
      this.#files.set(path, file);
      // This process may not read the engines' files (another user's): it stops asking for placed answers.
      if (file === null) this.#refused = true;
    }
    return file !== null && file.ino === ino ? file : undefined;
  }

  /** True for a data blob (normalized absolute path) under the directory of an engine reached by its UNIX socket. */
  #isEngineBlob(path: string): boolean {
    if (!nodePath.isAbsolute(path) || nodePath.normalize(path) !== path || nodePath.basename(path) !== DATA_BLOB_FILE_NAME) return false;
    for (const dir of this.#engineDirs()) if (path.startsWith(`${dir}${nodePath.sep}`)) return true;
    return false;
  }
}

/**
 * Closes `fd` once every PlacedBytes that may name it is past its time (half a lease after its request
 * left, which was before now): until then a reader may still read it, and a closed number can be reused
 * by the next open at once.
 */
function retire(fd: number): void {
  setTimeout(() => fs.closeSync(fd), LOCAL_READ_LEASE_MS / 2).unref();
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
