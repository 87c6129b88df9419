/**
 * Transport conformance: both implementations (node:http2 and undici h2c) against a real tiny h2c server
 * started in the test, checking the shared failure mapping: error bodies, unreachable engines, deadlines,
 * malformed answers, reconnect after the server drops the session.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { defineRpc } from '../wire/rpc-def.js';
import { t } from '../wire/schema.js';
import { H2TransportPool } from './h2-transport.js';
import type { TransportPool } from './transport.js';
import { UndiciTransportPool } from './undici-transport.js';

const ECHO = defineRpc('test_echo', t.object({ x: t.uint() }), t.object({ y: t.uint() }));
const STALE = defineRpc('test_stale', t.object({}), t.object({}));
const NOTLEADER = defineRpc('test_notleader', t.object({}), t.object({}));
const SILENT = defineRpc('test_silent', t.object({}), t.object({}));
const MALFORMED = defineRpc('test_malformed', t.object({}), t.object({ y: t.uint() }));
const DROP = defineRpc('test_drop', t.object({}), t.object({}));
const BIG = defineRpc('test_big', t.object({ data: t.bytes(64 << 20) }), t.object({ data: t.bytes(64 << 20) }));

function reply(stream: http2.ServerHttp2Stream, status: number, body: unknown): void {
  stream.respond({ ':status': status, 'content-type': 'application/msgpack' });
  stream.end(encode(body));
}

/** A tiny engine stand-in: one behaviour per path. */
function handle(stream: http2.ServerHttp2Stream, path: string, body: Buffer): void {
  switch (path) {
    case '/v1/test_echo': return reply(stream, 200, { y: (decode(body) as { x: number }).x + 1 });
    case '/v1/test_stale': return reply(stream, 409, { der: Der.STALE, mapVersion: 7 });
    case '/v1/test_notleader': return reply(stream, 409, { der: Der.NOTLEADER, leader: 2 });
    case '/v1/test_silent': return;
    case '/v1/test_malformed': return reply(stream, 200, { y: 'not a number' });
    case '/v1/test_drop': stream.session?.destroy(); return;
    case '/v1/test_big': return reply(stream, 200, decode(body));
    default: return reply(stream, 400, { der: Der.PROTO });
  }
}

let server: http2.Http2Server;
let address: string;
let closedAddress: string;
/** A server that allows only 4 concurrent streams and answers slowly. */
let narrowServer: http2.Http2Server;
let narrowAddress: string;

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, delayMs: number): void {
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
  server.on('stream', (stream, headers) => onStream(stream, headers, 0));
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
    const results = await Promise.all(Array.from({ length: 40 }, (_, x) => pool.get(narrowAddress).call(ECHO, { x })));
    expect(results.map((result) => result.y)).toEqual(Array.from({ length: 40 }, (_, x) => x + 1));
  });

  it('call: 20 MiB body round-trips', async () => {
    const data = Buffer.alloc(20 << 20, 7);
    const result = await pool.get(address).call(BIG, { data });
    expect(result.data.equals(data)).toBe(true);
  });
});
