/**
 * The RPC transport to one engine address: a long-lived h2c client session, then the engine's call sockets.
 * The first calls go over HTTP/2: small ones (request and answer under RPC_CHANNEL_CALL_BYTES_MAX) as
 * frames on the session's one long-lived rpc_channel stream (wire/channel.ts), bulk ones (a body or an
 * answer over that) on a stream each. The rpc_channel's answer says whether the engine serves call
 * sockets (the same frames on plain TCP, call-socket.ts); from then on every call goes on one: small calls
 * on one socket, bulk calls on another, so that a MiB in transit never holds back a small answer. A
 * socket costs a serial 4 KiB read ~10 % less time and CPU on both sides than the h2 channel, and a 1 MiB
 * answer a third to a fifth of the client CPU of an h2 stream (wire/channel.ts).
 * This is the hot path of every metadata operation, so a call allocates only its promise, its frame (or
 * stream) and one small H2Call record: event handlers are module-level functions that find their call
 * through a symbol on the stream, request headers are built once per opcode, and body chunks are joined once.
 * A session that errors, closes or receives GOAWAY is dropped; the next call connects again (lazily). A
 * stream the server refused unprocessed (REFUSED_STREAM) is sent again, at most H2_REFUSED_RETRIES_MAX times.
 * On the channel and on a socket, the frames of one turn leave in one write and answers come back by call
 * id as they are ready.
 * Failure mapping is shared with the other transports (rpc-response.ts). Used by clients and, for
 * engine-to-engine traffic, by the engine and the pool service (keep the class names and constructors).
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import http2 from 'node:http2';
import net from 'node:net';
import type { Logger } from '../log.js';
import { parseHostPort } from '../wire/address.js';
import { RPC_CHANNEL_CALL_BYTES_MAX, RPC_TIMEOUT_MS, STREAMS_PER_SESSION_MAX } from '../constants.js';
import { ANSWER_PAYLOAD_BYTES_MAX, CALL_SOCKET_HEADER, CALL_SOCKET_PATH_HEADER, decodeAnswer, encodeCall, FrameReader, RPC_CHANNEL_PATH } from '../wire/channel.js';
import { encode, encodeParts, partsBytes } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { HTTP_STATUS_OK, type RpcDef } from '../wire/rpc-def.js';
import { writeParts } from '../wire/write-parts.js';
import { CallSocket, type SocketPending } from './call-socket.js';
import { defaultClientLogger } from './client-log.js';
import {
  H2_FRAME_BYTES_MAX, H2_HEADER_LIST_BYTES_MAX, H2_SESSION_MEMORY_MIB, H2_SESSION_WINDOW_BYTES, H2_STREAM_WINDOW_BYTES,
  H2_REFUSED_RETRIES_MAX, TRANSPORT_CLOSE_GRACE_MS,
} from './constants.js';
import { canceledError, errorFromBody, joinChunks, settleAnswer, timeoutError, unreachableError } from './rpc-response.js';
import { kCall, kChannel, kSocket, kTransport } from './symbols.js';
import { AddressTransportPool, type CallOptions, type RpcTransport } from './transport.js';

const SESSION_OPTIONS: http2.SecureClientSessionOptions = {
  maxSessionMemory: H2_SESSION_MEMORY_MIB,
  peerMaxConcurrentStreams: STREAMS_PER_SESSION_MAX,
  settings: {
    enablePush: false,
    initialWindowSize: H2_STREAM_WINDOW_BYTES,
    maxFrameSize: H2_FRAME_BYTES_MAX,
    maxHeaderListSize: H2_HEADER_LIST_BYTES_MAX,
  },
};

const REQUEST_OPTIONS: http2.ClientSessionRequestOptions = { endStream: false };

/** Request headers per RPC path; node copies them per request, so one object per opcode is reused. */
const headersByPath = new Map<string, http2.OutgoingHttpHeaders>();

function headersFor(path: string): http2.OutgoingHttpHeaders {
  let headers = headersByPath.get(path);
  if (headers === undefined) {
    headers = { ':method': 'POST', ':path': path, 'content-type': 'application/msgpack' };
    headersByPath.set(path, headers);
  }
  return headers;
}

type Settle = (value: unknown) => void;

/** State of one RPC in flight. */
class H2Call implements SocketPending {
  status = 0;
  first: Buffer | undefined = undefined;
  rest: Buffer[] | undefined = undefined;
  length = 0;
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  abortListener: (() => void) | undefined = undefined;
  /** The stream of the current try (a refused stream is replaced, see retryRefused); none on the channel. */
  stream: http2.ClientHttp2Stream | undefined = undefined;
  /** The channel or call socket the call waits on, under `id`. */
  waitingOn: H2Channel | CallSocket | undefined = undefined;
  id = 0;
  refusals = 0;

  constructor(
    readonly transport: H2Transport,
    readonly def: RpcDef<unknown, unknown>,
    /** The encoded request: one Buffer, or parts (a bulk RPC's data fields as they are, see encodeParts). */
    readonly body: readonly Buffer[],
    readonly resolve: Settle,
    readonly reject: (error: EngineError) => void,
    readonly options: CallOptions | undefined,
  ) {}

  answer(status: number, body: Buffer): void {
    if (!finish(this)) return;
    try {
      this.resolve(settleAnswer(this.def, status, body, this.transport.address));
    } catch (error) {
      this.reject(error as EngineError);
    }
  }

  fail(error: EngineError): void {
    if (finish(this)) this.reject(error);
  }
}

interface CallStream extends http2.ClientHttp2Stream {
  [kCall]?: H2Call;
}

interface ChannelStream extends http2.ClientHttp2Stream {
  [kChannel]?: H2Channel;
}

/** A session's rpc_channel stream: the calls waiting for an answer on it, by id, and the frames not yet written. */
class H2Channel {
  readonly calls = new Map<number, H2Call>();
  readonly reader = new FrameReader(ANSWER_PAYLOAD_BYTES_MAX);
  /** HTTP status of the channel stream; 0 until the engine answered it. */
  status = 0;
  /** Body of a refused channel (status != 200): the error every call on it gets. */
  refusal: Buffer[] = [];
  out: Buffer[] = [];
  failed = false;

  constructor(
    readonly transport: H2Transport,
    readonly stream: ChannelStream,
  ) {}

  forget(id: number): void {
    this.calls.delete(id);
  }
}

interface OwnedSession extends http2.ClientHttp2Session {
  [kTransport]?: H2Transport;
  [kSocket]?: net.Socket;
}

/** Marks the call done (once); releases its timer and abort listener. Returns false if it was done already. */
function finish(call: H2Call): boolean {
  if (call.settled) return false;
  call.settled = true;
  call.waitingOn?.forget(call.id);
  if (call.timer !== undefined) clearTimeout(call.timer);
  if (call.abortListener !== undefined) call.options?.signal?.removeEventListener('abort', call.abortListener);
  call.transport.callDone();
  return true;
}

function onStreamResponse(this: CallStream, headers: http2.IncomingHttpHeaders): void {
  const call = this[kCall];
  if (call !== undefined) call.status = Number(headers[':status']);
}

function onStreamData(this: CallStream, chunk: Buffer): void {
  const call = this[kCall];
  if (call === undefined) return;
  if (call.first === undefined) call.first = chunk;
  else (call.rest ??= []).push(chunk);
  call.length += chunk.length;
}

function onStreamEnd(this: CallStream): void {
  const call = this[kCall];
  if (call === undefined || !finish(call)) return;
  if (call.status === 0) {
    // The stream ended without response headers: the session went away under it.
    call.reject(unreachableError(call.transport.address, call.def.opcode, `stream ended without an answer (code ${this.rstCode ?? 'none'})`));
    return;
  }
  const body = joinChunks(call.first, call.rest, call.length);
  try {
    call.resolve(settleAnswer(call.def, call.status, body, call.transport.address));
  } catch (error) {
    call.reject(error as EngineError);
  }
}

/**
 * A stream the server refused (RST_STREAM REFUSED_STREAM: e.g. sent before its SETTINGS lowered the
 * stream limit) was never processed, so it is safe to send again on a new stream, a bounded number of times.
 */
function retryRefused(call: H2Call, stream: CallStream): boolean {
  if (stream.rstCode !== http2.constants.NGHTTP2_REFUSED_STREAM || call.settled || call.refusals >= H2_REFUSED_RETRIES_MAX) return false;
  call.refusals++;
  stream[kCall] = undefined;
  call.status = 0;
  call.first = undefined;
  call.rest = undefined;
  call.length = 0;
  call.transport.launch(call);
  return true;
}

function onStreamError(this: CallStream, error: Error): void {
  const call = this[kCall];
  if (call === undefined || retryRefused(call, this) || !finish(call)) return;
  const cause = (error as Error & { cause?: unknown }).cause ?? error;
  call.reject(unreachableError(call.transport.address, call.def.opcode, cause));
}

function onStreamClose(this: CallStream): void {
  const call = this[kCall];
  if (call === undefined || retryRefused(call, this) || !finish(call)) return;
  call.reject(unreachableError(call.transport.address, call.def.opcode, `stream closed (code ${this.rstCode ?? 'none'})`));
}

function onDeadline(call: H2Call, timeoutMs: number): void {
  call.timer = undefined;
  if (!finish(call)) return;
  call.stream?.close(http2.constants.NGHTTP2_CANCEL);
  call.reject(timeoutError(call.transport.address, call.def.opcode, timeoutMs));
}

/** Writes the call frames of this turn as one chunk. */
function flushChannel(channel: H2Channel): void {
  const out = channel.out;
  channel.out = [];
  if (channel.failed || channel.stream.destroyed) return;
  channel.stream.write(out.length === 1 ? out[0]! : Buffer.concat(out));
}

function mayConnect(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function onChannelResponse(this: ChannelStream, headers: http2.IncomingHttpHeaders): void {
  const channel = this[kChannel];
  if (channel === undefined) return;
  channel.status = Number(headers[':status']);
  if (headers[CALL_SOCKET_HEADER] === '1') channel.transport.callSocketServed = true;
  const path = callSocketPathOf(headers);
  if (path !== undefined) channel.transport.callSocketPath = path;
}

/**
 * The engine's UNIX socket named in an rpc_channel answer, when it is on this host (its random name exists
 * nowhere else) and this process may connect to it (connecting needs write permission on the socket file).
 */
function callSocketPathOf(headers: http2.IncomingHttpHeaders): string | undefined {
  const path = headers[CALL_SOCKET_PATH_HEADER];
  return typeof path === 'string' && mayConnect(path) ? path : undefined;
}

function onChannelData(this: ChannelStream, chunk: Buffer): void {
  const channel = this[kChannel];
  if (channel === undefined) return;
  if (channel.status !== HTTP_STATUS_OK) {
    channel.refusal.push(chunk);
    return;
  }
  const { transport } = channel;
  channel.reader.push(chunk);
  try {
    for (let payload = channel.reader.next(); payload !== undefined; payload = channel.reader.next()) {
      const answer = decodeAnswer(payload);
      // No call: it timed out or was aborted since; the answer is dropped.
      channel.calls.get(answer.id)?.answer(answer.status, answer.body);
    }
  } catch (error) {
    transport.failChannel(channel, error as EngineError);
  }
}

/** The engine ended the channel (a refusal such as SHUTDOWN, or it is closing): every call still on it fails. */
function onChannelEnd(this: ChannelStream): void {
  const channel = this[kChannel];
  if (channel === undefined) return;
  const { transport } = channel;
  const error = channel.status !== HTTP_STATUS_OK && channel.status !== 0
    ? errorFromBody(Buffer.concat(channel.refusal), channel.status, transport.address, 'rpc_channel')
    : unreachableError(transport.address, 'rpc_channel', 'channel ended by the engine');
  transport.failChannel(channel, error);
}

function onChannelError(this: ChannelStream, error: Error): void {
  const channel = this[kChannel];
  if (channel === undefined) return;
  const cause = (error as Error & { cause?: unknown }).cause ?? error;
  channel.transport.failChannel(channel, unreachableError(channel.transport.address, 'rpc_channel', cause));
}

function onChannelClose(this: ChannelStream): void {
  const channel = this[kChannel];
  if (channel === undefined) return;
  channel.transport.failChannel(channel, unreachableError(channel.transport.address, 'rpc_channel', `stream closed (code ${this.rstCode ?? 'none'})`));
}

function onSessionConnect(this: OwnedSession): void {
  // The connection-level window is not a SETTINGS value; it must be raised once the session is up.
  this.setLocalWindowSize(H2_SESSION_WINDOW_BYTES);
}

function onSessionError(this: OwnedSession, error: Error): void {
  this[kTransport]?.dropSession(this, error);
}

function onSessionGone(this: OwnedSession): void {
  this[kTransport]?.dropSession(this, undefined);
}

export interface H2TransportOptions {
  readonly log?: Logger;
  /** How long close() waits for a graceful close before it destroys what is still open (TRANSPORT_CLOSE_GRACE_MS). */
  readonly closeGraceMs?: number;
}

/** Closes `session` gracefully; resolves once it is closed (also when it was closing already, or is destroyed meanwhile). */
function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  // An idle session is unref'd; hold the loop open until the close completes, or a caller awaiting
  // close() (every CLI via disconnect) would see its process exit before the promise settles.
  session.ref();
  return new Promise((resolve) => {
    // Not session.close(callback): a session closing already would never call it.
    session.once('close', () => resolve());
    session.close();
  });
}

/** One engine address. Calls before the session is up are queued by node:http2 on the connecting session. */
export class H2Transport implements RpcTransport {
  readonly address: string;
  private readonly origin: string;
  private readonly log: Logger;
  private readonly closeGraceMs: number;
  private session: OwnedSession | undefined = undefined;
  private channel: H2Channel | undefined = undefined;
  /** The call sockets, once the engine serves them: [small calls, bulk calls]. */
  private readonly sockets: [CallSocket | undefined, CallSocket | undefined] = [undefined, undefined];
  /** @internal The engine said (rpc_channel answer header) that it serves call sockets. */
  callSocketServed = false;
  /** @internal The engine's UNIX socket for them, found on this host (dropped if it cannot be reached). */
  callSocketPath: string | undefined = undefined;
  private nextCallId = 0;
  private inflight = 0;
  private closed = false;

  get callsInFlight(): number {
    return this.inflight;
  }

  get localDir(): string | undefined {
    return this.callSocketServed && this.callSocketPath !== undefined ? dirname(this.callSocketPath) : undefined;
  }

  constructor(address: string, options: H2TransportOptions = {}) {
    this.address = address;
    this.origin = `http://${address}`;
    this.log = options.log ?? defaultClientLogger();
    this.closeGraceMs = options.closeGraceMs ?? TRANSPORT_CLOSE_GRACE_MS;
  }

  /**
   * Sends one RPC; rejects with EngineError (the engine's, or UNREACH / TIMEDOUT / CANCELED / PROTO).
   * Calls travel on the engine's call sockets once it has said it serves them; before, small ones as frames
   * on the session's rpc_channel stream, bulk ones on a stream of their own.
   */
  call<Req, Res>(def: RpcDef<Req, Res>, request: Req, options?: CallOptions): Promise<Res> {
    const body = def.bulk === true ? encodeParts(request) : [encode(request)];
    // Bulk bodies keep a stream or a socket of their own: with the small calls they would hold back every
    // answer behind them until they are through.
    const alone = partsBytes(body) > RPC_CHANNEL_CALL_BYTES_MAX || (def.answerBytes?.(request) ?? 0) > RPC_CHANNEL_CALL_BYTES_MAX;
    return new Promise<Res>((resolve, reject) => {
      this.start(def as RpcDef<unknown, unknown>, body, alone, options, resolve as Settle, reject);
    });
  }

  private start(
    def: RpcDef<unknown, unknown>, body: readonly Buffer[], alone: boolean, options: CallOptions | undefined, resolve: Settle, reject: (error: EngineError) => void,
  ): void {
    if (this.closed) return reject(new EngineError(Der.SHUTDOWN, `transport to ${this.address} is closed`));
    if (options?.signal?.aborted === true) return reject(canceledError(this.address, def.opcode));
    const call = new H2Call(this, def, body, resolve, reject, options);
    if (this.inflight++ === 0) this.session?.ref();
    const timeoutMs = options?.timeoutMs ?? RPC_TIMEOUT_MS;
    call.timer = setTimeout(onDeadline, timeoutMs, call, timeoutMs);
    if (options?.signal !== undefined) this.watchSignal(call, options.signal);
    if (this.callSocketServed) this.sendOnSocket(call, alone ? 1 : 0);
    else if (!alone) this.sendFrame(call);
    else this.launch(call);
  }

  /** Puts the call on call socket `which` (0: small calls, 1: bulk), connecting one if needed. */
  private sendOnSocket(call: H2Call, which: 0 | 1): void {
    // Small calls go to the engine's UNIX socket when there is one; bulk ones to the port (TCP's buffers let
    // a MiB travel in fewer pieces: 1 MiB reads 4 in flight, 680-725 MiB/s on the UNIX socket, 800-870 on TCP).
    const path = which === 0 ? this.callSocketPath : undefined;
    const current = this.sockets[which];
    if (current !== undefined && path !== undefined && current.path !== path) {
      // The engine's UNIX socket was learnt again (below): the port's socket ends once its calls are answered.
      this.sockets[which] = undefined;
      void current.end();
    }
    const socket = this.sockets[which] ??= new CallSocket(this.address, path, (gone) => {
      if (this.sockets[which] === gone) this.sockets[which] = undefined;
    }, () => {
      // The UNIX socket could not be reached (the engine restarted under another name): the port for now,
      // and an rpc_channel asks the engine where its UNIX socket is today.
      if (this.callSocketPath !== path) return;
      this.callSocketPath = undefined;
      this.askCallSocketPath();
    });
    this.nextCallId = (this.nextCallId + 1) >>> 0;
    call.id = this.nextCallId;
    call.waitingOn = socket;
    socket.send(call.id, call.def.opcode, call.body, call);
  }

  /** Opens an rpc_channel only to read where the engine's UNIX socket is now (its answer header), then closes it. */
  private askCallSocketPath(): void {
    if (this.closed) return;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.openStream(RPC_CHANNEL_PATH);
    } catch {
      return; // No session now: the port it is, until the next fall-back asks again.
    }
    stream.once('response', (headers) => {
      this.callSocketPath = callSocketPathOf(headers) ?? this.callSocketPath;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on('error', () => undefined);
    stream.end();
  }

  /** Puts the call on the channel (opening one if needed); the frames of one turn are written together. */
  private sendFrame(call: H2Call): void {
    let channel: H2Channel;
    try {
      channel = this.channel ?? this.openChannel();
    } catch (error) {
      if (finish(call)) call.reject(unreachableError(this.address, call.def.opcode, error));
      return;
    }
    this.nextCallId = (this.nextCallId + 1) >>> 0;
    call.id = this.nextCallId;
    call.waitingOn = channel;
    channel.calls.set(call.id, call);
    // The tick runs once this turn's promise jobs are done, so a fan-out's frames leave in one write.
    if (channel.out.push(encodeCall(call.id, call.def.opcode, call.body)) === 1) process.nextTick(flushChannel, channel);
  }

  private openChannel(): H2Channel {
    const stream: ChannelStream = this.openStream(RPC_CHANNEL_PATH);
    const channel = new H2Channel(this, stream);
    stream[kChannel] = channel;
    stream.on('response', onChannelResponse);
    stream.on('data', onChannelData);
    stream.on('end', onChannelEnd);
    stream.on('error', onChannelError);
    stream.on('close', onChannelClose);
    this.channel = channel;
    return channel;
  }

  /**
   * @internal The channel is unusable (the engine ended or refused it, the stream or session failed, a
   * malformed answer): every call still on it fails with `error` — except on a stream the engine refused
   * unprocessed (REFUSED_STREAM), whose calls go again on a new channel, a bounded number of times.
   */
  failChannel(channel: H2Channel, error: EngineError): void {
    if (channel.failed) return;
    channel.failed = true;
    if (this.channel === channel) this.channel = undefined;
    if (!channel.stream.destroyed) channel.stream.close(http2.constants.NGHTTP2_CANCEL);
    const refused = channel.stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM;
    for (const call of [...channel.calls.values()]) {
      channel.calls.delete(call.id);
      call.waitingOn = undefined;
      if (refused && !this.closed && call.refusals < H2_REFUSED_RETRIES_MAX) {
        call.refusals++;
        this.sendFrame(call);
      } else if (finish(call)) {
        call.reject(error);
      }
    }
  }

  /** @internal Sends the call's body on a new stream (first try, or again after a refused stream). */
  launch(call: H2Call): void {
    let stream: CallStream;
    try {
      stream = this.openStream(call.def.path);
    } catch (error) {
      if (finish(call)) call.reject(unreachableError(this.address, call.def.opcode, error));
      return;
    }
    call.stream = stream;
    stream[kCall] = call;
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('end', onStreamEnd);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    writeParts(stream, call.body);
  }

  /** A stream on the current session; a session that went away since the last call is replaced once. */
  private openStream(path: string): http2.ClientHttp2Stream {
    const session = this.session ?? this.connect();
    try {
      return session.request(headersFor(path), REQUEST_OPTIONS);
    } catch (error) {
      // ERR_HTTP2_INVALID_SESSION / GOAWAY_SESSION: the session died between events. Reconnect once.
      this.dropSession(session, error as Error);
      return this.connect().request(headersFor(path), REQUEST_OPTIONS);
    }
  }

  private watchSignal(call: H2Call, signal: AbortSignal): void {
    call.abortListener = () => {
      if (!finish(call)) return;
      call.stream?.close(http2.constants.NGHTTP2_CANCEL);
      call.reject(canceledError(this.address, call.def.opcode));
    };
    signal.addEventListener('abort', call.abortListener, { once: true });
  }

  private connect(): OwnedSession {
    // Our own socket, so that close() can destroy it: a destroyed session still waits for the peer to take
    // what it has queued, which a peer that stopped reading (a frozen process) never does.
    const socket = net.connect({ ...parseHostPort(this.address), noDelay: true });
    const session: OwnedSession = http2.connect(this.origin, { ...SESSION_OPTIONS, createConnection: () => socket });
    session[kTransport] = this;
    session[kSocket] = socket;
    session.once('connect', onSessionConnect);
    session.on('error', onSessionError);
    session.on('goaway', onSessionGone);
    session.on('close', onSessionGone);
    // Idle sessions must not keep a client process alive; start() refs it while calls are in flight.
    if (this.inflight === 0) session.unref();
    this.session = session;
    return session;
  }

  /** @internal Called by the session handlers: forget the session so the next call reconnects. */
  dropSession(session: OwnedSession, error: Error | undefined): void {
    if (this.session !== session) return;
    this.session = undefined;
    // The channel's stream dies with the session (its close event fails the calls); new calls open another.
    this.channel = undefined;
    if (error !== undefined) this.log.debug({ address: this.address, err: error.message }, 'h2 session failed');
    if (!session.destroyed) session.close();
  }

  /** @internal Called once per finished call. */
  callDone(): void {
    if (--this.inflight === 0) this.session?.unref();
  }

  /**
   * Later calls fail with Der.SHUTDOWN. The session and the call sockets close gracefully (calls in flight
   * are answered) for up to closeGraceMs; whatever is still open then is destroyed, failing its calls.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Our end of the channel: the engine ends its side once the calls on it are answered, and the
    // session's graceful close can then complete.
    if (this.channel !== undefined && !this.channel.stream.destroyed) this.channel.stream.end();
    this.channel = undefined;
    const sockets = this.sockets.filter((socket) => socket !== undefined);
    this.sockets.fill(undefined);
    const session = this.session;
    this.session = undefined;
    // Each socket is ended once its calls are answered; it holds the process open while they wait.
    const closed = Promise.all([...sockets.map((socket) => socket.end()), session === undefined ? undefined : closeSession(session)]);
    // Ref'd: a caller awaiting close() keeps its process until this settles.
    const deadline = setTimeout(() => {
      this.log.warn({ address: this.address, callsInFlight: this.inflight, graceMs: this.closeGraceMs }, 'transport not closed in time; destroying it');
      session?.destroy();
      session?.[kSocket]?.destroy();
      for (const socket of sockets) socket.destroy();
    }, this.closeGraceMs);
    await closed;
    clearTimeout(deadline);
  }
}

export interface H2TransportPoolOptions {
  readonly log?: Logger;
}

/** One H2Transport per address, created on first use and kept until close(). */
export class H2TransportPool extends AddressTransportPool<H2Transport> {
  constructor(options: H2TransportPoolOptions = {}) {
    super((address) => new H2Transport(address, options.log === undefined ? {} : { log: options.log }));
  }
}
