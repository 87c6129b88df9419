/**
 * Byte-array geometry (DAOS daos_array / DFS files): byte `b` lives in chunk `floor(b / chunkSizeBytes)`,
 * stored under the 8-byte big-endian dkey `chunk + 1` (dkey 0 is reserved for array metadata), akey "0",
 * 1-byte records. Big-endian dkeys make byte order equal chunk order, so the greatest dkey is the last
 * chunk. Pure functions: splitting a byte range into per-chunk pieces, dkey encoding, size from max key.
 */
import { Der, EngineError } from '../wire/errors.js';

/** One contiguous part of a byte range that falls inside one chunk. */
export interface ChunkPiece {
  readonly chunk: number;
  /** First byte of the piece, relative to the chunk. */
  readonly offsetInChunk: number;
  readonly length: number;
  /** First byte of the piece, relative to the caller's buffer (the range's start). */
  readonly bufferOffset: number;
}

export const ARRAY_DKEY_BYTES = 8;

export function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new EngineError(Der.INVAL, `array offset ${offset} is not a non-negative integer`);
  if (!Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(offset + length)) {
    throw new EngineError(Der.INVAL, `array length ${length} at ${offset} out of range`);
  }
}

/**
 * The pieces of [offset, offset + length): split at chunk boundaries, and pieces longer than
 * `pieceBytesMax` split again, in ascending order. Empty for length 0.
 */
export function splitRange(offset: number, length: number, chunkSizeBytes: number, pieceBytesMax: number): ChunkPiece[] {
  checkRange(offset, length);
  const pieces: ChunkPiece[] = [];
  let position = offset;
  const end = offset + length;
  while (position < end) {
    const chunk = Math.floor(position / chunkSizeBytes);
    const offsetInChunk = position - chunk * chunkSizeBytes;
    const pieceLength = Math.min(end - position, chunkSizeBytes - offsetInChunk, pieceBytesMax);
    pieces.push({ chunk, offsetInChunk, length: pieceLength, bufferOffset: position - offset });
    position += pieceLength;
  }
  return pieces;
}

/** The dkey of chunk `chunk`: big-endian `chunk + 1`. */
export function chunkDkey(chunk: number): Buffer {
  const dkey = Buffer.allocUnsafe(ARRAY_DKEY_BYTES);
  dkey.writeBigUInt64BE(BigInt(chunk) + 1n);
  return dkey;
}

/** The chunk a dkey names, or undefined for keys that are not chunk dkeys (dkey 0, wrong length). */
export function chunkOfDkey(dkey: Buffer): number | undefined {
  if (dkey.length !== ARRAY_DKEY_BYTES) return undefined;
  const value = dkey.readBigUInt64BE();
  if (value === 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(value) - 1;
}

/** Array size from a max-key query: chunkSize * (maxDkey - 1) + end of its highest extent; 0 without data. */
export function sizeFromMaxKey(chunkSizeBytes: number, dkey: Buffer | null, end: number): number {
  if (dkey === null) return 0;
  const chunk = chunkOfDkey(dkey);
  if (chunk === undefined) throw new EngineError(Der.INVAL, 'array object holds a dkey that is not a chunk');
  return chunk * chunkSizeBytes + end;
}

/** The last chunk holding bytes of an array of `size` bytes; -1 when size is 0. */
export function lastChunkOfSize(size: number, chunkSizeBytes: number): number {
  return size === 0 ? -1 : Math.floor((size - 1) / chunkSizeBytes);
}
