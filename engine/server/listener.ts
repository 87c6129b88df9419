/**
 * The engine's HTTP/2 listener (h2c, node:http2 stream API): explicit session settings sized for 64 MiB
 * bodies, `POST /v1/<opcode>` handed to the RpcDispatcher, `GET /metrics` (Prometheus text) and
 * `GET /healthz`. Owns the server socket and the set of live sessions, and the shutdown sequence of the
 * network side: refuse new requests, wait for in-flight ones (bounded), close sessions, close the server.
 * Invariant: no peer input can crash the process; every session, stream and server error is caught and logged.
 */
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import {
  ENGINE_STREAMS_PER_SESSION_MAX, FRAME_BYTES_MAX, HEADER_LIST_BYTES_MAX, SESSION_CLOSE_MS, SESSION_MEMORY_MIB,
  SESSION_WINDOW_BYTES, STREAM_WINDOW_BYTES,
} from './constants.js';
import { RpcDispatcher } from './dispatch.js';
import type { EngineMetrics } from './metrics.js';
import type { Router } from './router.js';

const RPC_PATH_PREFIX = '/v1/';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port`; port 0 asks for an ephemeral port. */
export function parseListenAddress(listen: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65_535) throw new Error(`listen address must be host:port, got ${JSON.stringify(listen)}`);
  return { host: match[1] ?? match[2]!, port };
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ListenerOptions {
  readonly listen: ListenAddress;
  readonly router: Router;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
}

export class Listener {
  /** The bound `host:port` (the real port when 0 was asked). */
  readonly address: string;
  private readonly sessions = new Set<Http2Session>();
  private serverClosed: Promise<void> | undefined;

  private constructor(
    private readonly server: Http2Server,
    private readonly dispatcher: RpcDispatcher,
    private readonly options: ListenerOptions,
  ) {
    const bound = server.address() as AddressInfo;
    this.address = formatAddress(options.listen.host, bound.port);
  }

  static async start(options: ListenerOptions): Promise<Listener> {
    const server = createServer({
      settings: {
        maxConcurrentStreams: ENGINE_STREAMS_PER_SESSION_MAX,
        initialWindowSize: STREAM_WINDOW_BYTES,
        maxFrameSize: FRAME_BYTES_MAX,
        maxHeaderListSize: HEADER_LIST_BYTES_MAX,
        enablePush: false,
      },
      maxSessionMemory: SESSION_MEMORY_MIB,
      peerMaxConcurrentStreams: ENGINE_STREAMS_PER_SESSION_MAX,
      maxHeaderListPairs: 64,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const listener = new Listener(server, new RpcDispatcher(options), options);
    listener.attach();
    return listener;
  }

  /** Requests received and not yet answered. */
  inFlightCount(): number {
    return this.dispatcher.inFlightCount();
  }

  /**
   * Network half of shutdown: refuse new requests (Der.SHUTDOWN), wait up to `drainMs` for in-flight
   * ones, abort the stragglers' signals. Stops listening at once; sessions stay open until close().
   * Returns whether every in-flight request finished in time.
   */
  async drain(drainMs: number): Promise<boolean> {
    this.dispatcher.beginShutdown();
    // New connections are refused from now on (clients see UNREACH and go elsewhere); existing sessions
    // stay open so their in-flight requests can be answered and new ones told Der.SHUTDOWN.
    void this.stopListening();
    const drained = await this.dispatcher.waitIdle(drainMs);
    if (!drained) {
      this.options.log.warn({ inFlight: this.dispatcher.inFlightCount() }, 'shutdown: in-flight requests did not finish, aborting them');
      this.dispatcher.abortInFlight();
    }
    return drained;
  }

  /** Stops listening and closes all sessions (gracefully, then by force after SESSION_CLOSE_MS). */
  async close(): Promise<void> {
    this.dispatcher.beginShutdown();
    // Open rpc_channel streams would hold each session's graceful close until the force timeout.
    this.dispatcher.endChannels();
    const serverClosed = this.stopListening();
    await Promise.all([...this.sessions].map((session) => closeSession(session)));
    await serverClosed;
  }

  /** Stops accepting connections; resolves once every session of the server has ended. */
  private stopListening(): Promise<void> {
    this.serverClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.serverClosed;
  }

  private attach(): void {
    const { log } = this.options;
    this.server.on('session', (session) => this.onSession(session));
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('sessionError', (error) => log.debug({ err: error }, 'http2 session error'));
    this.server.on('error', (error) => log.error({ err: error }, 'http2 server error'));
  }

  private onSession(session: Http2Session): void {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', (error) => this.options.log.debug({ err: error }, 'http2 session error'));
    // initialWindowSize only sizes each stream's window; the connection window must be raised separately
    // or all streams of the session share the 64 KiB default.
    session.setLocalWindowSize(SESSION_WINDOW_BYTES);
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', (error) => this.options.log.debug({ err: error }, 'http2 stream error'));
    const method = headers[':method'];
    const path = headers[':path'] ?? '';
    if (method === 'POST' && path.startsWith(RPC_PATH_PREFIX)) {
      void this.dispatcher.serve(stream, headers);
    } else if (method === 'GET' && path === '/metrics') {
      this.answerText(stream, 200, this.options.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    } else if (method === 'GET' && path === '/healthz') {
      const healthy = !this.dispatcher.isShuttingDown();
      this.answerText(stream, healthy ? 200 : 503, healthy ? 'ok\n' : 'shutting down\n', 'text/plain; charset=utf-8');
    } else {
      this.answerText(stream, 404, 'not found\n', 'text/plain; charset=utf-8');
    }
  }

  private answerText(stream: ServerHttp2Stream, status: number, text: string, contentType: string): void {
    if (stream.destroyed || stream.headersSent) return;
    const body = Buffer.from(text, 'utf8');
    stream.respond({ ':status': status, 'content-type': contentType, 'content-length': body.length });
    stream.end(body);
    // A GET may carry a body nobody reads; discard it so flow control never stalls the session.
    stream.resume();
  }
}

/** GOAWAY, wait for open streams to end, destroy after SESSION_CLOSE_MS. */
function closeSession(session: Http2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => session.destroy(), SESSION_CLOSE_MS);
    timer.unref();
    session.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    session.close();
  });
}
