/**
 * The engine's HTTP/2 listener (h2c, node:http2 stream API): explicit session settings sized for 64 MiB
 * bodies, `POST /v1/<opcode>` handed to the RpcDispatcher, `GET /metrics` (Prometheus text) and
 * `GET /healthz`. The same port also answers those two GETs over HTTP/1.1, which is what Prometheus and
 * curl speak by default (h2c needs prior knowledge): each connection goes to the HTTP/2 server when its
 * first byte is the `P` of the h2c preface (`PRI * HTTP/2.0`); any other is read as one HTTP/1.1 GET,
 * answered, and closed (`connection: close`; a scraper reconnects per scrape). A connection that starts
 * with CALL_SOCKET_PREFACE is a client's call socket (wire/channel.ts), served by the RpcDispatcher. The
 * same protocols are also served on the engine's UNIX socket (local-socket.ts), for clients on its host.
 * Owns the server socket and the set of live sessions, and the shutdown sequence of the
 * network side: refuse new requests, wait for in-flight ones (bounded), close sessions, close the server,
 * destroying what is still open after SESSION_CLOSE_MS.
 * Invariant: no peer input can crash the process; every session, stream and server error is caught and logged.
 */
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { type AddressInfo, type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { Logger } from '../log.js';
import { EXPOSITION_CONTENT_TYPE } from '../telemetry.js';
import { formatHostPort, type HostPort } from '../wire/address.js';
import { CALL_SOCKET_PREFACE } from '../wire/channel.js';
import {
  ENGINE_STREAMS_PER_SESSION_MAX, FRAME_BYTES_MAX, HEADER_LIST_BYTES_MAX, SESSION_CLOSE_MS, SESSION_MEMORY_MIB,
  SESSION_WINDOW_BYTES, STREAM_WINDOW_BYTES,
} from './constants.js';
import { RpcDispatcher } from './dispatch.js';
import type { EngineMetrics } from './metrics.js';
import type { Router } from './router.js';

const RPC_PATH_PREFIX = '/v1/';
/** First byte of the h2c client preface `PRI * HTTP/2.0`; HTTP/1.1 requests served here start with `GET`. */
const H2_PREFACE_FIRST_BYTE = 0x50;
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** An HTTP/1.1 request head larger than this is refused (431) without reading more. */
const HTTP1_HEAD_BYTES_MAX = 8192;
const HTTP1_REASONS: Readonly<Record<number, string>> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 431: 'Request Header Fields Too Large', 503: 'Service Unavailable' };

/** Starts `server` listening (`start` calls listen with its callback); rejects on a listen error. */
function listen(server: NetServer, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    start(() => {
      server.off('error', reject);
      resolve();
    });
  });
}

export interface ListenerOptions {
  readonly listen: HostPort;
  /** A UNIX socket path to serve call sockets on as well (local-socket.ts); none if absent or if it cannot be bound. */
  readonly localPath?: string;
  readonly router: Router;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
}

export class Listener {
  /** The bound `host:port` (the real port when 0 was asked). */
  readonly address: string;
  /** The UNIX socket also served, if bound. */
  readonly localPath: string | undefined;
  private readonly sessions = new Set<Http2Session>();
  /** Connections whose first byte has not come yet (neither server owns them). */
  private readonly undecided = new Set<Socket>();
  /** Every connection accepted and not closed yet, whoever serves it. */
  private readonly connections = new Set<Socket>();
  private serverClosed: Promise<void> | undefined;

  private constructor(
    /** The listening socket; it hands each connection to `server` or answers its HTTP/1.1 GET. */
    private readonly front: NetServer,
    /** The UNIX socket listening beside it (same protocols), if any. */
    private readonly local: NetServer | undefined,
    private readonly server: Http2Server,
    private readonly dispatcher: RpcDispatcher,
    private readonly options: ListenerOptions,
  ) {
    const bound = front.address() as AddressInfo;
    this.address = formatHostPort(options.listen.host, bound.port);
    this.localPath = local === undefined ? undefined : options.localPath;
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
    let listener: Listener | undefined;
    const front = createNetServer((socket) => listener?.route(socket, 'socket'));
    await listen(front, (done) => front.listen(options.listen.port, options.listen.host, done));
    let local: NetServer | undefined;
    if (options.localPath !== undefined) {
      const path = options.localPath;
      local = createNetServer((socket) => listener?.route(socket, 'local'));
      try {
        // Anyone on the host may connect, as anyone may to the port.
        await listen(local, (done) => local!.listen({ path, readableAll: true, writableAll: true }, done));
      } catch (error) {
        options.log.warn({ path, err: (error as Error).message }, 'cannot serve call sockets on a UNIX socket; the port serves alone');
        local = undefined;
      }
    }
    const dispatcher = new RpcDispatcher({ ...options, callSocketPath: local === undefined ? undefined : options.localPath });
    listener = new Listener(front, local, server, dispatcher, options);
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

  /**
   * Stops listening and closes all sessions gracefully; SESSION_CLOSE_MS later, sessions and connections
   * still open are destroyed.
   */
  async close(): Promise<void> {
    this.dispatcher.beginShutdown();
    // Open rpc_channel streams would hold each session's graceful close until the force timeout.
    this.dispatcher.endChannels();
    const serverClosed = this.stopListening();
    for (const session of this.sessions) session.close();
    // Destroying the sockets too: a session's socket, like an ended call socket, waits for the peer to end
    // its side, which a peer that stopped reading (a frozen process) never does, and the servers' close
    // waits for every connection.
    const force = setTimeout(() => {
      for (const session of this.sessions) session.destroy();
      for (const socket of this.connections) socket.destroy();
    }, SESSION_CLOSE_MS);
    await serverClosed;
    clearTimeout(force);
  }

  /**
   * Stops accepting connections; resolves once every connection has ended (HTTP/2 sessions are closed by
   * their owner; connections that have not finished their first bytes or HTTP/1.1 head are closed here).
   */
  private stopListening(): Promise<void> {
    // libuv removes the UNIX socket's file when it closes.
    this.serverClosed ??= Promise.all([this.front, ...(this.local === undefined ? [] : [this.local])].map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
    }))).then(() => undefined);
    for (const socket of this.undecided) socket.destroy();
    return this.serverClosed;
  }

  /**
   * Hands a new connection to the HTTP/2 server or the dispatcher (call socket), or serves its HTTP/1.1 GET, by
   * its first byte. `callSockets`: how its call socket, if it is one, is counted (on the port or the UNIX socket).
   */
  private route(socket: Socket, callSockets: 'socket' | 'local'): void {
    this.undecided.add(socket);
    this.connections.add(socket);
    socket.once('close', () => {
      this.undecided.delete(socket);
      this.connections.delete(socket);
    });
    socket.on('error', (error) => this.options.log.debug({ err: error }, 'connection error'));
    socket.once('data', (chunk: Buffer) => {
      if (chunk[0] === CALL_SOCKET_PREFACE[0]) return this.readCallSocketPreface(socket, chunk, callSockets);
      if (chunk[0] !== H2_PREFACE_FIRST_BYTE) {
        this.options.metrics.recordConnection('http1');
        return this.serveHttp1(socket, chunk);
      }
      this.options.metrics.recordConnection('h2');
      this.undecided.delete(socket);
      socket.pause();
      // node:http2 reads what was already taken off the socket before it reads the socket itself.
      socket.unshift(chunk);
      this.server.emit('connection', socket);
    });
  }

  /** Reads the rest of a call socket's preface, then hands the socket to the dispatcher; a wrong preface closes it. */
  private readCallSocketPreface(socket: Socket, first: Buffer, protocol: 'socket' | 'local'): void {
    let head = first;
    const check = (): void => {
      const bytes = Math.min(head.length, CALL_SOCKET_PREFACE.length);
      if (!head.subarray(0, bytes).equals(CALL_SOCKET_PREFACE.subarray(0, bytes))) {
        this.options.log.debug('connection with a bad call socket preface, closing it');
        socket.destroy();
        return;
      }
      if (head.length < CALL_SOCKET_PREFACE.length) {
        socket.once('data', (chunk: Buffer) => {
          head = Buffer.concat([head, chunk]);
          check();
        });
        return;
      }
      this.undecided.delete(socket);
      this.options.metrics.recordConnection(protocol);
      this.dispatcher.serveCallSocket(socket, head.subarray(CALL_SOCKET_PREFACE.length), protocol === 'local');
    };
    check();
  }

  /** Reads one HTTP/1.1 request head (the rest of the connection is ignored), answers its page, closes. */
  private serveHttp1(socket: Socket, first: Buffer): void {
    let head = first;
    const answer = (status: number, text: string, contentType: string): void => {
      socket.removeAllListeners('data');
      const body = Buffer.from(text, 'utf8');
      socket.end(Buffer.concat([Buffer.from(
        `HTTP/1.1 ${status} ${HTTP1_REASONS[status] ?? ''}\r\ncontent-type: ${contentType}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`, 'latin1'), body]));
    };
    const tryHead = (): void => {
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HTTP1_HEAD_BYTES_MAX) answer(431, 'request head too large\n', TEXT_CONTENT_TYPE);
        return;
      }
      const [method, target, version] = head.toString('latin1', 0, head.indexOf('\r\n')).split(' ');
      if (target === undefined || version?.startsWith('HTTP/1.') !== true) return answer(400, 'bad request\n', TEXT_CONTENT_TYPE);
      const page = this.page(method, target);
      answer(page.status, page.text, page.contentType);
    };
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      tryHead();
    });
    tryHead();
  }

  private attach(): void {
    const { log } = this.options;
    this.server.on('session', (session) => this.onSession(session));
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('sessionError', (error) => log.debug({ err: error }, 'http2 session error'));
    // The listening socket's errors (accept failures); the HTTP/2 server itself listens on nothing.
    this.front.on('error', (error) => log.error({ err: error }, 'listener error'));
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
    } else {
      const { status, text, contentType } = this.page(method, path);
      this.answerText(stream, status, text, contentType);
    }
  }

  /** The GET pages, on either protocol: /metrics, /healthz; anything else 404. */
  private page(method: string | undefined, path: string): { status: number; text: string; contentType: string } {
    if (method === 'GET' && path === '/metrics') return { status: 200, text: this.options.metrics.render(), contentType: EXPOSITION_CONTENT_TYPE };
    if (method === 'GET' && path === '/healthz') {
      const healthy = !this.dispatcher.isShuttingDown();
      return { status: healthy ? 200 : 503, text: healthy ? 'ok\n' : 'shutting down\n', contentType: TEXT_CONTENT_TYPE };
    }
    return { status: 404, text: 'not found\n', contentType: TEXT_CONTENT_TYPE };
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
