/**
 * A client's call socket to one engine (the protocol is in wire/channel.ts): call frames out, answer frames
 * back by call id, in any order. The transport keeps two per engine, one for small calls and one for bulk.
 * Answers are read with net's `onread` into one reused buffer and copied once into a Buffer of the frame's
 * size, whose views the decoded answer's data fields are: no per-read buffers, no per-chunk events. The
 * calls of one turn leave in one writev, their data uncopied.
 * The socket holds the process open only while calls are waiting on it. Any failure (connection refused
 * or lost, the engine ending it, a malformed answer frame) fails every call on it, and the owner drops it;
 * the next call connects again. On the engine's host the socket goes to its UNIX socket (wire/channel.ts),
 * or to the port if that cannot be reached.
 */
import net from 'node:net';
import { parseHostPort } from '../wire/address.js';
import { ANSWER_PAYLOAD_BYTES_MAX, CALL_SOCKET_PREFACE, decodeAnswer, encodeCallParts, FRAME_LENGTH_BYTES } from '../wire/channel.js';
import { Der, EngineError } from '../wire/errors.js';
import { unreachableError } from './rpc-response.js';

/** A call waiting on a call socket. */
export interface SocketPending {
  /** The answer arrived: its status and encoded body (the call owns the bytes). */
  answer(status: number, body: Buffer): void;
  /** The socket failed before the answer came. */
  fail(error: EngineError): void;
}

const OPCODE = 'call_socket';
/** Largest read off a call socket; one buffer for every call socket of the process (copied out at once). */
const READ_BUFFER_BYTES = 1 << 20;
let readBuffer: Buffer | undefined;

function flushCalls(socket: CallSocket): void {
  socket.flush();
}

export class CallSocket {
  /** The engine's UNIX socket this one goes to; undefined when it goes to the port (from the start, or since the UNIX socket could not be reached). */
  path: string | undefined;
  /** Set once the connection is made. */
  connected = false;
  readonly #address: string;
  #socket: net.Socket;
  readonly #calls = new Map<number, SocketPending>();
  readonly #onGone: (socket: CallSocket) => void;
  readonly #onPort: ((socket: CallSocket) => void) | undefined;
  readonly #closed: Promise<void>;
  #resolveClosed: () => void = () => undefined;
  #failed = false;
  #ending = false;
  /** The answer frame being read: its length prefix so far, then its payload. */
  readonly #length = Buffer.alloc(FRAME_LENGTH_BYTES);
  #lengthBytes = 0;
  #payload: Buffer | undefined = undefined;
  #payloadBytes = 0;
  /** Call frames (in parts) queued this turn. */
  #out: Buffer[] = [];
  /** Call frames written to the UNIX socket before it connected, to write again to the port should it not. */
  #unconfirmed: Buffer[] | undefined;

  /**
   * Connects to the engine at `address`, through its UNIX socket `path` when given (CALL_SOCKET_PATH_HEADER);
   * should that not connect (the engine restarted under another name), to the port instead, with the calls
   * already sent, and `onPort` is told. `onGone` runs once when the socket fails or ends.
   */
  constructor(address: string, path: string | undefined, onGone: (socket: CallSocket) => void, onPort?: (socket: CallSocket) => void) {
    this.#address = address;
    this.path = path;
    this.#onGone = onGone;
    this.#onPort = onPort;
    readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#unconfirmed = path === undefined ? undefined : [];
    this.#socket = this.#open(path);
  }

  #open(path: string | undefined): net.Socket {
    const onread = { buffer: readBuffer!, callback: (bytes: number, buffer: Uint8Array) => this.#read(bytes, buffer as Buffer) };
    const socket = net.connect(path === undefined ? { ...parseHostPort(this.#address), noDelay: true, onread } : { path, onread });
    socket.once('connect', () => {
      if (socket !== this.#socket) return;
      this.connected = true;
      this.#unconfirmed = undefined;
    });
    socket.write(CALL_SOCKET_PREFACE);
    if (this.#calls.size === 0) socket.unref();
    socket.once('close', () => socket === this.#socket && this.#resolveClosed());
    const address = this.#address;
    socket.on('error', (error) => this.#lost(socket, unreachableError(address, OPCODE, (error as Error & { cause?: unknown }).cause ?? error)));
    socket.on('end', () => this.#lost(socket, unreachableError(address, OPCODE, 'ended by the engine')));
    socket.on('close', () => this.#lost(socket, unreachableError(address, OPCODE, 'connection closed')));
    return socket;
  }

  /** `socket` failed or ended: a UNIX socket that never connected gives way to the port; anything else fails the calls. */
  #lost(socket: net.Socket, error: EngineError): void {
    if (socket !== this.#socket) return;
    const unconfirmed = this.#unconfirmed;
    if (unconfirmed === undefined || this.#failed) return this.#fail(error);
    this.#unconfirmed = undefined;
    this.path = undefined;
    socket.destroy();
    this.#socket = this.#open(undefined);
    for (const part of unconfirmed) this.#socket.write(part);
    this.#onPort?.(this);
  }

  /** Sends call `id`; `pending` hears its answer or the socket's failure. */
  send(id: number, opcode: string, body: readonly Buffer[], pending: SocketPending): void {
    if (this.#failed) {
      pending.fail(unreachableError(this.#address, opcode, 'call socket failed'));
      return;
    }
    if (this.#calls.size === 0) this.#socket.ref();
    this.#calls.set(id, pending);
    // The calls of one turn leave in one writev: the tick runs once this turn's promise jobs are done.
    if (this.#out.length === 0) process.nextTick(flushCalls, this);
    for (const part of encodeCallParts(id, opcode, body)) this.#out.push(part);
  }

  /** @internal Writes the frames queued this turn. */
  flush(): void {
    const out = this.#out;
    this.#out = [];
    if (this.#failed) return;
    this.#socket.cork();
    for (const part of out) this.#socket.write(part);
    this.#socket.uncork();
    this.#unconfirmed?.push(...out);
  }

  /** Stops waiting for call `id` (it timed out or was aborted): its answer, if it comes, is dropped. */
  forget(id: number): void {
    if (!this.#calls.delete(id) || this.#calls.size > 0) return;
    this.#socket.unref();
    if (this.#ending) this.#socket.end();
  }

  /** Ends the socket once no call waits on it; resolves when it is closed. */
  end(): Promise<void> {
    this.#ending = true;
    if (this.#calls.size === 0) this.#socket.end();
    return this.#closed;
  }

  /** Closes the socket at once; the calls still waiting on it fail with Der.SHUTDOWN. */
  destroy(): void {
    this.#fail(new EngineError(Der.SHUTDOWN, `${OPCODE} to ${this.#address}: closed with calls in flight`));
  }

  /** Copies what was read into the answer frames it belongs to, handing over each frame as it completes; true: keep reading. */
  #read(bytes: number, buffer: Buffer): boolean {
    let at = 0;
    try {
      while (at < bytes) {
        if (this.#payload === undefined) {
          const take = Math.min(FRAME_LENGTH_BYTES - this.#lengthBytes, bytes - at);
          buffer.copy(this.#length, this.#lengthBytes, at, at + take);
          this.#lengthBytes += take;
          at += take;
          if (this.#lengthBytes < FRAME_LENGTH_BYTES) break;
          const size = this.#length.readUInt32LE(0);
          if (size > ANSWER_PAYLOAD_BYTES_MAX) throw new EngineError(Der.PROTO, `${OPCODE} to ${this.#address}: frame of ${size} bytes over the cap`);
          this.#payload = Buffer.allocUnsafe(size);
          this.#payloadBytes = 0;
          this.#lengthBytes = 0;
        }
        const take = Math.min(this.#payload.length - this.#payloadBytes, bytes - at);
        buffer.copy(this.#payload, this.#payloadBytes, at, at + take);
        this.#payloadBytes += take;
        at += take;
        if (this.#payloadBytes === this.#payload.length) {
          const payload = this.#payload;
          this.#payload = undefined;
          this.#deliver(payload);
        }
      }
    } catch (error) {
      this.#fail(error instanceof EngineError ? error : new EngineError(Der.PROTO, `${OPCODE} to ${this.#address}: ${(error as Error).message}`));
    }
    return true;
  }

  #deliver(payload: Buffer): void {
    const answer = decodeAnswer(payload);
    const pending = this.#calls.get(answer.id);
    // No call: it timed out or was aborted since; the answer is dropped.
    if (pending === undefined) return;
    this.forget(answer.id);
    pending.answer(answer.status, answer.body);
  }

  #fail(error: EngineError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onGone(this);
    this.#socket.destroy();
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const pending of calls) pending.fail(error);
  }
}
