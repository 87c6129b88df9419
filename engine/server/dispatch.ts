/**
 * One RPC on one HTTP/2 stream: read the body under a hard cap, decode msgpack, validate against the RPC's
 * request schema, call the handler, answer 200 + msgpack or an ErrorBody (400 for Der.PROTO, 409 for any
 * other DER). Also tracks in-flight requests so shutdown can refuse new ones and wait for the rest.
 * Invariants: a malformed request never reaches a handler; a body over RPC_BODY_BYTES_MAX is never
 * buffered whole (the stream is answered and reset as soon as the cap is passed); no input, and no
 * handler bug, can throw out of serve(): non-EngineError failures are logged with stack and answered MISC.
 * rpc_batch streams (engine/wire/rpc/batch.ts) carry several calls; each is served exactly like a lone one.
 */
import { constants as h2constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { RPC_BODY_BYTES_MAX } from '../constants.js';
import type { Logger } from '../log.js';
import { decode, encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { HTTP_STATUS_ERROR, HTTP_STATUS_OK, HTTP_STATUS_PROTO, type ErrorBody, type RpcDef, type RpcRequest, type RpcResponse } from '../wire/rpc-def.js';
import { type BatchAnswerBody, RPC_BATCH } from '../wire/rpc/batch.js';
import { type EngineMetrics, OPCODE_UNKNOWN } from './metrics.js';
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

/** Sends status + body if the stream can still take it; returns the bytes sent (0 if the peer is gone). */
function answer(stream: ServerHttp2Stream, status: number, body: Buffer): number {
  if (stream.destroyed || stream.closed || stream.headersSent) return 0;
  try {
    stream.respond({ ':status': status, 'content-type': CONTENT_TYPE, 'content-length': body.length });
    stream.end(body);
  } catch {
    // The session went away between the check and the write (GOAWAY, socket error): nobody to answer.
    return 0;
  }
  return body.length;
}

/** What one call earned: HTTP status and body, and the DER code when it failed. */
interface Outcome {
  readonly status: number;
  readonly body: Buffer;
  readonly der?: number;
}

/** Serves RPC streams for one listener; owns the in-flight set and the shutdown flag. */
export class RpcDispatcher {
  private readonly inFlight = new Set<AbortController>();
  /** Served by the dispatcher itself (it runs other routes), not registered on the router. */
  private readonly batchRoute: Route = {
    def: RPC_BATCH as unknown as RpcDef<unknown, unknown>,
    handler: (request, context) => this.serveBatch(request as RpcRequest<typeof RPC_BATCH>, context.signal),
  };
  private shuttingDown = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: { router: Router; metrics: EngineMetrics; log: Logger }) {}

  /** Requests received and not yet answered. */
  inFlightCount(): number {
    return this.inFlight.size;
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
    if (this.inFlight.size === 0) return Promise.resolve(true);
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
    for (const controller of this.inFlight) controller.abort(new EngineError(Der.SHUTDOWN, 'engine shutting down'));
  }

  /** Serves one `POST /v1/<opcode>` stream to completion. Never rejects. */
  async serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const startedMs = performance.now();
    const path = headers[':path'] ?? '';
    const route = path === RPC_BATCH.path ? this.batchRoute : this.deps.router.lookup(path);
    const opcode = route?.def.opcode ?? OPCODE_UNKNOWN;
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

  /** One call through its route: its answer, or the error answer it earned. Never rejects. */
  private async run(route: Route | undefined, path: string, body: Buffer, signal: AbortSignal): Promise<Outcome> {
    try {
      if (route === undefined) throw new EngineError(Der.NOSYS, `no RPC at ${path}`);
      return { status: HTTP_STATUS_OK, body: await this.invoke(route, body, signal) };
    } catch (error) {
      return this.failure(error, route?.def.opcode ?? OPCODE_UNKNOWN);
    }
  }

  /**
   * rpc_batch: every call runs as if it had come on a stream of its own (validated, routed, counted in the
   * metrics under its own opcode), all at once, so they share the store's batches; answers in call order.
   * The router has no rpc_batch route, so a batch inside a batch is NOSYS.
   */
  private async serveBatch(request: RpcRequest<typeof RPC_BATCH>, signal: AbortSignal): Promise<RpcResponse<typeof RPC_BATCH>> {
    const answers = await Promise.all(request.calls.map(async (call): Promise<BatchAnswerBody> => {
      const startedMs = performance.now();
      const path = `/v1/${call.opcode}`;
      const route = this.deps.router.lookup(path);
      const outcome = await this.run(route, path, call.body, signal);
      this.deps.metrics.recordRequest({
        opcode: route?.def.opcode ?? OPCODE_UNKNOWN, seconds: (performance.now() - startedMs) / 1000,
        bytesIn: call.body.length, bytesOut: outcome.body.length, der: outcome.der,
      });
      return { status: outcome.status, body: outcome.body };
    }));
    return { answers };
  }

  private async invoke(route: Route, body: Buffer, signal: AbortSignal): Promise<Buffer> {
    let value: unknown;
    try {
      value = decode(body);
    } catch (error) {
      throw new EngineError(Der.PROTO, `undecodable msgpack body: ${(error as Error).message}`);
    }
    const request = route.def.request.check(value, '');
    const response = await route.handler(request, { log: this.deps.log, signal });
    return encode(response);
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
    return { status, body: encode(errorBodyOf(engineError)), der: engineError.der };
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
    if (this.inFlight.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }
}
