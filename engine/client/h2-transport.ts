/**
 * The node:http2 RPC transport: one long-lived h2c client session per engine address, one stream per RPC.
 * This is the hot path of every metadata operation, so a call allocates only its promise, its stream and
 * one small H2Call record: event handlers are module-level functions that find their call through a
 * symbol on the stream, request headers are built once per opcode, and body chunks are joined once.
 * A session that errors, closes or receives GOAWAY is dropped; the next call connects again (lazily). A
 * stream the server refused unprocessed (REFUSED_STREAM) is sent again, at most H2_REFUSED_RETRIES_MAX times.
 * Small calls made in one turn of the event loop are coalesced into one rpc_batch stream (wire/rpc/batch.ts).
 * Failure mapping is shared with the other transports (rpc-response.ts). Used by clients and, for
 * engine-to-engine traffic, by the engine and the pool service (keep the class names and constructors).
 */
import http2 from 'node:http2';
import type { Logger } from '../log.js';
import { RPC_BATCH_CALLS_MAX, RPC_BATCH_CALL_BYTES_MAX, RPC_TIMEOUT_MS, STREAMS_PER_SESSION_MAX } from '../constants.js';
import { encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef, RpcResponse } from '../wire/rpc-def.js';
import { RPC_BATCH } from '../wire/rpc/batch.js';
import { defaultClientLogger } from './client-log.js';
import {
  H2_FRAME_BYTES_MAX, H2_HEADER_LIST_BYTES_MAX, H2_SESSION_MEMORY_MIB, H2_SESSION_WINDOW_BYTES, H2_STREAM_WINDOW_BYTES,
  H2_REFUSED_RETRIES_MAX,
} from './constants.js';
import { canceledError, joinChunks, settleAnswer, timeoutError, unreachableError } from './rpc-response.js';
import { kCall, kTransport } from './symbols.js';
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
class H2Call {
  status = 0;
  first: Buffer | undefined = undefined;
  rest: Buffer[] | undefined = undefined;
  length = 0;
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  abortListener: (() => void) | undefined = undefined;
  /** The stream of the current try (a refused stream is replaced, see retryRefused). */
  stream: http2.ClientHttp2Stream | undefined = undefined;
  refusals = 0;

  constructor(
    readonly transport: H2Transport,
    readonly def: RpcDef<unknown, unknown>,
    readonly body: Buffer,
    readonly resolve: Settle,
    readonly reject: (error: EngineError) => void,
    readonly options: CallOptions | undefined,
  ) {}
}

interface CallStream extends http2.ClientHttp2Stream {
  [kCall]?: H2Call;
}

interface OwnedSession extends http2.ClientHttp2Session {
  [kTransport]?: H2Transport;
}

/** Marks the call done (once); releases its timer and abort listener. Returns false if it was done already. */
function finish(call: H2Call): boolean {
  if (call.settled) return false;
  call.settled = true;
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

/** Settles each member of a batch with its own answer, in call order. */
function settleMembers(address: string, members: readonly H2Call[], response: RpcResponse<typeof RPC_BATCH>): void {
  if (response.answers.length !== members.length) {
    rejectMembers(members, new EngineError(Der.PROTO, `rpc_batch to ${address}: ${response.answers.length} answers for ${members.length} calls`));
    return;
  }
  members.forEach((member, index) => {
    if (!finish(member)) return;
    const answer = response.answers[index]!;
    try {
      member.resolve(settleAnswer(member.def, answer.status, answer.body, address));
    } catch (error) {
      member.reject(error as EngineError);
    }
  });
}

/** The batch failed as a whole (unreachable engine, deadline, shutdown): every member still waiting fails alike. */
function rejectMembers(members: readonly H2Call[], error: EngineError): void {
  for (const member of members) if (finish(member)) member.reject(error);
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
}

/** One engine address. Calls before the session is up are queued by node:http2 on the connecting session. */
export class H2Transport implements RpcTransport {
  readonly address: string;
  private readonly origin: string;
  private readonly log: Logger;
  private session: OwnedSession | undefined = undefined;
  private inflight = 0;
  /** Calls made this turn, sent together by flushPending. */
  private pending: H2Call[] = [];
  private closed = false;

  constructor(address: string, options: H2TransportOptions = {}) {
    this.address = address;
    this.origin = `http://${address}`;
    this.log = options.log ?? defaultClientLogger();
  }

  /**
   * Sends one RPC; rejects with EngineError (the engine's, or UNREACH / TIMEDOUT / CANCELED / PROTO).
   * Small calls made in the same turn of the event loop travel together in one rpc_batch stream.
   */
  call<Req, Res>(def: RpcDef<Req, Res>, request: Req, options?: CallOptions): Promise<Res> {
    const body = encode(request);
    // Bulk bodies, either way, keep a stream of their own: inside a batch they would be copied once more
    // and would hold back every other call's answer until the largest is done.
    const alone = body.length > RPC_BATCH_CALL_BYTES_MAX || (def.answerBytes?.(request) ?? 0) > RPC_BATCH_CALL_BYTES_MAX;
    return new Promise<Res>((resolve, reject) => {
      this.start(def as RpcDef<unknown, unknown>, body, alone, options, resolve as Settle, reject);
    });
  }

  private start(
    def: RpcDef<unknown, unknown>, body: Buffer, alone: boolean, options: CallOptions | undefined, resolve: Settle, reject: (error: EngineError) => void,
  ): void {
    if (this.closed) return reject(new EngineError(Der.SHUTDOWN, `transport to ${this.address} is closed`));
    if (options?.signal?.aborted === true) return reject(canceledError(this.address, def.opcode));
    const call = new H2Call(this, def, body, resolve, reject, options);
    if (this.inflight++ === 0) this.session?.ref();
    const timeoutMs = options?.timeoutMs ?? RPC_TIMEOUT_MS;
    call.timer = setTimeout(onDeadline, timeoutMs, call, timeoutMs);
    if (options?.signal !== undefined) this.watchSignal(call, options.signal);
    if (alone) {
      this.launch(call);
      return;
    }
    // Coalesce: calls made before the microtask runs (every call of one synchronous fan-out) share a stream.
    if (this.pending.push(call) === 1) queueMicrotask(this.flushPending);
  }

  /** Sends the calls queued this turn: a lone call on its own stream, more in rpc_batch streams. */
  private readonly flushPending = (): void => {
    const calls = this.pending.filter((call) => !call.settled);
    this.pending = [];
    if (this.closed) {
      rejectMembers(calls, new EngineError(Der.SHUTDOWN, `transport to ${this.address} is closed`));
      return;
    }
    for (let first = 0; first < calls.length; first += RPC_BATCH_CALLS_MAX) {
      const members = calls.slice(first, first + RPC_BATCH_CALLS_MAX);
      if (members.length === 1) this.launch(members[0]!);
      else this.launchBatch(members);
    }
  };

  /** One rpc_batch stream for `members`; each member is settled with its own answer (or the batch's failure). */
  private launchBatch(members: readonly H2Call[]): void {
    const body = encode({ calls: members.map((member) => ({ opcode: member.def.opcode, body: member.body })) });
    const batch = new H2Call(
      this, RPC_BATCH as RpcDef<unknown, unknown>, body,
      (response) => settleMembers(this.address, members, response as RpcResponse<typeof RPC_BATCH>),
      (error) => rejectMembers(members, error),
      undefined,
    );
    this.inflight++;
    // Members keep their own deadlines; the batch's only bounds how long its stream may stay open.
    const timeoutMs = Math.max(...members.map((member) => member.options?.timeoutMs ?? RPC_TIMEOUT_MS));
    batch.timer = setTimeout(onDeadline, timeoutMs, batch, timeoutMs);
    this.launch(batch);
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
    stream.end(call.body);
  }

  /** A stream on the current session; a session that went away since the last call is replaced once. */
  private openStream(path: string): CallStream {
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
    const session: OwnedSession = http2.connect(this.origin, SESSION_OPTIONS);
    session[kTransport] = this;
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
    if (error !== undefined) this.log.debug({ address: this.address, err: error.message }, 'h2 session failed');
    if (!session.destroyed) session.close();
  }

  /** @internal Called once per finished call. */
  callDone(): void {
    if (--this.inflight === 0) this.session?.unref();
  }

  /** Closes the session gracefully (in-flight calls finish); later calls fail with Der.SHUTDOWN. */
  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session === undefined || session.destroyed) return;
    // An idle session is unref'd; hold the loop open until the close completes, or a caller awaiting
    // close() (every CLI via disconnect) would see its process exit before the promise settles.
    session.ref();
    await new Promise<void>((resolve) => session.close(resolve));
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
