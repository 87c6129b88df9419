import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RPC_BATCH_CALLS_MAX, RPC_BATCH_CALL_BYTES_MAX, RPC_BODY_BYTES_MAX } from '../constants.js';
import { decode, encode } from '../wire/codec.js';
import { Der, EngineError } from '../wire/errors.js';
import { defineRpc, HTTP_STATUS_ERROR, HTTP_STATUS_PROTO } from '../wire/rpc-def.js';
import { t } from '../wire/schema.js';
import { Listener, parseListenAddress } from './listener.js';
import { EngineMetrics } from './metrics.js';
import { Router } from './router.js';
import { RawClient } from './test-harness.js';

const ECHO = defineRpc('test_echo', t.object({ n: t.uint(), tag: t.optional(t.str(8)) }), t.object({ n: t.uint() }));
const BUGGY = defineRpc('test_buggy', t.object({}), t.object({}));
const SLOW = defineRpc('test_slow', t.object({ ms: t.uint(5000) }), t.object({ done: t.bool() }));
const STALE = defineRpc('test_stale', t.object({}), t.object({}));

describe('listener', () => {
  let listener: Listener;
  let client: RawClient;
  let metrics: EngineMetrics;

  beforeEach(async () => {
    const router = new Router();
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
    metrics = new EngineMetrics();
    listener = await Listener.start({ listen: parseListenAddress('127.0.0.1:0'), router, metrics, log: pino({ level: 'silent' }) });
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

  it('rpc_batch: each call answered as if alone, in order; a bad call fails only itself', async () => {
    const calls = [
      { opcode: 'test_echo', body: encode({ n: 1 }) },
      { opcode: 'test_echo', body: encode({ n: 'x' }) },
      { opcode: 'no_such_rpc', body: encode({}) },
      { opcode: 'test_stale', body: encode({}) },
      { opcode: 'rpc_batch', body: encode({ calls: [] }) },
      { opcode: 'test_echo', body: Buffer.from([0xc1]) },
      { opcode: 'test_echo', body: encode({ n: 9 }) },
    ];
    const answer = await client.post('rpc_batch', { calls });
    expect(answer.status).toBe(200);
    const answers = (answer.value as { answers: Array<{ status: number; body: Buffer }> }).answers;
    expect(answers.map((item) => [item.status, decode(item.body)])).toEqual([
      [200, { n: 2 }],
      [HTTP_STATUS_PROTO, { der: Der.PROTO }],
      [HTTP_STATUS_ERROR, { der: Der.NOSYS }],
      [HTTP_STATUS_ERROR, { der: Der.STALE, mapVersion: 7 }],
      [HTTP_STATUS_ERROR, { der: Der.NOSYS }],
      [HTTP_STATUS_PROTO, { der: Der.PROTO }],
      [200, { n: 10 }],
    ]);
    const text = (await client.get('/metrics')).body.toString('utf8');
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="rpc_batch"} 1');
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="test_echo"} 4');
  });

  it('rpc_batch: malformed batch (too many calls, call body over the cap) -> 400 PROTO', async () => {
    const call = { opcode: 'test_echo', body: encode({ n: 1 }) };
    for (const calls of [Array.from({ length: RPC_BATCH_CALLS_MAX + 1 }, () => call), [{ opcode: 'test_echo', body: Buffer.alloc(RPC_BATCH_CALL_BYTES_MAX + 1) }]]) {
      const answer = await client.post('rpc_batch', { calls });
      expect(answer.status).toBe(HTTP_STATUS_PROTO);
      expect(answer.value).toEqual({ der: Der.PROTO });
    }
  });

  it('healthz -> 200; other GET paths -> 404', async () => {
    expect((await client.get('/healthz')).status).toBe(200);
    expect((await client.get('/nope')).status).toBe(404);
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

describe('parseListenAddress', () => {
  it('host:port and [v6]:port -> host and port; junk -> throws', () => {
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(() => parseListenAddress('localhost')).toThrow();
    expect(() => parseListenAddress('h:99999')).toThrow();
  });
});
