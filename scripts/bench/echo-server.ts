/**
 * A bare node:http2 + msgpack echo server, the baseline for the object layer: the same wire format and
 * server settings as an engine (POST /v1/echo, msgpack body decoded and re-encoded; an rpc_channel stream
 * answered frame by frame, as an engine does) but no store, no validation, no store batching. Run as its
 * own process; prints {"event":"ready","address":...} on stdout.
 */
import http2 from 'node:http2';
import {
  CALL_PAYLOAD_BYTES_MAX, decodeCall, encodeAnswer, FrameReader, RPC_CHANNEL_CONTENT_TYPE, RPC_CHANNEL_PATH,
} from '../../engine/wire/channel.js';
import { decode, encode } from '../../engine/wire/codec.js';

const server = http2.createServer({
  maxSessionMemory: 512,
  settings: { maxConcurrentStreams: 1024, initialWindowSize: 16 * 1024 * 1024, maxFrameSize: 1024 * 1024 },
});

function serveChannel(stream: http2.ServerHttp2Stream): void {
  const reader = new FrameReader(CALL_PAYLOAD_BYTES_MAX);
  stream.respond({ ':status': 200, 'content-type': RPC_CHANNEL_CONTENT_TYPE });
  stream.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    const answers: Buffer[] = [];
    for (let payload = reader.next(); payload !== undefined; payload = reader.next()) {
      const call = decodeCall(payload);
      answers.push(encodeAnswer(call.id, 200, [encode(decode(call.body))]));
    }
    if (answers.length > 0) stream.write(Buffer.concat(answers));
  });
  stream.on('end', () => stream.end());
}

server.on('stream', (stream, headers) => {
  stream.on('error', () => undefined);
  if (headers[':path'] === RPC_CHANNEL_PATH) {
    serveChannel(stream);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    const body = encode(decode(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.respond({ ':status': 200, 'content-type': 'application/msgpack' });
    stream.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'ready', address: `127.0.0.1:${port}` })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
