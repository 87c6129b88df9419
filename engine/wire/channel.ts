/**
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
 */
import { RPC_BODY_BYTES_MAX, RPC_CHANNEL_CALL_BYTES_MAX } from '../constants.js';
import { partsBytes } from './codec.js';
import { Der, EngineError } from './errors.js';

export const RPC_CHANNEL_OPCODE = 'rpc_channel';
export const RPC_CHANNEL_PATH = `/v1/${RPC_CHANNEL_OPCODE}`;
export const RPC_CHANNEL_CONTENT_TYPE = 'application/x-tsdaos-frames';

const LENGTH_BYTES = 4;
const CALL_HEADER_BYTES = 5;
const ANSWER_HEADER_BYTES = 6;
const OPCODE_BYTES_MAX = 64;

/** Largest call payload an engine accepts; larger calls must use a stream of their own. */
export const CALL_PAYLOAD_BYTES_MAX = CALL_HEADER_BYTES + OPCODE_BYTES_MAX + RPC_CHANNEL_CALL_BYTES_MAX;
/** Largest answer payload a client accepts. */
export const ANSWER_PAYLOAD_BYTES_MAX = ANSWER_HEADER_BYTES + RPC_BODY_BYTES_MAX;

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
  const opcodeBytes = Buffer.byteLength(opcode, 'latin1');
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + CALL_HEADER_BYTES + opcodeBytes + partsBytes(body));
  frame.writeUInt32LE(frame.length - LENGTH_BYTES, 0);
  frame.writeUInt32LE(id, 4);
  frame.writeUInt8(opcodeBytes, 8);
  frame.write(opcode, 9, 'latin1');
  copyParts(body, frame, 9 + opcodeBytes);
  return frame;
}

/** An answer frame; `body` as for encodeCall. */
export function encodeAnswer(id: number, status: number, body: readonly Buffer[]): Buffer {
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + ANSWER_HEADER_BYTES + partsBytes(body));
  frame.writeUInt32LE(frame.length - LENGTH_BYTES, 0);
  frame.writeUInt32LE(id, 4);
  frame.writeUInt16LE(status, 8);
  copyParts(body, frame, 10);
  return frame;
}

function copyParts(parts: readonly Buffer[], frame: Buffer, offset: number): void {
  let at = offset;
  for (const part of parts) at += part.copy(frame, at);
}

/** PROTO when the payload is not a call frame (too short, empty opcode, body over the cap); an unknown opcode is the router's NOSYS. */
export function decodeCall(payload: Buffer): ChannelCall {
  if (payload.length < CALL_HEADER_BYTES) throw channelError(`call frame of ${payload.length} bytes`);
  const opcodeBytes = payload.readUInt8(4);
  if (opcodeBytes === 0 || opcodeBytes > OPCODE_BYTES_MAX || payload.length < CALL_HEADER_BYTES + opcodeBytes) {
    throw channelError(`call frame with a bad opcode length ${opcodeBytes}`);
  }
  const opcode = payload.toString('latin1', CALL_HEADER_BYTES, CALL_HEADER_BYTES + opcodeBytes);
  const bodyBytes = payload.length - CALL_HEADER_BYTES - opcodeBytes;
  if (bodyBytes > RPC_CHANNEL_CALL_BYTES_MAX) throw channelError(`call body of ${bodyBytes} bytes over ${RPC_CHANNEL_CALL_BYTES_MAX}`);
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
    if (this.length < LENGTH_BYTES) return undefined;
    if (this.chunks[0]!.length < LENGTH_BYTES) this.merge(LENGTH_BYTES);
    const size = this.chunks[0]!.readUInt32LE(0);
    if (size > this.payloadBytesMax) throw channelError(`frame of ${size} bytes over the ${this.payloadBytesMax}-byte cap`);
    const frameBytes = LENGTH_BYTES + size;
    if (this.length < frameBytes) return undefined;
    if (this.chunks[0]!.length < frameBytes) this.merge(frameBytes);
    const first = this.chunks[0]!;
    const payload = first.subarray(LENGTH_BYTES, frameBytes);
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
