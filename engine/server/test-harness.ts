/**
 * Test support for engine/server tests (never imported by product code): a raw node:http2 client that
 * sends arbitrary bytes to an engine, so tests can speak the real wire, including malformed bodies that
 * the typed client transport would never produce, plus a temporary-directory engine starter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../wire/codec.js';

export interface RawAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** The msgpack-decoded body, or undefined when the body is not msgpack (text endpoints). */
  readonly value: unknown;
}

/** One h2c session to an engine, sending hand-made requests. */
export class RawClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`, { settings: { initialWindowSize: 16 * 1024 * 1024 } });
    this.session.on('error', () => undefined);
  }

  /** POSTs `body` (encoded with msgpack unless it already is a Buffer) to `/v1/<opcode>`. */
  post(opcode: string, body: unknown): Promise<RawAnswer> {
    const bytes = Buffer.isBuffer(body) ? body : encode(body);
    return this.request({ ':method': 'POST', ':path': `/v1/${opcode}`, 'content-type': 'application/msgpack' }, bytes);
  }

  get(path: string): Promise<RawAnswer> {
    return this.request({ ':method': 'GET', ':path': path }, undefined);
  }

  /**
   * Sends headers and an optional body (written in `chunkBytes` pieces, then the stream is ended unless
   * `end` is false); resolves with the answer.
   */
  request(headers: http2.OutgoingHttpHeaders, body: Buffer | undefined, options: { chunkBytes?: number; end?: boolean } = {}): Promise<RawAnswer> {
    const open = this.open(headers, body === undefined);
    if (body !== undefined) writeChunked(open.stream, body, options.chunkBytes ?? 1024 * 1024, options.end ?? true);
    return open.answer;
  }

  /** Opens a request stream the caller writes (and ends) itself; `answer` settles when the stream closes. */
  open(headers: http2.OutgoingHttpHeaders, endStream = false): { stream: http2.ClientHttp2Stream; answer: Promise<RawAnswer> } {
    const stream = this.session.request(headers, { endStream });
    const answer = new Promise<RawAnswer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      stream.on('response', (responseHeaders) => {
        status = Number(responseHeaders[':status']);
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => (status === 0 ? reject(error) : undefined));
      stream.on('close', () => {
        if (status === 0) return reject(new Error(`stream closed without response (rst ${stream.rstCode})`));
        const bytes = Buffer.concat(chunks);
        resolve({ status, body: bytes, value: decodeOrUndefined(bytes) });
      });
    });
    return { stream, answer };
  }

  close(): Promise<void> {
    if (this.session.closed || this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.session.once('close', () => resolve());
      this.session.close();
    });
  }
}

function decodeOrUndefined(bytes: Buffer): unknown {
  try {
    return bytes.length > 0 ? decode(bytes) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `body` in pieces, honouring backpressure, then ends the stream if asked (stops if the stream closes). */
function writeChunked(stream: http2.ClientHttp2Stream, body: Buffer, chunkBytes: number, end: boolean): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < body.length && !stream.destroyed) {
      const piece = body.subarray(offset, offset + chunkBytes);
      offset += piece.length;
      if (!stream.write(piece)) {
        stream.once('drain', pump);
        return;
      }
    }
    if (end && !stream.destroyed) stream.end();
  };
  pump();
}

/** A fresh temporary directory and its remover. */
export function makeTempDir(prefix = 'tsdaos-engine-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
