import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RPC_BODY_BYTES_MAX, RPC_CHANNEL_CALL_BYTES_MAX } from '../constants.js';
import { H2Transport } from '../client/h2-transport.js';
import { CALL_SOCKET_PREFACE, decodeAnswer, encodeCall, FrameReader, RPC_CHANNEL_PATH } from '../wire/channel.js';
import { decode, encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { defineRpc, HTTP_STATUS_ERROR, HTTP_STATUS_PROTO } from '../wire/rpc-def.js';
import { t } from '../wire/schema.js';
import { CHANNEL_CALLS_MAX, SESSION_CLOSE_MS } from './constants.js';
import { parseHostPort } from '../wire/address.js';
import { Listener } from './listener.js';
import { EngineMetrics } from './metrics.js';
import { Router } from './router.js';
import { RawClient } from './test-harness.js';

const ECHO = defineRpc('test_echo', t.object({ n: t.uint(), tag: t.optional(t.str(8)) }), t.object({ n: t.uint() }));
const BUGGY = defineRpc('test_buggy', t.object({}), t.object({}));
const SLOW = defineRpc('test_slow', t.object({ ms: t.uint(5000) }), t.object({ done: t.bool() }));
const STALE = defineRpc('test_stale', t.object({}), t.object({}));
const BIG = defineRpc('test_big', t.object({ data: t.bytes(64 << 20) }), t.object({ data: t.bytes(64 << 20) }), { bulk: true });
/** test_slow and test_stale as bulk calls (answers that may be large): they go where bulk calls go. */
const BULK_SLOW = defineRpc('test_slow', SLOW.request, SLOW.response, { answerBytes: () => RPC_CHANNEL_CALL_BYTES_MAX + 1 });
const BULK_STALE = defineRpc('test_stale', STALE.request, STALE.response, { answerBytes: () => RPC_CHANNEL_CALL_BYTES_MAX + 1 });

describe('listener', () => {
  let listener: Listener;
  let client: RawClient;
  let metrics: EngineMetrics;
  let router: Router;

  beforeEach(async () => {
    router = new Router();
    router.register(ECHO, (request) => ({ n: request.n + 1 }));
    router.register(BUGGY, () => {
      throw new TypeError('handler bug');
    });
    router.register(SLOW, async (request) => {
      await new Promise((resolve) => setTimeout(resolve, request.ms));
      return { done: true };
    });
    router.register(STALE, () => {
      throw new EngineError(Der.STALE, 'old map', { mapVersion: 7 });
    });
    router.register(BIG, (request) => ({ data: request.data }));
    metrics = new EngineMetrics();
    listener = await Listener.start({ listen: parseHostPort('127.0.0.1:0'), router, metrics, log: pino({ level: 'silent' }) });
    client = new RawClient(listener.address);
  });

  afterEach(async () => {
    await client.close();
    await listener.close();
  });

  it('echo: valid request -> 200 with the handler result', async () => {
    const answer = await client.post('test_echo', { n: 41 });
    expect(answer.status).toBe(200);
    expect(answer.value).toEqual({ n: 42 });
  });

  it('unknown opcode -> 409 NOSYS', async () => {
    const answer = await client.post('no_such_rpc', { n: 1 });
    expect(answer.status).toBe(HTTP_STATUS_ERROR);
    expect(answer.value).toEqual({ der: Der.NOSYS });
  });

  it('garbage bytes -> 400 PROTO', async () => {
    const answer = await client.post('test_echo', Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    expect(answer.status).toBe(HTTP_STATUS_PROTO);
    expect(answer.value).toEqual({ der: Der.PROTO });
  });

  it('wrong field type / unknown field / too-long string -> 400 PROTO', async () => {
    for (const body of [{ n: 'one' }, { n: 1, extra: true }, { n: 1, tag: 'much too long' }, [1, 2], 7]) {
      const answer = await client.post('test_echo', body);
      expect(answer.status).toBe(HTTP_STATUS_PROTO);
      expect(answer.value).toEqual({ der: Der.PROTO });
    }
  });

  it('body over the cap -> 400 PROTO without buffering it, session still usable', async () => {
    const huge = Buffer.alloc(RPC_BODY_BYTES_MAX + 1024 * 1024, 0x61);
    const answer = await client.request({ ':method': 'POST', ':path': '/v1/test_echo' }, huge);
    expect(answer.status).toBe(HTTP_STATUS_PROTO);
    expect(answer.value).toEqual({ der: Der.PROTO });
    expect((await client.post('test_echo', { n: 1 })).value).toEqual({ n: 2 });
  });

  it('declared content-length over the cap -> 400 PROTO before the body is read', async () => {
    const headers = { ':method': 'POST', ':path': '/v1/test_echo', 'content-length': String(RPC_BODY_BYTES_MAX + 1) };
    const answer = await client.request(headers, Buffer.alloc(16), { end: false });
    expect(answer.status).toBe(HTTP_STATUS_PROTO);
  });

  it('handler throwing a non-engine error -> 409 MISC, listener alive', async () => {
    const answer = await client.post('test_buggy', {});
    expect(answer.status).toBe(HTTP_STATUS_ERROR);
    expect(answer.value).toEqual({ der: Der.MISC });
    expect((await client.post('test_echo', { n: 2 })).value).toEqual({ n: 3 });
  });

  it('engine error with info -> error body carries mapVersion', async () => {
    const answer = await client.post('test_stale', {});
    expect(answer.status).toBe(HTTP_STATUS_ERROR);
    expect(answer.value).toEqual({ der: Der.STALE, mapVersion: 7 });
  });

  it('metrics: after traffic -> request and error counters by opcode', async () => {
    await client.post('test_echo', { n: 1 });
    await client.post('test_echo', { n: 'x' });
    const answer = await client.get('/metrics');
    expect(answer.status).toBe(200);
    const text = answer.body.toString('utf8');
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="test_echo"} 2');
    expect(text).toContain(`tsdaos_rpc_errors_total{opcode="test_echo",der="${Der.PROTO}"} 1`);
    expect(text).toContain('tsdaos_rpc_latency_seconds_bucket{opcode="test_echo",le="+Inf"} 2');
    expect(text).toContain('tsdaos_process_uptime_seconds');
  });

  /** Sends call frames on a new rpc_channel stream and collects `count` answers (status + decoded body) by call id. */
  async function channelAnswers(frames: Buffer[], count: number, whileWaiting?: () => Promise<void>): Promise<Map<number, [number, unknown]>> {
    const { stream } = client.open({ ':method': 'POST', ':path': RPC_CHANNEL_PATH });
    const reader = new FrameReader(RPC_BODY_BYTES_MAX + 6);
    const answers = new Map<number, [number, unknown]>();
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        for (let payload = reader.next(); payload !== undefined; payload = reader.next()) {
          const answer = decodeAnswer(payload);
          answers.set(answer.id, [answer.status, decode(answer.body)]);
        }
        if (answers.size === count) resolve();
      });
      stream.on('close', () => reject(new Error(`channel closed after ${answers.size} answers (rst ${stream.rstCode})`)));
      stream.write(Buffer.concat(frames));
      whileWaiting?.().catch(reject);
    });
    stream.end();
    return answers;
  }

  it('rpc_channel: each call answered as if alone, by id, as soon as done; a bad call fails only itself', async () => {
    const answers = await channelAnswers([
      encodeCall(1, 'test_slow', [encode({ ms: 100 })]),
      encodeCall(2, 'test_echo', [encode({ n: 1 })]),
      encodeCall(3, 'test_echo', [encode({ n: 'x' })]),
      encodeCall(4, 'no_such_rpc', [encode({})]),
      encodeCall(5, 'test_stale', [encode({})]),
      encodeCall(6, 'rpc_channel', [encode({})]),
      encodeCall(7, 'test_echo', [Buffer.from([0xc1])]),
      encodeCall(8, 'test_buggy', [encode({})]),
      encodeCall(9, 'test_echo', [encode({ n: 9 })]),
    ], 9);
    expect([...answers.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, [200, { done: true }]],
      [2, [200, { n: 2 }]],
      [3, [HTTP_STATUS_PROTO, { der: Der.PROTO }]],
      [4, [HTTP_STATUS_ERROR, { der: Der.NOSYS }]],
      [5, [HTTP_STATUS_ERROR, { der: Der.STALE, mapVersion: 7 }]],
      [6, [HTTP_STATUS_ERROR, { der: Der.NOSYS }]],
      [7, [HTTP_STATUS_PROTO, { der: Der.PROTO }]],
      [8, [HTTP_STATUS_ERROR, { der: Der.MISC }]],
      [9, [200, { n: 10 }]],
    ]);
    // The slow call did not hold the others back: it was answered last.
    expect([...answers.keys()].at(-1)).toBe(1);
    const text = (await client.get('/metrics')).body.toString('utf8');
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="test_echo"} 4');
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="test_slow"} 1');
    expect(text).not.toContain('opcode="rpc_channel"');
  });

  it('rpc_channel: past CHANNEL_CALLS_MAX calls in flight the engine stops reading; every call is answered', async () => {
    const count = CHANNEL_CALLS_MAX + 100;
    const frames = Array.from({ length: count }, (_, index) => encodeCall(index, 'test_slow', [encode({ ms: 300 })]));
    let peak = 0;
    const answers = await channelAnswers(frames, count, async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      peak = listener.inFlightCount();
    });
    expect(peak).toBe(CHANNEL_CALLS_MAX);
    expect(answers.size).toBe(count);
    expect([...answers.values()].every(([status]) => status === 200)).toBe(true);
  });

  it('rpc_channel: a frame over the cap or a malformed frame -> the channel is reset, the engine keeps serving', async () => {
    const oversized = encodeCall(1, 'test_echo', [Buffer.alloc(RPC_CHANNEL_CALL_BYTES_MAX + 1)]);
    const noOpcode = Buffer.from([5, 0, 0, 0, 1, 0, 0, 0, 0]);
    for (const frame of [oversized, noOpcode]) {
      await expect(channelAnswers([frame], 1)).rejects.toThrow(/channel closed after 0 answers/);
    }
    expect((await client.post('test_echo', { n: 1 })).value).toEqual({ n: 2 });
  });

  it('rpc_channel through the client transport: drain answers calls in flight, then new calls -> SHUTDOWN; close ends the channel', async () => {
    const transport = new H2Transport(listener.address);
    try {
      expect(await transport.call(ECHO, { n: 1 })).toEqual({ n: 2 });
      const slow = transport.call(SLOW, { ms: 200 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(listener.inFlightCount()).toBe(1);
      const draining = listener.drain(5000);
      await expect(transport.call(ECHO, { n: 1 })).rejects.toMatchObject({ der: Der.SHUTDOWN });
      expect(await draining).toBe(true);
      expect(await slow).toEqual({ done: true });
      // close() must not wait for the session's force timeout: the engine ends the open channel.
      const startedMs = performance.now();
      await listener.close();
      expect(performance.now() - startedMs).toBeLessThan(1000);
    } finally {
      await transport.close();
    }
  });

  /** A raw call socket: sends `bytes`, collects answer frames until `count` came or the engine closed it. */
  async function bulkAnswers(bytes: Buffer, count: number): Promise<{ answers: Map<number, [number, unknown]>; closed: boolean }> {
    const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    const reader = new FrameReader(RPC_BODY_BYTES_MAX + 6);
    const answers = new Map<number, [number, unknown]>();
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        for (let payload = reader.next(); payload !== undefined; payload = reader.next()) {
          const answer = decodeAnswer(payload);
          answers.set(answer.id, [answer.status, decode(answer.body)]);
        }
        if (answers.size === count) resolve(false);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(true));
      socket.write(bytes);
    });
    socket.destroy();
    return { answers, closed };
  }

  const connections = (protocol: string): number => Number(new RegExp(`tsdaos_connections_total\\{protocol="${protocol}"\\} (\\d+)`).exec(metrics.render())?.[1] ?? 0);

  it('call sockets through the client transport: every call goes on one once the engine said it serves them, bulk calls on a second; data and errors as on streams', async () => {
    const transport = new H2Transport(listener.address);
    try {
      const mib = Buffer.alloc(1 << 20, 5);
      // Before the engine has said so (no rpc_channel yet), a bulk call takes a stream of its own.
      expect((await transport.call(BIG, { data: mib })).data.equals(mib)).toBe(true);
      expect(connections('socket')).toBe(0);
      // This one goes on the rpc_channel, whose answer says the engine serves call sockets; the next takes one.
      expect(await transport.call(ECHO, { n: 1 })).toEqual({ n: 2 });
      expect(connections('socket')).toBe(0);
      expect(await transport.call(ECHO, { n: 2 })).toEqual({ n: 3 });
      expect(connections('socket')).toBe(1);
      const twenty = Buffer.alloc(20 << 20);
      for (let at = 0; at < twenty.length; at += 4096) twenty.writeUInt32LE(at, at);
      const [big, small, slow, stale] = await Promise.allSettled([
        transport.call(BIG, { data: twenty }), transport.call(BIG, { data: mib }), transport.call(BULK_SLOW, { ms: 50 }), transport.call(BULK_STALE, {}),
      ]);
      expect(big.status === 'fulfilled' && big.value.data.equals(twenty)).toBe(true);
      expect(small.status === 'fulfilled' && small.value.data.equals(mib)).toBe(true);
      expect(slow).toEqual({ status: 'fulfilled', value: { done: true } });
      expect(stale.status === 'rejected' && [(stale.reason as EngineError).der, (stale.reason as EngineError).info.mapVersion]).toEqual([Der.STALE, 7]);
      // h2: the test's raw client and the transport's session.
      expect([connections('h2'), connections('socket')]).toEqual([2, 2]);
      expect(metrics.requestsTotal('test_big')).toBe(3);
      // A call that times out leaves the socket usable; its late answer is dropped.
      await expect(transport.call(BULK_SLOW, { ms: 300 }, { timeoutMs: 100 })).rejects.toMatchObject({ der: Der.TIMEDOUT });
      expect((await transport.call(BIG, { data: mib })).data.equals(mib)).toBe(true);
      expect(connections('socket')).toBe(2);
    } finally {
      await transport.close();
    }
  });

  it('call sockets on the engine\'s UNIX socket: a client on its host sends small calls there, bulk ones to the port; a socket it cannot reach -> the port, calls and all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdaos-listener-'));
    const localPath = join(dir, 'call-0123456789abcdef.sock');
    const local = await Listener.start({ listen: parseHostPort('127.0.0.1:0'), localPath, router, metrics, log: pino({ level: 'silent' }) });
    const transport = new H2Transport(local.address);
    const stale = new H2Transport(local.address);
    try {
      expect(local.localPath).toBe(localPath);
      expect(existsSync(localPath)).toBe(true);
      expect(statSync(localPath).mode & 0o066, 'anyone on the host may connect, as to the port').toBe(0o066);
      const mib = Buffer.alloc(1 << 20, 9);
      expect(await transport.call(ECHO, { n: 1 })).toEqual({ n: 2 });
      expect(transport.callSocketPath).toBe(localPath);
      expect(await transport.call(ECHO, { n: 2 })).toEqual({ n: 3 });
      expect((await transport.call(BIG, { data: mib })).data.equals(mib)).toBe(true);
      expect([connections('local'), connections('socket')]).toEqual([1, 1]);
      // As if the engine had restarted under another name: the socket that cannot connect goes to the port,
      // calls and all, and the transport asks the engine (an rpc_channel) where its UNIX socket is now.
      expect(await stale.call(ECHO, { n: 1 })).toEqual({ n: 2 });
      stale.callSocketPath = join(dir, 'call-fedcba9876543210.sock');
      expect(await stale.call(ECHO, { n: 2 })).toEqual({ n: 3 });
      expect([connections('local'), connections('socket')]).toEqual([1, 2]);
      for (let waited = 0; stale.callSocketPath !== localPath && waited < 2_000; waited += 10) await sleep(10);
      expect(stale.callSocketPath).toBe(localPath);
      expect(stale.localDir).toBe(dir);
      // The next small call goes to the UNIX socket again.
      expect(await stale.call(ECHO, { n: 3 })).toEqual({ n: 4 });
      expect([connections('local'), connections('socket')]).toEqual([2, 2]);
    } finally {
      await Promise.all([transport.close(), stale.close()]);
      await local.close();
      expect(existsSync(localPath), 'the socket file goes with the listener').toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('call sockets: drain answers the calls in flight on them and refuses new ones (SHUTDOWN)', async () => {
    const transport = new H2Transport(listener.address);
    try {
      await transport.call(ECHO, { n: 1 });
      const slow = transport.call(BULK_SLOW, { ms: 200 });
      const slowSmall = transport.call(SLOW, { ms: 200 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(listener.inFlightCount()).toBe(2);
      const draining = listener.drain(5000);
      await expect(transport.call(BULK_SLOW, { ms: 1 })).rejects.toMatchObject({ der: Der.SHUTDOWN });
      await expect(transport.call(ECHO, { n: 1 })).rejects.toMatchObject({ der: Der.SHUTDOWN });
      expect(await draining).toBe(true);
      expect(await slow).toEqual({ done: true });
      expect(await slowSmall).toEqual({ done: true });
      expect(connections('socket')).toBe(2);
    } finally {
      await transport.close();
    }
  });

  it('call socket: the engine closing fails the calls waiting on it (UNREACH) at once; the next bulk call finds no engine', async () => {
    const transport = new H2Transport(listener.address);
    try {
      await transport.call(ECHO, { n: 1 });
      const stranded = transport.call(BULK_SLOW, { ms: 3000 }).then(() => 'answered', (error: EngineError) => error.der);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const startedMs = performance.now();
      await listener.close();
      expect(await stranded).toBe(Der.UNREACH);
      expect(performance.now() - startedMs).toBeLessThan(1000);
      await expect(transport.call(BIG, { data: Buffer.alloc(1 << 20) })).rejects.toMatchObject({ der: Der.UNREACH });
    } finally {
      await transport.close();
    }
  });

  it('call socket, raw: bodies over the rpc_channel cap are served; a bad preface or a malformed frame closes only that socket', async () => {
    const body = encode({ data: Buffer.alloc(2 << 20, 1) });
    const served = await bulkAnswers(Buffer.concat([CALL_SOCKET_PREFACE, encodeCall(1, 'test_big', [body]), encodeCall(2, 'test_echo', [encode({ n: 4 })])]), 2);
    expect(served.answers.get(2)).toEqual([200, { n: 5 }]);
    expect((served.answers.get(1)?.[1] as { data: Buffer }).data.equals(Buffer.alloc(2 << 20, 1))).toBe(true);
    const badPreface = Buffer.from(CALL_SOCKET_PREFACE);
    badPreface[3] ^= 1;
    expect(await bulkAnswers(Buffer.concat([badPreface, encodeCall(1, 'test_echo', [encode({ n: 1 })])]), 1)).toEqual({ answers: new Map(), closed: true });
    const noOpcode = Buffer.from([5, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect((await bulkAnswers(Buffer.concat([CALL_SOCKET_PREFACE, noOpcode]), 1)).closed).toBe(true);
    expect((await client.post('test_echo', { n: 1 })).value).toEqual({ n: 2 });
  });

  it('healthz -> 200; other GET paths -> 404', async () => {
    expect((await client.get('/healthz')).status).toBe(200);
    expect((await client.get('/nope')).status).toBe(404);
  });

  it('close(): peers that stopped reading and never close (a frozen process), on an h2 session and a call socket, hold it only until the force timeouts', async () => {
    const port = Number(listener.address.split(':')[1]);
    const frozen = (preface: Buffer): net.Socket => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(preface);
      // Never read (paused: nothing taken off the socket, its end never seen, so never ended from here).
      socket.pause();
      return socket;
    };
    // The h2 client preface and an empty SETTINGS frame: the engine opens a session for it.
    const h2 = frozen(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    const callSocket = frozen(Buffer.concat([CALL_SOCKET_PREFACE, encodeCall(1, 'test_echo', [encode({ n: 1 })])]));
    try {
      await sleep(200);
      const startedMs = performance.now();
      await listener.close();
      expect(performance.now() - startedMs).toBeLessThan(3 * SESSION_CLOSE_MS);
    } finally {
      h2.destroy();
      callSocket.destroy();
    }
  });

  it('HTTP/1.1 on the same port (Prometheus, plain curl): /metrics, /healthz, 404; h2 clients unaffected', async () => {
    await client.post('test_echo', { n: 1 });
    const agent = new http.Agent({ keepAlive: true });
    // A connection that never sends a byte must not hold close() either.
    const silent = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    silent.on('error', () => undefined);
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    const get = (path: string): Promise<{ status: number; type: string; text: string }> => new Promise((resolve, reject) => {
      http.get(`http://${listener.address}${path}`, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }));
      }).on('error', reject);
    });
    const metricsPage = await get('/metrics');
    expect([metricsPage.status, metricsPage.type]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
    expect(metricsPage.text).toContain('tsdaos_rpc_requests_total{opcode="test_echo"} 1');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/v1/test_echo')).status).toBe(404);
    expect((await client.post('test_echo', { n: 2 })).value).toEqual({ n: 3 });
    const junk = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1', () => socket.end('HELLO\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
      socket.on('close', () => resolve(text));
    });
    expect(junk.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    await listener.close();
    await silentClosed;
    agent.destroy();
  });

  it('drain: in-flight request finishes, new requests -> SHUTDOWN', async () => {
    const slow = client.post('test_slow', { ms: 200 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(listener.inFlightCount()).toBe(1);
    const draining = listener.drain(5000);
    const refused = await client.post('test_echo', { n: 1 });
    expect(refused.value).toEqual({ der: Der.SHUTDOWN });
    expect(await draining).toBe(true);
    expect((await slow).value).toEqual({ done: true });
  });
});
