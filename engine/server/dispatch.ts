/**
 * One RPC on one HTTP/2 stream: read the body under a hard cap, decode msgpack, validate against the RPC's
 * request schema, call the handler, answer 200 + msgpack or an ErrorBody (400 for Der.PROTO, 409 for any
 * other DER). Also tracks in-flight requests so shutdown can refuse new ones and wait for the rest.
 * Invariants: a malformed request never reaches a handler; a body over RPC_BODY_BYTES_MAX is never
 * buffered whole (the stream is answered and reset as soon as the cap is passed); no input, and no
 * handler bug, can throw out of serve(): non-EngineError failures are logged with stack and answered MISC.
 * The rpc_channel stream of a session (engine/wire/channel.ts) carries many calls as frames; each is served
 * exactly like a lone one and answered with its own frame as soon as it is done.
 */
import { constants as h2constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RPC_BODY_BYTES_MAX, RPC_CHANNEL_CALL_BYTES_MAX } from '../constants.js';
import type { Logger } from '../log.js';
import { decode, encode, encodeParts, partsBytes } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { HTTP_STATUS_ERROR, HTTP_STATUS_OK, HTTP_STATUS_PROTO, type ErrorBody } from '../wire/rpc-def.js';
import {
  SOCKET_CALL_PAYLOAD_BYTES_MAX, CALL_SOCKET_HEADER, CALL_SOCKET_PATH_HEADER, CALL_PAYLOAD_BYTES_MAX, decodeCall, encodeAnswerParts, FrameReader, joinParts,
  RPC_CHANNEL_CONTENT_TYPE, RPC_CHANNEL_OPCODE, RPC_CHANNEL_PATH,
} from '../wire/channel.js';
import { writeParts } from '../wire/write-parts.js';
import { CHANNEL_CALLS_MAX } from './constants.js';
import { isPromise, type MaybeAsync, thenMaybe } from './maybe-async.js';
import { type EngineMetrics, OPCODE_UNKNOWN } from './metrics.js';
import type { RequestContext } from './registry.js';
import type { Route, Router } from './router.js';

const CONTENT_TYPE = 'application/msgpack';

/** The body was larger than the cap: the stream must be answered and reset, not read further. */
const BODY_TOO_LARGE = Symbol('body too large');

/** Reads a stream's body into one Buffer, or BODY_TOO_LARGE as soon as more than `capBytes` arrived. */
export function readBody(stream: ServerHttp2Stream, capBytes: number): Promise<Buffer | typeof BODY_TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > capBytes) {
        cleanup();
        chunks.length = 0;
        resolve(BODY_TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onClose = (): void => {
      cleanup();
      reject(new EngineError(Der.CANCELED, 'stream closed before the request body ended'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onClose);
  });
}

function errorBodyOf(error: EngineError): ErrorBody {
  const body: { der: number; mapVersion?: number; leader?: number } = { der: error.der };
  if (error.info.mapVersion !== undefined) body.mapVersion = error.info.mapVersion;
  if (error.info.leader !== undefined) body.leader = error.info.leader;
  return body;
}

/** Sends status + body (its parts in order) if the stream can still take it; returns the bytes sent (0 if the peer is gone). */
function answer(stream: ServerHttp2Stream, status: number, body: readonly Buffer[]): number {
  if (stream.destroyed || stream.closed || stream.headersSent) return 0;
  const bytes = partsBytes(body);
  try {
    stream.respond({ ':status': status, 'content-type': CONTENT_TYPE, 'content-length': bytes });
    writeParts(stream, body);
  } catch {
    // The session went away between the check and the write (GOAWAY, socket error): nobody to answer.
    return 0;
  }
  return bytes;
}

/** What one call earned: HTTP status and body, and the DER code when it failed. */
interface Outcome {
  readonly status: number;
  /** The encoded answer: one Buffer, or parts (a bulk RPC's data fields as they are, see encodeParts). */
  readonly body: readonly Buffer[];
  readonly der?: number;
}

/**
 * Where a channel's frames travel: an rpc_channel HTTP/2 stream, or a call socket (plain TCP, see
 * wire/channel.ts). Both read frames in, write answer frames out, and can be paused and reset.
 */
interface FrameConnection {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** Writes answer frames given as parts, together. */
  write(parts: readonly Buffer[]): void;
  end(): void;
  pause(): void;
  resume(): void;
  isPaused(): boolean;
  /** Drops the connection after a protocol error. */
  reset(): void;
}

/** An rpc_channel stream: small answers, so a turn's frames are joined into one DATA write. */
function streamConnection(stream: ServerHttp2Stream): FrameConnection {
  return {
    get destroyed() { return stream.destroyed; },
    get writableEnded() { return stream.writableEnded; },
    write: (parts) => { stream.write(joinParts(parts)); },
    end: () => { stream.end(); },
    pause: () => { stream.pause(); },
    resume: () => { stream.resume(); },
    isPaused: () => stream.isPaused(),
    reset: () => { stream.close(h2constants.NGHTTP2_PROTOCOL_ERROR); },
  };
}

/** A call socket: the parts of a turn's answers leave in one writev, a MiB of data uncopied. */
function socketConnection(socket: Socket): FrameConnection {
  return {
    get destroyed() { return socket.destroyed; },
    get writableEnded() { return socket.writableEnded; },
    write: (parts) => {
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    },
    end: () => { socket.end(); },
    pause: () => { socket.pause(); },
    resume: () => { socket.resume(); },
    isPaused: () => socket.isPaused(),
    reset: () => { socket.destroy(); },
  };
}

/** One open channel (rpc_channel stream or call socket): its calls' shared signal, and the answer parts not yet written. */
interface Channel {
  readonly connection: FrameConnection;
  /** A call socket on the engine's UNIX socket (RequestContext.local). */
  readonly local: boolean;
  readonly controller: AbortController;
  calls: number;
  ended: boolean;
  out: Buffer[];
  /** Serves the frames received and not yet served, as far as the in-flight cap allows. */
  pump: () => void;
}

/** Writes the answers a channel gathered this turn together; ends the channel once the client has and nothing is pending. */
function flushChannel(channel: Channel): void {
  const { connection, out } = channel;
  channel.out = [];
  if (connection.destroyed || connection.writableEnded) return;
  if (out.length > 0) connection.write(out);
  if (channel.ended && channel.calls === 0) connection.end();
}

/** Serves RPC streams for one listener; owns the in-flight set and the shutdown flag. */
export class RpcDispatcher {
  /** Per-stream requests in flight, each with its own signal. */
  private readonly inFlight = new Set<AbortController>();
  /** Open rpc_channel streams and call sockets; their calls in flight are counted in channelCalls. */
  private readonly channels = new Set<Channel>();
  private channelCalls = 0;
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];

  /** `callSocketPath`: the UNIX socket that also serves call sockets, told to every rpc_channel client. */
  constructor(private readonly deps: { router: Router; metrics: EngineMetrics; log: Logger; callSocketPath?: string | undefined }) {}

  /** Requests received and not yet answered. */
  inFlightCount(): number {
    return this.inFlight.size + this.channelCalls;
  }

  /** From now on every new request is answered Der.SHUTDOWN without being read. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Resolves true once no request is in flight, or false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlightCount() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
        resolve(false);
      }, timeoutMs);
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(onIdle);
    });
  }

  /** Aborts the signal of every in-flight request (after a drain timed out). */
  abortInFlight(): void {
    const error = new EngineError(Der.SHUTDOWN, 'engine shutting down');
    for (const controller of this.inFlight) controller.abort(error);
    for (const channel of this.channels) channel.controller.abort(error);
  }

  /** Ends every channel from our side (the engine is closing) after the answers already made: calls still pending get none. */
  endChannels(): void {
    for (const channel of this.channels) {
      channel.ended = true;
      flushChannel(channel);
      if (!channel.connection.destroyed && !channel.connection.writableEnded) channel.connection.end();
    }
  }

  /** Serves one `POST /v1/<opcode>` stream to completion. Never rejects. */
  async serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const startedMs = performance.now();
    const path = headers[':path'] ?? '';
    if (path === RPC_CHANNEL_PATH && !this.shuttingDown) {
      this.serveChannel(stream);
      return;
    }
    const route = this.deps.router.lookup(path);
    const opcode = route?.def.opcode ?? (path === RPC_CHANNEL_PATH ? RPC_CHANNEL_OPCODE : OPCODE_UNKNOWN);
    if (this.shuttingDown) {
      this.rejectUnread(stream, opcode, startedMs, new EngineError(Der.SHUTDOWN, 'engine shutting down'));
      return;
    }
    const declaredBytes = Number(headers['content-length'] ?? 0);
    if (declaredBytes > RPC_BODY_BYTES_MAX) {
      this.rejectUnread(stream, opcode, startedMs, new EngineError(Der.PROTO, `content-length ${declaredBytes} over the cap`));
      return;
    }
    const controller = new AbortController();
    const onAborted = (): void => controller.abort(new EngineError(Der.CANCELED, 'stream reset by client'));
    stream.once('aborted', onAborted);
    this.inFlight.add(controller);
    let bytesIn = 0;
    let outcome: Outcome;
    try {
      const body = await readBody(stream, RPC_BODY_BYTES_MAX);
      if (body === BODY_TOO_LARGE) {
        this.finishRequest(controller);
        this.rejectUnread(stream, opcode, startedMs, new EngineError(Der.PROTO, `body over ${RPC_BODY_BYTES_MAX} bytes`));
        return;
      }
      bytesIn = body.length;
      outcome = await this.run(route, path, body, controller.signal);
    } catch (error) {
      outcome = this.failure(error, opcode);
    } finally {
      stream.off('aborted', onAborted);
    }
    const bytesOut = answer(stream, outcome.status, outcome.body);
    this.finishRequest(controller);
    this.deps.metrics.recordRequest({ opcode, seconds: (performance.now() - startedMs) / 1000, bytesIn, bytesOut, der: outcome.der });
  }

  /** One call through its route: its answer, or the error answer it earned; at once when the handler answered at once. Never rejects. */
  private run(route: Route | undefined, path: string, body: Buffer, signal: AbortSignal, local = false): MaybeAsync<Outcome> {
    const opcode = route?.def.opcode ?? OPCODE_UNKNOWN;
    try {
      if (route === undefined) throw new EngineError(Der.NOSYS, `no RPC at ${path}`);
      const answer = this.invoke(route, body, { log: this.deps.log, signal, local });
      if (!isPromise(answer)) return { status: HTTP_STATUS_OK, body: answer };
      return answer.then((parts) => ({ status: HTTP_STATUS_OK, body: parts }), (error: unknown) => this.failure(error, opcode));
    } catch (error) {
      return this.failure(error, opcode);
    }
  }

  /**
   * An rpc_channel stream: answered 200 at once and kept open; each call frame is served as if it had come on
   * a stream of its own (validated, routed, counted under its own opcode) and answered with its own frame as
   * soon as it is done. A malformed frame resets the channel (PROTO for every call still on it, client side).
   * The answer tells the client that this engine also serves call sockets, and where on its host, if it does.
   */
  private serveChannel(stream: ServerHttp2Stream): void {
    const path = this.deps.callSocketPath;
    stream.respond({
      ':status': HTTP_STATUS_OK, 'content-type': RPC_CHANNEL_CONTENT_TYPE, [CALL_SOCKET_HEADER]: '1', ...(path === undefined ? {} : { [CALL_SOCKET_PATH_HEADER]: path }),
    });
    const channel = this.openChannel(streamConnection(stream), CALL_PAYLOAD_BYTES_MAX, RPC_CHANNEL_CALL_BYTES_MAX);
    stream.on('data', (chunk: Buffer) => channel.push(chunk));
    stream.on('end', () => channel.end());
    stream.on('close', () => channel.close());
  }

  /**
   * A call socket (its preface already read by the listener): served as an rpc_channel whose calls may carry
   * bodies up to RPC_BODY_BYTES_MAX. Ended from our side when the client ends it (or the engine closes:
   * endChannels; the listener destroys it if the client still holds it then).
   */
  serveCallSocket(socket: Socket, first: Buffer, local: boolean): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const channel = this.openChannel(socketConnection(socket), SOCKET_CALL_PAYLOAD_BYTES_MAX, RPC_BODY_BYTES_MAX, local);
    socket.on('data', (chunk: Buffer) => channel.push(chunk));
    socket.on('end', () => channel.end());
    socket.on('close', () => channel.close());
    channel.push(first);
  }

  /** The frame handling shared by rpc_channel streams and call sockets; the caller feeds it the connection's events. */
  private openChannel(
    connection: FrameConnection, payloadBytesMax: number, bodyBytesMax: number, local = false,
  ): { push(chunk: Buffer): void; end(): void; close(): void } {
    const channel: Channel = { connection, local, controller: new AbortController(), calls: 0, ended: false, out: [], pump: () => undefined };
    this.channels.add(channel);
    const reader = new FrameReader(payloadBytesMax);
    // Serves the frames read so far, up to CHANNEL_CALLS_MAX calls in flight; past it the connection is
    // paused (flow control holds the client back) until answers make room.
    channel.pump = (): void => {
      if (connection.destroyed) return;
      try {
        while (channel.calls < CHANNEL_CALLS_MAX) {
          const payload = reader.next();
          if (payload === undefined) break;
          void this.serveChannelCall(channel, decodeCall(payload, bodyBytesMax));
        }
      } catch (error) {
        this.deps.log.warn({ err: (error as Error).message }, 'rpc_channel: malformed frame, resetting the channel');
        connection.reset();
        return;
      }
      if (channel.calls >= CHANNEL_CALLS_MAX) connection.pause();
      else if (connection.isPaused()) connection.resume();
    };
    return {
      push: (chunk) => {
        reader.push(chunk);
        channel.pump();
      },
      end: () => {
        channel.ended = true;
        if (channel.calls === 0) flushChannel(channel);
      },
      close: () => {
        this.channels.delete(channel);
        channel.controller.abort(new EngineError(Der.CANCELED, 'rpc_channel closed by client'));
      },
    };
  }

  private serveChannelCall(channel: Channel, call: { id: number; opcode: string; body: Buffer }): void {
    const startedMs = performance.now();
    const path = `/v1/${call.opcode}`;
    const route = this.deps.router.lookup(path);
    const outcome = this.shuttingDown
      ? this.failure(new EngineError(Der.SHUTDOWN, 'engine shutting down'), route?.def.opcode ?? OPCODE_UNKNOWN)
      : this.run(route, path, call.body, channel.controller.signal, channel.local);
    if (!isPromise(outcome)) {
      this.answerChannelCall(channel, call, route, outcome, startedMs);
      return;
    }
    channel.calls++;
    this.channelCalls++;
    void outcome.then((settled) => {
      channel.calls--;
      this.channelCalls--;
      if (channel.calls === CHANNEL_CALLS_MAX - 1) channel.pump();
      this.answerChannelCall(channel, call, route, settled, startedMs);
      this.notifyIfIdle();
    });
  }

  /** Queues a channel call's answer frame (written with the others of this turn) and counts the call. */
  private answerChannelCall(channel: Channel, call: { id: number; body: Buffer }, route: Route | undefined, outcome: Outcome, startedMs: number): void {
    // Answers settled in one turn leave in one write: the tick runs once this turn's promise jobs are done.
    const first = channel.out.length === 0;
    channel.out.push(...encodeAnswerParts(call.id, outcome.status, outcome.body));
    if (first) process.nextTick(flushChannel, channel);
    this.deps.metrics.recordRequest({
      opcode: route?.def.opcode ?? OPCODE_UNKNOWN, seconds: (performance.now() - startedMs) / 1000,
      bytesIn: call.body.length, bytesOut: partsBytes(outcome.body), der: outcome.der,
    });
  }

  /** Decodes, validates and serves one request; its encoded answer, at once when the handler answered at once. */
  private invoke(route: Route, body: Buffer, context: RequestContext): MaybeAsync<readonly Buffer[]> {
    let value: unknown;
    try {
      value = decode(body);
    } catch (error) {
      throw new EngineError(Der.PROTO, `undecodable msgpack body: ${(error as Error).message}`);
    }
    const request = route.def.request.check(value, '');
    return thenMaybe(route.handler(request, context), (response) => route.def.bulk === true ? encodeParts(response) : [encode(response)]);
  }

  /** Maps a failure to status + ErrorBody; anything but an EngineError is a bug and is logged as one. */
  private failure(error: unknown, opcode: string): Outcome & { der: number } {
    let engineError: EngineError;
    if (error instanceof EngineError) {
      engineError = error;
      this.deps.log.debug({ opcode, der: error.der, detail: error.message }, 'rpc failed');
    } else {
      engineError = new EngineError(Der.MISC);
      this.deps.log.error({ opcode, err: error }, 'rpc handler threw a non-engine error');
    }
    const status = engineError.der === Der.PROTO ? HTTP_STATUS_PROTO : HTTP_STATUS_ERROR;
    return { status, body: [encode(errorBodyOf(engineError))], der: engineError.der };
  }

  /** Answers an error without reading (the rest of) the body, then resets the stream so the peer stops sending. */
  private rejectUnread(stream: ServerHttp2Stream, opcode: string, startedMs: number, error: EngineError): void {
    const outcome = this.failure(error, opcode);
    const bytesOut = answer(stream, outcome.status, outcome.body);
    // RST_STREAM(NO_ERROR) after a complete response tells the client to stop sending the body (RFC 9113
    // §8.1); node sends it once the response has been written.
    if (!stream.destroyed) stream.close(h2constants.NGHTTP2_NO_ERROR);
    this.deps.metrics.recordRequest({ opcode, seconds: (performance.now() - startedMs) / 1000, bytesIn: 0, bytesOut, der: outcome.der });
  }

  private finishRequest(controller: AbortController): void {
    this.inFlight.delete(controller);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.inFlightCount() > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
