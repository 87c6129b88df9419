/**
 * The msgpack codec for every RPC body (msgpackr). Binary fields travel as msgpack bin, never base64;
 * integers up to 2^53 round-trip exactly as numbers. Objects are plain maps (no msgpackr records), so a
 * peer in another language could speak the protocol.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  encodeUndefinedAsNil: true,
  int64AsType: 'number',
  moreTypes: false,
});

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes one msgpack value; a malformed body throws (the caller turns that into Der.PROTO). */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Binary fields at least this large are not copied by encodeParts: they become parts of their own. */
export const PART_BYTES_MIN = 64 * 1024;

/**
 * The msgpack encoding of `value` as a list of Buffers whose concatenation is the message, for bodies that
 * carry bulk data: each binary field of PART_BYTES_MIN bytes or more is a part by itself — the caller's own
 * Buffer, not a copy — and the rest is written around it. A transport writes the parts one after the other,
 * so a MiB of array data is never copied into an encoding buffer (per replica, for replicated writes).
 * Same subset as encode(): plain objects (undefined as nil), arrays, strings, numbers, booleans, null,
 * Uint8Array; anything else is a TypeError.
 */
export function encodeParts(value: unknown): Buffer[] {
  const writer = new PartWriter();
  writer.value(value);
  return writer.finish();
}

/** Total bytes of an encoding in parts. */
export function partsBytes(parts: readonly Buffer[]): number {
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  return bytes;
}

/**
 * Encodings are written into a shared slab, each after the one before, as Node's Buffer pool does for small
 * Buffers: a fresh 4 KiB scratch per call cost ~3 us (Buffer.allocUnsafe of 4 KiB and more bypasses the pool)
 * and GC pressure, on every RPC. The bytes handed out are never written again: a full slab is replaced, not
 * reused, and stays alive only through the parts that view it.
 */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;

class PartWriter {
  private readonly parts: Buffer[] = [];
  private scratch = slab;
  /** Start of the bytes of `scratch` not yet in `parts`, and the write position. */
  private start = slabUsed;
  private position = slabUsed;

  finish(): Buffer[] {
    this.cut();
    // The next encoding starts 8-aligned after this one (in the slab this one ended in).
    slab = this.scratch;
    slabUsed = Math.min(this.scratch.length, (this.position + 7) & ~7);
    return this.parts;
  }

  value(value: unknown): void {
    if (value === null || value === undefined) this.byte(0xc0);
    else if (typeof value === 'boolean') this.byte(value ? 0xc3 : 0xc2);
    else if (typeof value === 'number') this.number(value);
    else if (typeof value === 'string') this.string(value);
    else if (value instanceof Uint8Array) this.binary(value);
    else if (Array.isArray(value)) {
      this.header(value.length, 0x90, 16, 0xdc, 0xdd);
      for (const item of value) this.value(item);
    } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const keys = Object.keys(value);
      this.header(keys.length, 0x80, 16, 0xde, 0xdf);
      for (const key of keys) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key]);
      }
    } else {
      throw new TypeError(`encodeParts: cannot encode a ${typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value}`);
    }
  }

  private number(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.room(9);
      this.scratch[this.position] = 0xcb;
      this.scratch.writeDoubleBE(value, this.position + 1);
      this.position += 9;
    } else if (value >= 0) {
      if (value < 0x80) this.byte(value);
      else if (value <= 0xff) this.sized(0xcc, value, 1);
      else if (value <= 0xffff) this.sized(0xcd, value, 2);
      else if (value <= 0xffff_ffff) this.sized(0xce, value, 4);
      else this.sized(0xcf, value, 8);
    } else {
      if (value >= -32) this.byte(value & 0xff);
      else if (value >= -0x80) this.sized(0xd0, value, 1);
      else if (value >= -0x8000) this.sized(0xd1, value, 2);
      else if (value >= -0x8000_0000) this.sized(0xd2, value, 4);
      else this.sized(0xd3, value, 8);
    }
  }

  private string(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < 32) this.byte(0xa0 | bytes);
    else if (bytes <= 0xff) this.sized(0xd9, bytes, 1);
    else if (bytes <= 0xffff) this.sized(0xda, bytes, 2);
    else this.sized(0xdb, bytes, 4);
    this.room(bytes);
    this.position += this.scratch.write(value, this.position, 'utf8');
  }

  private binary(value: Uint8Array): void {
    if (value.length <= 0xff) this.sized(0xc4, value.length, 1);
    else if (value.length <= 0xffff) this.sized(0xc5, value.length, 2);
    else this.sized(0xc6, value.length, 4);
    if (value.length >= PART_BYTES_MIN) {
      this.cut();
      this.parts.push(Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      return;
    }
    this.room(value.length);
    this.scratch.set(value, this.position);
    this.position += value.length;
  }

  /** A collection header: fix form below `fixLimit`, else the 16- or 32-bit form. */
  private header(count: number, fix: number, fixLimit: number, code16: number, code32: number): void {
    if (count < fixLimit) this.byte(fix | count);
    else if (count <= 0xffff) this.sized(code16, count, 2);
    else this.sized(code32, count, 4);
  }

  /** A type byte and a big-endian integer of `bytes` bytes (signed for the negative codes). */
  private sized(code: number, value: number, bytes: 1 | 2 | 4 | 8): void {
    this.room(1 + bytes);
    const at = this.position + 1;
    this.scratch[this.position] = code;
    if (bytes === 8) {
      // Safe integers only (number() sends the rest as doubles): two 32-bit halves, no BigInt. The high half
      // of a negative value is its floor, the low half what remains (0 ..< 2^32) — two's complement.
      const high = Math.floor(value / 2 ** 32);
      this.scratch.writeInt32BE(high, at);
      this.scratch.writeUInt32BE(value - high * 2 ** 32, at + 4);
    } else if (value < 0) {
      this.scratch.writeIntBE(value, at, bytes);
    } else {
      this.scratch.writeUIntBE(value, at, bytes);
    }
    this.position += 1 + bytes;
  }

  private byte(value: number): void {
    this.room(1);
    this.scratch[this.position++] = value;
  }

  /** Makes room for `bytes` more bytes: what is written so far becomes a part, writing goes on in a new slab. */
  private room(bytes: number): void {
    if (this.position + bytes <= this.scratch.length) return;
    this.cut();
    this.scratch = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.start = 0;
    this.position = 0;
  }

  /** The bytes written since the last cut become a part. */
  private cut(): void {
    if (this.position > this.start) this.parts.push(this.scratch.subarray(this.start, this.position));
    this.start = this.position;
  }
}
