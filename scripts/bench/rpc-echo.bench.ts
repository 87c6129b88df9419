/**
 * Question: how many small RPCs per second can a client push to another process over each transport?
 * A bare node:http2 + msgpack echo server (echo-server.ts, no store) answers 64-byte payloads with 64
 * requests in flight, through the node:http2 session transport and the undici transport. This is the
 * ceiling for every metadata rate above it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTransportPool, type TransportName } from '../../engine/client/transport-pool.js';
import { defineRpc } from '../../engine/wire/rpc-def.js';
import { t } from '../../engine/wire/schema.js';
import { type BenchResult, closedLoop, emit, isSmall, progress, runIdentity } from './bench-env.js';
import { spawnReady } from './spawn-process.js';

const ECHO = defineRpc('echo', t.object({ payload: t.bytes(1 << 20) }), t.object({ payload: t.bytes(1 << 20) }));

export async function benchRpcEcho(options: { small: boolean; inFlight?: number; transports?: TransportName[] }): Promise<BenchResult[]> {
  const count = options.small ? 2_000 : 100_000;
  const inFlight = options.inFlight ?? 64;
  const server = await spawnReady(join(dirname(fileURLToPath(import.meta.url)), 'echo-server.js'));
  const address = String(server.ready['address']);
  const payload = Buffer.alloc(64, 7);
  const results: BenchResult[] = [];
  try {
    for (const name of options.transports ?? (['h2', 'undici'] as const)) {
      const pool = createTransportPool(name);
      const transport = pool.get(address);
      await closedLoop({ bench: 'rpc-echo', case: 'warmup', params: {} }, { count: Math.min(2_000, count), inFlight }, () => transport.call(ECHO, { payload }));
      progress(`rpc-echo: ${name}, ${count} calls, ${inFlight} in flight`);
      results.push(await closedLoop(
        { bench: 'rpc-echo', case: `echo-${name}`, params: { transport: name, payloadBytes: 64, inFlight, count } },
        { count, inFlight },
        () => transport.call(ECHO, { payload }),
      ));
      await pool.close();
    }
  } finally {
    await server.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const identity = runIdentity();
  for (const result of await benchRpcEcho({ small: isSmall() })) emit(result, identity);
}
