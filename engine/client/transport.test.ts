/**
 * Transport conformance: both implementations (node:http2 and undici h2c) against a real tiny h2c server
 * started in the test, checking the shared failure mapping: error bodies, unreachable engines, deadlines,
 * malformed answers, reconnect after the server drops the session; and (h2) a close() that the grace bounds
 * against an engine that never answers.
 */
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { defineRpc } from '../wire/rpc-def.js';
import { t } from '../wire/schema.js';
import { RPC_CHANNEL_CALL_BYTES_MAX } from '../constants.js';
import { CALL_PAYLOAD_BYTES_MAX, decodeCall, encodeAnswer, FrameReader, RPC_CHANNEL_PATH } from '../wire/channel.js';
import { H2Transport, H2TransportPool } from './h2-transport.js';
import type { TransportPool } from './transport.js';
import { UndiciTransportPool } from './undici-transport.js';

const silentLog = pino({ level: 'silent' });
const ECHO = defineRpc('test_echo', t.object({ x: t.uint() }), t.object({ y: t.uint() }));
const STALE = defineRpc('test_stale', t.object({}), t.object({}));
const NOTLEADER = defineRpc('test_notleader', t.object({}), t.object({}));
const SILENT = defineRpc('test_silent', t.object({}), t.object({}));
const MALFORMED = defineRpc('test_malformed', t.object({}), t.object({ y: t.uint() }));
const DROP = defineRpc('test_drop', t.object({}), t.object({}));
const BIG = defineRpc('test_big', t.object({ data: t.bytes(64 << 20) }), t.object({ data: t.bytes(64 << 20) }));
const GARBLE = defineRpc('test_garble', t.object({}), t.object({}));

type Behaviour = { status: number; body: Buffer } | 'silent' | 'drop' | 'garble';

/** A tiny engine stand-in: one behaviour per path; the rpc_channel answers each of its calls the same way. */
function behaviour(path: string, body: Buffer): Behaviour {
  const answer = (status: number, value: unknown): Behaviour => ({ status, body: encode(value) });
  switch (path) {
    case '/v1/test_echo': return answer(200, { y: (decode(body) as { x: number }).x + 1 });
    case '/v1/test_stale': return answer(409, { der: Der.STALE, mapVersion: 7 });
    case '/v1/test_notleader': return answer(409, { der: Der.NOTLEADER, leader: 2 });
    case '/v1/test_silent': return 'silent';
    case '/v1/test_malformed': return answer(200, { y: 'not a number' });
    case '/v1/test_drop': return 'drop';
    case '/v1/test_big': return answer(200, decode(body));
    case '/v1/test_garble': return 'garble';
    default: return answer(400, { der: Der.PROTO });
  }
}

function handle(stream: http2.ServerHttp2Stream, path: string, body: Buffer): void {
  const result = behaviour(path, body);
  if (result === 'silent' || result === 'garble') return;
  if (result === 'drop') {
    stream.session?.destroy();
    return;
  }
  stream.respond({ ':status': result.status, 'content-type': 'application/msgpack' });
  stream.end(result.body);
}

let server: http2.Http2Server;
let address: string;
/** Request paths the main server received, one per stream. */
const streamPaths: string[] = [];
/** Opcodes of the calls the servers received as rpc_channel frames. */
const channelOpcodes: string[] = [];
let closedAddress: string;
/** A server that allows only 4 concurrent streams and answers slowly. */
let narrowServer: http2.Http2Server;
let narrowAddress: string;

/** The stand-in's rpc_channel: each call frame answered by its behaviour, after `delayMs`. */
function serveChannel(stream: http2.ServerHttp2Stream, delayMs: number): void {
  const reader = new FrameReader(CALL_PAYLOAD_BYTES_MAX);
  stream.respond({ ':status': 200 });
  stream.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    for (let payload = reader.next(); payload !== undefined; payload = reader.next()) {
      const call = decodeCall(payload);
      channelOpcodes.push(call.opcode);
      setTimeout(() => {
        const result = behaviour(`/v1/${call.opcode}`, call.body);
        if (result === 'silent' || stream.destroyed) return;
        if (result === 'drop') stream.session?.destroy();
        // A length prefix far over any cap: the client must give up on the channel.
        else if (result === 'garble') stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
        else stream.write(encodeAnswer(call.id, result.status, [result.body]));
      }, delayMs);
    }
  });
  stream.on('end', () => stream.end());
}

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, delayMs: number): void {
  if (headers[':path'] === RPC_CHANNEL_PATH) {
    serveChannel(stream, delayMs);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => setTimeout(() => handle(stream, String(headers[':path']), Buffer.concat(chunks)), delayMs));
  stream.on('error', () => undefined);
}

async function listen(target: http2.Http2Server): Promise<string> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(target.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  server = http2.createServer({ settings: { initialWindowSize: 16 << 20 } });
  server.on('stream', (stream, headers) => {
    streamPaths.push(String(headers[':path']));
    onStream(stream, headers, 0);
  });
  address = await listen(server);
  narrowServer = http2.createServer({ settings: { maxConcurrentStreams: 4 } });
  narrowServer.on('stream', (stream, headers) => onStream(stream, headers, 5));
  narrowAddress = await listen(narrowServer);
  const probe = http2.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedAddress = `127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => narrowServer.close(() => resolve()));
});

async function errorOf(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected the call to fail');
}

const implementations: Array<[string, () => TransportPool]> = [
  ['h2', () => new H2TransportPool()],
  ['undici', () => new UndiciTransportPool()],
];

describe.each(implementations)('transport %s', (_name, create) => {
  let pool: TransportPool;
  beforeAll(() => {
    pool = create();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('call: 200 -> validated response', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, x) => pool.get(address).call(ECHO, { x })));
    expect(results.map((result) => result.y)).toEqual(Array.from({ length: 50 }, (_, x) => x + 1));
  });

  it('call: error body -> EngineError with der and mapVersion', async () => {
    const error = await errorOf(pool.get(address).call(STALE, {}));
    expect(error.der).toBe(Der.STALE);
    expect(error.info.mapVersion).toBe(7);
  });

  it('call: NOTLEADER -> EngineError with leader', async () => {
    const error = await errorOf(pool.get(address).call(NOTLEADER, {}));
    expect(error.der).toBe(Der.NOTLEADER);
    expect(error.info.leader).toBe(2);
  });

  it('call: response outside the schema -> PROTO', async () => {
    expect((await errorOf(pool.get(address).call(MALFORMED, {}))).der).toBe(Der.PROTO);
  });

  it('call: unreachable address -> UNREACH', async () => {
    expect((await errorOf(pool.get(closedAddress).call(ECHO, { x: 1 }))).der).toBe(Der.UNREACH);
  });

  it('call: no answer -> TIMEDOUT, and the session stays usable', async () => {
    const error = await errorOf(pool.get(address).call(SILENT, {}, { timeoutMs: 100 }));
    expect(error.der).toBe(Der.TIMEDOUT);
    expect((await pool.get(address).call(ECHO, { x: 1 })).y).toBe(2);
  });

  it('call: aborted signal -> CANCELED', async () => {
    const controller = new AbortController();
    const pending = pool.get(address).call(SILENT, {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect((await errorOf(pending)).der).toBe(Der.CANCELED);
  });

  it('call: server drops the session -> UNREACH, next call reconnects', async () => {
    expect((await errorOf(pool.get(address).call(DROP, {}))).der).toBe(Der.UNREACH);
    expect((await pool.get(address).call(ECHO, { x: 41 })).y).toBe(42);
  });

  it('call: more concurrent calls than the server allows streams, on a fresh session -> all answered', async () => {
    // Bodies above the channel threshold, so every call needs a stream of its own.
    const bodies = Array.from({ length: 40 }, (_, x) => Buffer.alloc(RPC_CHANNEL_CALL_BYTES_MAX + 1, x));
    const results = await Promise.all(bodies.map((data) => pool.get(narrowAddress).call(BIG, { data })));
    expect(results.map((result, index) => result.data.equals(bodies[index]!))).toEqual(bodies.map(() => true));
  });

  it('call: 20 MiB body round-trips', async () => {
    const data = Buffer.alloc(20 << 20, 7);
    const result = await pool.get(address).call(BIG, { data });
    expect(result.data.equals(data)).toBe(true);
  });
});

describe('transport h2: rpc_channel', () => {
  let pool: H2TransportPool;
  beforeAll(() => {
    pool = new H2TransportPool();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('call: small calls -> frames on one channel stream per session, each settled with its own answer', async () => {
    const transport = pool.get(address);
    await transport.call(ECHO, { x: 0 });
    streamPaths.length = 0;
    channelOpcodes.length = 0;
    const calls = [transport.call(ECHO, { x: 1 }), transport.call(STALE, {}), transport.call(ECHO, { x: 2 }), transport.call(MALFORMED, {})];
    const settled = await Promise.allSettled(calls);
    expect(await transport.call(ECHO, { x: 3 })).toEqual({ y: 4 });
    expect(streamPaths).toEqual([]);
    expect(channelOpcodes).toEqual(['test_echo', 'test_stale', 'test_echo', 'test_malformed', 'test_echo']);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: { y: 2 } });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: { y: 3 } });
    expect(settled[1]!.status === 'rejected' && (settled[1].reason as EngineError).der).toBe(Der.STALE);
    expect(settled[3]!.status === 'rejected' && (settled[3].reason as EngineError).der).toBe(Der.PROTO);
  });

  it('call: a large body, or an answer that may be bulk -> a stream of its own; the small calls stay on the channel', async () => {
    const bulkEcho = defineRpc('test_echo', ECHO.request, ECHO.response, { answerBytes: () => RPC_CHANNEL_CALL_BYTES_MAX + 1 });
    const transport = pool.get(address);
    await transport.call(ECHO, { x: 0 });
    streamPaths.length = 0;
    const data = Buffer.alloc(RPC_CHANNEL_CALL_BYTES_MAX + 1, 3);
    const [echo, big, bulk] = await Promise.all([transport.call(ECHO, { x: 5 }), transport.call(BIG, { data }), transport.call(bulkEcho, { x: 7 })]);
    expect(echo.y).toBe(6);
    expect(bulk.y).toBe(8);
    expect(big.data.equals(data)).toBe(true);
    expect(streamPaths.sort()).toEqual(['/v1/test_big', '/v1/test_echo']);
  });

  it('call: hundreds of calls at once -> all answered, each with its own answer', async () => {
    const count = 500;
    const results = await Promise.all(Array.from({ length: count }, (_, x) => pool.get(address).call(ECHO, { x })));
    expect(results.map((result) => result.y)).toEqual(Array.from({ length: count }, (_, x) => x + 1));
  });

  it('call: an unanswered call times out alone; the calls beside it are answered', async () => {
    const transport = pool.get(address);
    const silent = transport.call(SILENT, {}, { timeoutMs: 200 });
    const echo = transport.call(ECHO, { x: 8 }, { timeoutMs: 200 });
    expect(await echo).toEqual({ y: 9 });
    expect((await errorOf(silent)).der).toBe(Der.TIMEDOUT);
    expect((await transport.call(ECHO, { x: 9 })).y).toBe(10);
  });

  it('call: the engine drops the session -> every call on the channel UNREACH; the next call opens a new channel', async () => {
    const transport = pool.get(address);
    const settled = await Promise.allSettled([transport.call(SILENT, {}), transport.call(DROP, {})]);
    expect(settled.map((result) => result.status === 'rejected' && (result.reason as EngineError).der)).toEqual([Der.UNREACH, Der.UNREACH]);
    streamPaths.length = 0;
    expect((await transport.call(ECHO, { x: 1 })).y).toBe(2);
    expect(streamPaths).toEqual([RPC_CHANNEL_PATH]);
  });

  it('call: a malformed answer frame -> PROTO for every call on the channel; the next call opens a new channel', async () => {
    const transport = pool.get(address);
    const settled = await Promise.allSettled([transport.call(SILENT, {}), transport.call(GARBLE, {})]);
    expect(settled.map((result) => result.status === 'rejected' && (result.reason as EngineError).der)).toEqual([Der.PROTO, Der.PROTO]);
    expect((await transport.call(ECHO, { x: 2 })).y).toBe(3);
  });
});

describe('transport h2: close', () => {
  it('an engine that took the connection and never answers: close() destroys the session once the grace is over', async () => {
    // A TCP listener that reads and never writes: no SETTINGS, no answers.
    const mute = net.createServer((socket) => socket.on('data', () => undefined));
    const muteAddress = await new Promise<string>((resolve) => mute.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(mute.address() as AddressInfo).port}`)));
    const transport = new H2Transport(muteAddress, { log: silentLog, closeGraceMs: 300 });
    try {
      expect((await errorOf(transport.call(ECHO, { x: 1 }, { timeoutMs: 200 }))).der).toBe(Der.TIMEDOUT);
      // The timed-out call's stream is still pending on the session: a graceful close alone never completes.
      const startedMs = performance.now();
      await transport.close();
      const closeMs = performance.now() - startedMs;
      expect(closeMs).toBeGreaterThanOrEqual(250);
      expect(closeMs).toBeLessThan(5_000);
      expect((await errorOf(transport.call(ECHO, { x: 3 }))).der).toBe(Der.SHUTDOWN);
    } finally {
      mute.close();
    }
  });

  it('an engine frozen (SIGSTOP) with our bytes queued for it: close() destroys the socket itself once the grace is over', async () => {
    // A real h2 server in a process of its own, answering nothing, then frozen.
    const engine = spawn(process.execPath, ['-e', "const s = require('node:http2').createServer(); s.on('stream', (st) => st.resume()); s.listen(0, '127.0.0.1', () => console.log(s.address().port));"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const port = await new Promise<string>((resolve) => engine.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
      const transport = new H2Transport(`127.0.0.1:${port}`, { log: silentLog, closeGraceMs: 300 });
      expect((await errorOf(transport.call(ECHO, { x: 1 }, { timeoutMs: 200 }))).der).toBe(Der.TIMEDOUT);
      engine.kill('SIGSTOP');
      // More than the socket buffers hold: the session cannot flush while the engine is frozen.
      const stuck = errorOf(transport.call(BIG, { data: Buffer.alloc(32 << 20) }, { timeoutMs: 60_000 }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const startedMs = performance.now();
      await transport.close();
      expect(performance.now() - startedMs).toBeLessThan(5_000);
      expect([Der.SHUTDOWN, Der.UNREACH]).toContain((await stuck).der);
    } finally {
      engine.kill('SIGKILL');
    }
  });
});
