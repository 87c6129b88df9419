/**
 * RPC frames, and their two carriers: the rpc_channel and call sockets.
 *
 * rpc_channel: many small RPCs on ONE long-lived HTTP/2 stream per client session (`POST /v1/rpc_channel`,
 * answered 200 at once and kept open both ways), each call and each answer a frame. A stream per RPC costs
 * more than the RPC itself when calls are small (stream objects, HPACK headers, node's per-request async
 * bookkeeping: ~54 µs client + ~42 µs server per call against ~18 + ~20 µs as frames, measured with
 * bare node:http2 in the 2026-12-03 session). Each call is an ordinary RPC — its opcode and its msgpack body,
 * validated and served by the engine exactly as if it had come on a stream of its own — and gets its own
 * answer (the status and body that stream would have carried), in any order, matched by call id.
 *
 * Frames, both ways: u32 payload length | payload, little endian.
 *   call payload:   u32 call id | u8 opcode length | opcode (ASCII) | body
 *   answer payload: u32 call id | u16 HTTP status | body
 * A malformed frame is a protocol error of the whole channel: the receiver resets the stream.
 *
 * The same frames also travel on a call socket: a plain TCP connection to the engine's port that starts
 * with CALL_SOCKET_PREFACE, with bodies of up to RPC_BODY_BYTES_MAX. An engine that serves call sockets says
 * so in its rpc_channel answer (CALL_SOCKET_HEADER); a client then sends every call on one (small calls and
 * bulk ones on separate sockets). Why: HTTP/2 delivers a bulk body as 16 KiB DATA frames, each a 'data'
 * event on a stream and a fresh 64 KiB buffer per socket read: a client spent ~1 ms of CPU per MiB received
 * that way against ~0.2-0.3 ms for the same MiB read off a plain socket into one reused buffer (bare node,
 * 2026-12-06). Small calls skip nghttp2 on both sides: a serial 4 KiB array read through the client took
 * 157-168 µs against 171-190 µs on the h2 channel, with ~10 % less CPU in client and engine (2026-12-06).
 */
import { RPC_BODY_BYTES_MAX, RPC_CHANNEL_CALL_BYTES_MAX } from '../constants.js';
import { partsBytes } from './codec.js';
import { Der, EngineError } from './errors.js';

export const RPC_CHANNEL_OPCODE = 'rpc_channel';
export const RPC_CHANNEL_PATH = `/v1/${RPC_CHANNEL_OPCODE}`;
export const RPC_CHANNEL_CONTENT_TYPE = 'application/x-tsdaos-frames';

/** Bytes of a frame's length prefix. */
export const FRAME_LENGTH_BYTES = 4;
const CALL_HEADER_BYTES = 5;
const ANSWER_HEADER_BYTES = 6;
const OPCODE_BYTES_MAX = 64;

/** Largest call payload an engine accepts; larger calls must use a stream of their own. */
export const CALL_PAYLOAD_BYTES_MAX = CALL_HEADER_BYTES + OPCODE_BYTES_MAX + RPC_CHANNEL_CALL_BYTES_MAX;
/** Largest answer payload a client accepts. */
export const ANSWER_PAYLOAD_BYTES_MAX = ANSWER_HEADER_BYTES + RPC_BODY_BYTES_MAX;
/** Largest call payload an engine accepts on a call socket. */
export const SOCKET_CALL_PAYLOAD_BYTES_MAX = CALL_HEADER_BYTES + OPCODE_BYTES_MAX + RPC_BODY_BYTES_MAX;

/**
 * First bytes a client sends on a call socket. The engine's port tells its protocols apart by the first byte
 * (`P` of the h2c preface, a letter of an HTTP/1.1 method); this one is none of them.
 */
export const CALL_SOCKET_PREFACE = Buffer.from('\xb5tsdaos-calls/1\n', 'latin1');
/** Response header of an rpc_channel whose engine serves call sockets on the same port. */
export const CALL_SOCKET_HEADER = 'x-tsdaos-call-socket';
/**
 * Response header naming the UNIX socket on which the engine also serves call sockets (a random name in its
 * directory, so no other engine's): a client on the same host sends its small calls there instead of to the
 * port. The frames are the same; the kernel moves them without the TCP stack, which cost ~25 % of the CPU of
 * a small call's round trip on loopback (bare node, 200-byte ping-pong: 22-25 -> 17 µs client, 22 -> 16.5 µs
 * server). Bulk calls keep the port (client/README.md).
 */
export const CALL_SOCKET_PATH_HEADER = 'x-tsdaos-call-socket-path';

export interface ChannelCall {
  readonly id: number;
  readonly opcode: string;
  readonly body: Buffer;
}

export interface ChannelAnswer {
  readonly id: number;
  readonly status: number;
  readonly body: Buffer;
}

/** A call frame; `body` is the encoded request, in parts (codec encodeParts) or one Buffer, copied once. */
export function encodeCall(id: number, opcode: string, body: readonly Buffer[]): Buffer {
  return joinParts(encodeCallParts(id, opcode, body));
}

/** A call frame as its header followed by the body's own parts (nothing copied). */
export function encodeCallParts(id: number, opcode: string, body: readonly Buffer[]): Buffer[] {
  const opcodeBytes = Buffer.byteLength(opcode, 'latin1');
  const header = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + CALL_HEADER_BYTES + opcodeBytes);
  header.writeUInt32LE(CALL_HEADER_BYTES + opcodeBytes + partsBytes(body), 0);
  header.writeUInt32LE(id, 4);
  header.writeUInt8(opcodeBytes, 8);
  header.write(opcode, 9, 'latin1');
  return [header, ...body];
}

/** An answer frame; `body` as for encodeCall. */
export function encodeAnswer(id: number, status: number, body: readonly Buffer[]): Buffer {
  return joinParts(encodeAnswerParts(id, status, body));
}

/** An answer frame as its header followed by the body's own parts (nothing copied). */
export function encodeAnswerParts(id: number, status: number, body: readonly Buffer[]): Buffer[] {
  const header = Buffer.allocUnsafe(FRAME_LENGTH_BYTES + ANSWER_HEADER_BYTES);
  header.writeUInt32LE(ANSWER_HEADER_BYTES + partsBytes(body), 0);
  header.writeUInt32LE(id, 4);
  header.writeUInt16LE(status, 8);
  return [header, ...body];
}

/** The parts as one Buffer (one copy; none for a single part). */
export function joinParts(parts: readonly Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts as Buffer[], partsBytes(parts));
}

/**
 * PROTO when the payload is not a call frame (too short, empty opcode, body over `bodyBytesMax`: the
 * rpc_channel's cap by default, RPC_BODY_BYTES_MAX on a call socket); an unknown opcode is the router's NOSYS.
 */
export function decodeCall(payload: Buffer, bodyBytesMax = RPC_CHANNEL_CALL_BYTES_MAX): ChannelCall {
  if (payload.length < CALL_HEADER_BYTES) throw channelError(`call frame of ${payload.length} bytes`);
  const opcodeBytes = payload.readUInt8(4);
  if (opcodeBytes === 0 || opcodeBytes > OPCODE_BYTES_MAX || payload.length < CALL_HEADER_BYTES + opcodeBytes) {
    throw channelError(`call frame with a bad opcode length ${opcodeBytes}`);
  }
  const opcode = payload.toString('latin1', CALL_HEADER_BYTES, CALL_HEADER_BYTES + opcodeBytes);
  const bodyBytes = payload.length - CALL_HEADER_BYTES - opcodeBytes;
  if (bodyBytes > bodyBytesMax) throw channelError(`call body of ${bodyBytes} bytes over ${bodyBytesMax}`);
  return { id: payload.readUInt32LE(0), opcode, body: payload.subarray(CALL_HEADER_BYTES + opcodeBytes) };
}

/** PROTO when the payload is too short to be an answer frame. */
export function decodeAnswer(payload: Buffer): ChannelAnswer {
  if (payload.length < ANSWER_HEADER_BYTES) throw channelError(`answer frame of ${payload.length} bytes`);
  return { id: payload.readUInt32LE(0), status: payload.readUInt16LE(4), body: payload.subarray(ANSWER_HEADER_BYTES) };
}

function channelError(detail: string): EngineError {
  return new EngineError(Der.PROTO, `rpc_channel: ${detail}`);
}

/**
 * Cuts a byte stream into frame payloads. Chunks are kept as they come and joined once per frame (a frame
 * in one chunk is a view, no copy), so a large frame in many chunks costs one copy, not one per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly payloadBytesMax: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next complete payload, or undefined until more bytes arrive. PROTO for a length over the cap. */
  next(): Buffer | undefined {
    if (this.length < FRAME_LENGTH_BYTES) return undefined;
    if (this.chunks[0]!.length < FRAME_LENGTH_BYTES) this.merge(FRAME_LENGTH_BYTES);
    const size = this.chunks[0]!.readUInt32LE(0);
    if (size > this.payloadBytesMax) throw channelError(`frame of ${size} bytes over the ${this.payloadBytesMax}-byte cap`);
    const frameBytes = FRAME_LENGTH_BYTES + size;
    if (this.length < frameBytes) return undefined;
    if (this.chunks[0]!.length < frameBytes) this.merge(frameBytes);
    const first = this.chunks[0]!;
    const payload = first.subarray(FRAME_LENGTH_BYTES, frameBytes);
    if (first.length === frameBytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(frameBytes);
    this.length -= frameBytes;
    return payload;
  }

  /** Joins leading chunks until the first holds at least `bytes` (the caller checked they are there). */
  private merge(bytes: number): void {
    let count = 0;
    let joined = 0;
    while (joined < bytes) joined += this.chunks[count++]!.length;
    this.chunks.splice(0, count, Buffer.concat(this.chunks.slice(0, count), joined));
  }
}
