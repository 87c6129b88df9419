/**
 * A bare node:http2 + msgpack echo server, the baseline for the object layer: the same wire format and
 * server settings as an engine (POST /v1/echo, msgpack body decoded and re-encoded; an rpc_batch stream
 * answered call by call, as an engine does) but no store, no validation, no store batching. Run as its
 * own process; prints {"event":"ready","address":...} on stdout.
 */
import http2 from 'node:http2';
import { decode, encode } from '../../engine/wire/codec.js';
import type { RpcRequest } from '../../engine/wire/rpc-def.js';
import { RPC_BATCH } from '../../engine/wire/rpc/batch.js';

type BatchBody = RpcRequest<typeof RPC_BATCH>;

const server = http2.createServer({
  maxSessionMemory: 512,
  settings: { maxConcurrentStreams: 1024, initialWindowSize: 16 * 1024 * 1024, maxFrameSize: 1024 * 1024 },
});

server.on('stream', (stream, headers) => {
  const batch = headers[':path'] === RPC_BATCH.path;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    const request = decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    const body = batch
      ? encode({ answers: (request as BatchBody).calls.map((call) => ({ status: 200, body: encode(decode(call.body)) })) })
      : encode(request);
    stream.respond({ ':status': 200, 'content-type': 'application/msgpack' });
    stream.end(body);
  });
  stream.on('error', () => undefined);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'ready', address: `127.0.0.1:${port}` })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
