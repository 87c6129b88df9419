/**
 * The undici RPC transport, kept so benchmarks can compare it with h2-transport.ts on the same interface.
 * undici 7 speaks h2c with prior knowledge: `new Client('http://host:port', { allowH2: true, useH2c: true })`
 * (that is what undici's own H2CClient does; `useH2c` is missing from undici's Client.Options typings,
 * hence the widened options type below). One Client per engine address, one HTTP/2 stream per RPC,
 * driven through the low-level dispatch() handler API so no response stream object is built per call.
 * Failure mapping is shared with the node:http2 transport (rpc-response.ts).
 */
import { Client } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log.js';
import { RPC_TIMEOUT_MS, STREAMS_PER_SESSION_MAX } from '../constants.js';
import { encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import { defaultClientLogger } from './client-log.js';
import { CONNECT_TIMEOUT_MS, H2_SESSION_WINDOW_BYTES, H2_STREAM_WINDOW_BYTES } from './constants.js';
import { canceledError, joinChunks, settleAnswer, timeoutError, unreachableError } from './rpc-response.js';
import { AddressTransportPool, type CallOptions, type RpcTransport } from './transport.js';

/** Client.Options plus the h2c switch undici's typings do not declare yet (lib/dispatcher/client.js reads it). */
type H2cClientOptions = Client.Options & { readonly useH2c: boolean };

/** Idle time before undici drops an unused connection; long, since sessions are meant to live. */
const KEEP_ALIVE_MS = 10 * 60 * 1000;

const CLIENT_OPTIONS: H2cClientOptions = {
  allowH2: true,
  useH2c: true,
  pipelining: STREAMS_PER_SESSION_MAX,
  maxConcurrentStreams: STREAMS_PER_SESSION_MAX,
  initialWindowSize: H2_STREAM_WINDOW_BYTES,
  connectionWindowSize: H2_SESSION_WINDOW_BYTES,
  pingInterval: 0,
  // The call deadline below replaces undici's own body/header timers.
  headersTimeout: 0,
  bodyTimeout: 0,
  keepAliveTimeout: KEEP_ALIVE_MS,
  keepAliveMaxTimeout: KEEP_ALIVE_MS,
  connect: { timeout: CONNECT_TIMEOUT_MS },
};

const REQUEST_HEADERS: Record<string, string> = { 'content-type': 'application/msgpack' };

type Settle = (value: unknown) => void;

/** One RPC in flight; also its undici dispatch handler (methods live on the prototype). */
class UndiciCall implements Dispatcher.DispatchHandler {
  status = 0;
  first: Buffer | undefined = undefined;
  rest: Buffer[] | undefined = undefined;
  length = 0;
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  controller: Dispatcher.DispatchController | undefined = undefined;
  abortListener: (() => void) | undefined = undefined;

  constructor(
    readonly address: string,
    readonly def: RpcDef<unknown, unknown>,
    readonly resolve: Settle,
    readonly reject: (error: EngineError) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.first === undefined) this.first = chunk;
    else (this.rest ??= []).push(chunk);
    this.length += chunk.length;
  }

  onResponseEnd(): void {
    if (!this.finish()) return;
    try {
      this.resolve(settleAnswer(this.def, this.status, joinChunks(this.first, this.rest, this.length), this.address));
    } catch (error) {
      this.reject(error as EngineError);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (!this.finish()) return;
    this.reject(unreachableError(this.address, this.def.opcode, error));
  }

  /** Fails the call with `error` and aborts its stream. */
  abortWith(error: EngineError): void {
    if (!this.finish()) return;
    this.controller?.abort(error);
    this.reject(error);
  }

  finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.abortListener !== undefined) this.signal?.removeEventListener('abort', this.abortListener);
    return true;
  }
}

function onDeadline(call: UndiciCall, timeoutMs: number): void {
  call.timer = undefined;
  call.abortWith(timeoutError(call.address, call.def.opcode, timeoutMs));
}

export interface UndiciTransportOptions {
  readonly log?: Logger;
}

export class UndiciTransport implements RpcTransport {
  readonly address: string;
  private readonly client: Client;
  private readonly log: Logger;
  private closed = false;
  private inflight = 0;

  constructor(address: string, options: UndiciTransportOptions = {}) {
    this.address = address;
    this.log = options.log ?? defaultClientLogger();
    this.client = new Client(`http://${address}`, CLIENT_OPTIONS);
    this.client.on('connectionError', (_origin, _targets, error) => {
      this.log.debug({ address, err: error.message }, 'undici connection failed');
    });
  }

  call<Req, Res>(def: RpcDef<Req, Res>, request: Req, options?: CallOptions): Promise<Res> {
    const body = encode(request);
    this.inflight++;
    return new Promise<Res>((resolve, reject) => {
      this.start(def as RpcDef<unknown, unknown>, body, options, resolve as Settle, reject);
    }).finally(() => {
      this.inflight--;
    });
  }

  get callsInFlight(): number {
    return this.inflight;
  }

  private start(def: RpcDef<unknown, unknown>, body: Buffer, options: CallOptions | undefined, resolve: Settle, reject: (error: EngineError) => void): void {
    if (this.closed) return reject(new EngineError(Der.SHUTDOWN, `transport to ${this.address} is closed`));
    const signal = options?.signal;
    if (signal?.aborted === true) return reject(canceledError(this.address, def.opcode));
    const call = new UndiciCall(this.address, def, resolve, reject, signal);
    const timeoutMs = options?.timeoutMs ?? RPC_TIMEOUT_MS;
    call.timer = setTimeout(onDeadline, timeoutMs, call, timeoutMs);
    if (signal !== undefined) {
      call.abortListener = () => call.abortWith(canceledError(this.address, def.opcode));
      signal.addEventListener('abort', call.abortListener, { once: true });
    }
    try {
      this.client.dispatch({ path: def.path, method: 'POST', body, headers: REQUEST_HEADERS }, call);
    } catch (error) {
      if (call.finish()) reject(unreachableError(this.address, def.opcode, error));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

/** One UndiciTransport per address; same contract as H2TransportPool. */
export class UndiciTransportPool extends AddressTransportPool<UndiciTransport> {
  constructor(options: { log?: Logger } = {}) {
    super((address) => new UndiciTransport(address, options.log === undefined ? {} : { log: options.log }));
  }
}
