/**
 * ArrayObject: a byte array over one ARRAY_BYTE object (DAOS daos_array with 1-byte records, as DFS files
 * use it). Geometry in array-math.ts: chunk c under dkey c+1, akey "0". Reads and writes split per chunk
 * (and per ARRAY_PIECE_BYTES_MAX) and run the pieces in parallel, at most ARRAY_CHUNKS_IN_FLIGHT_MAX at a
 * time; all pieces of one write share one epoch. writeExtents writes many extents at one epoch in one
 * collective update per engine. Unwritten bytes read as zeros (no short read: the caller
 * asks getSize() for the end). Size is one max-key query; setSize punches chunks above the new end, punches
 * the tail of the boundary chunk, and writes one zero byte at size-1 when the data would end short of it.
 */
import { EXTENTS_PER_IOD_MAX, LIST_KEYS_PER_RPC_MAX } from '../constants.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { ListAnchor } from './anchor.js';
import { type ChunkPiece, checkRange, chunkDkey, chunkOfDkey, lastChunkOfSize, sizeFromMaxKey, splitRange } from './array-math.js';
import { mapBounded } from './bounded-parallel.js';
import { ARRAY_CHUNKS_IN_FLIGHT_MAX, ARRAY_PIECE_BYTES_MAX } from './constants.js';
import type { FetchOptions, ObjectHandle } from './object.js';
import { PlacedBytes } from './placed-bytes.js';

/** The akey holding each chunk's bytes. */
export const ARRAY_AKEY = Buffer.from('0');
const RECORD_BYTES = 1;

/** One extent of writeExtents: `data` at byte `offset`. */
export interface ArrayExtent {
  readonly offset: number;
  readonly data: Uint8Array;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export class ArrayObject {
  readonly object: ObjectHandle;
  readonly chunkSizeBytes: number;

  constructor(object: ObjectHandle, chunkSizeBytes: number) {
    if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw new EngineError(Der.INVAL, `chunk size ${chunkSizeBytes} must be a positive integer`);
    this.object = object;
    this.chunkSizeBytes = chunkSizeBytes;
  }

  /** Writes `data` at byte `offset`, all chunks at one epoch; resolves with that epoch. */
  async write(offset: number, data: Uint8Array, options: { epoch?: Epoch } = {}): Promise<Epoch> {
    const pieces = splitRange(offset, data.length, this.chunkSizeBytes, ARRAY_PIECE_BYTES_MAX);
    const epoch = options.epoch ?? this.object.nextEpoch();
    const bytes = asBuffer(data);
    await mapBounded(pieces, ARRAY_CHUNKS_IN_FLIGHT_MAX, (piece) => this.writePiece(piece, bytes, epoch));
    return epoch;
  }

  /**
   * Writes several extents, which must not overlap, all at one epoch: the pieces of one chunk go in one
   * iod, and the chunks in one collective update per engine (ObjectHandle.updateMany), so a batch of
   * small scattered writes costs a few RPCs instead of one each. Resolves with the epoch.
   */
  async writeExtents(extents: readonly ArrayExtent[], options: { epoch?: Epoch } = {}): Promise<Epoch> {
    const epoch = options.epoch ?? this.object.nextEpoch();
    const sorted = extents.filter((extent) => extent.data.length > 0).sort((a, b) => a.offset - b.offset);
    for (let index = 1; index < sorted.length; index++) {
      const before = sorted[index - 1]!;
      if (before.offset + before.data.length > sorted[index]!.offset) throw new EngineError(Der.INVAL, `extents at ${before.offset} and ${sorted[index]!.offset} overlap`);
    }
    // Pieces in offset order, so each chunk's come together and in order; a chunk's iod takes pieces up to ARRAY_PIECE_BYTES_MAX.
    const updates: { dkey: Buffer; index: { index: number; count: number }[]; parts: Uint8Array[]; bytes: number; chunk: number }[] = [];
    for (const extent of sorted) {
      for (const piece of splitRange(extent.offset, extent.data.length, this.chunkSizeBytes, ARRAY_PIECE_BYTES_MAX)) {
        let update = updates.at(-1);
        if (update === undefined || update.chunk !== piece.chunk || update.bytes + piece.length > ARRAY_PIECE_BYTES_MAX || update.index.length >= EXTENTS_PER_IOD_MAX) {
          update = { dkey: chunkDkey(piece.chunk), index: [], parts: [], bytes: 0, chunk: piece.chunk };
          updates.push(update);
        }
        update.index.push({ index: piece.offsetInChunk, count: piece.length });
        update.parts.push(extent.data.subarray(piece.bufferOffset, piece.bufferOffset + piece.length));
        update.bytes += piece.length;
      }
    }
    if (updates.length === 0) return epoch;
    await this.object.updateMany(updates.map((update) => ({
      dkey: update.dkey,
      iods: [{
        type: 'array' as const, akey: ARRAY_AKEY, recordSize: RECORD_BYTES, extents: update.index,
        data: update.parts.length === 1 ? asBuffer(update.parts[0]!) : Buffer.concat(update.parts, update.bytes),
      }],
    })), { epoch });
    return epoch;
  }

  private async writePiece(piece: ChunkPiece, data: Buffer, epoch: Epoch): Promise<void> {
    await this.object.update({
      dkey: chunkDkey(piece.chunk),
      iods: [{
        type: 'array',
        akey: ARRAY_AKEY,
        recordSize: RECORD_BYTES,
        extents: [{ index: piece.offsetInChunk, count: piece.length }],
        data: data.subarray(piece.bufferOffset, piece.bufferOffset + piece.length),
      }],
      epoch,
    });
  }

  /** `length` bytes from `offset`; holes and bytes past the end read as zeros. */
  async read(offset: number, length: number, options: { epoch?: Epoch } = {}): Promise<Buffer> {
    return (await this.readCovered(offset, length, options)).data;
  }

  /**
   * As read(), and whether every byte of the range holds written data (`complete`): then the array is
   * at least offset + length long and a reader needs no size query (DAOS asks for the size only after a
   * read met a hole). False when any piece met a hole, or an engine did not say.
   */
  async readCovered(offset: number, length: number, options: { epoch?: Epoch } = {}): Promise<{ data: Buffer; complete: boolean }> {
    const pieces = splitRange(offset, length, this.chunkSizeBytes, ARRAY_PIECE_BYTES_MAX);
    const read = await mapBounded(pieces, ARRAY_CHUNKS_IN_FLIGHT_MAX, (piece) => this.readPiece(piece, options.epoch));
    const complete = read.every((piece, index) => piece.filled === pieces[index]!.length);
    // One piece answered in full is the result as it is (no copy: a whole-chunk read is a MiB).
    if (read.length === 1 && read[0]!.data.length === length) return { data: read[0]!.data, complete };
    const data = Buffer.alloc(length);
    read.forEach((piece, index) => piece.data.copy(data, pieces[index]!.bufferOffset, 0, Math.min(piece.data.length, pieces[index]!.length)));
    return { data, complete };
  }

  /**
   * As readCovered(), but the bytes may stay where the engines on this host keep them (PlacedBytes: read
   * them by their readBy, or read again); no copy is made.
   */
  async readPlaced(offset: number, length: number, options: { epoch?: Epoch } = {}): Promise<{ bytes: PlacedBytes; complete: boolean }> {
    const pieces = splitRange(offset, length, this.chunkSizeBytes, ARRAY_PIECE_BYTES_MAX);
    const read = await mapBounded(pieces, ARRAY_CHUNKS_IN_FLIGHT_MAX, async (piece) => {
      const [value] = await this.object.fetchPlaced(this.pieceFetch(piece, options.epoch));
      if (value === undefined || value.bytes.length !== piece.length) throw new EngineError(Der.PROTO, 'array fetch answered with another length');
      return value;
    });
    return { bytes: PlacedBytes.concat(read.map((piece) => piece.bytes)), complete: read.every((piece, index) => piece.filled === pieces[index]!.length) };
  }

  /** One piece's bytes, and how many of its records hold written data (-1: unknown). */
  private async readPiece(piece: ChunkPiece, epoch: Epoch | undefined): Promise<{ data: Buffer; filled: number }> {
    const [value] = await this.object.fetch(this.pieceFetch(piece, epoch));
    if (value === undefined || value.type !== 'array') throw new EngineError(Der.PROTO, 'array fetch answered without array data');
    return { data: value.data, filled: value.filled ?? -1 };
  }

  private pieceFetch(piece: ChunkPiece, epoch: Epoch | undefined): FetchOptions {
    const fetch = {
      dkey: chunkDkey(piece.chunk),
      iods: [{ type: 'array' as const, akey: ARRAY_AKEY, recordSize: RECORD_BYTES, extents: [{ index: piece.offsetInChunk, count: piece.length }] }],
    };
    return epoch === undefined ? fetch : { ...fetch, epoch };
  }

  /** End of the highest written byte (one max-key query over all groups); 0 for an empty array. */
  async getSize(options: { epoch?: Epoch } = {}): Promise<number> {
    const max = await this.object.queryMax(options.epoch === undefined ? { akey: ARRAY_AKEY } : { akey: ARRAY_AKEY, epoch: options.epoch });
    return sizeFromMaxKey(this.chunkSizeBytes, max.dkey, max.end);
  }

  /** Truncates or extends the array to `size` bytes (DAOS daos_array_set_size); resolves with the size it had. */
  async setSize(size: number): Promise<number> {
    checkRange(size, 0);
    const current = await this.getSize();
    if (size === current) return current;
    if (size < current) await this.shrink(size);
    // Growing needs a byte at size-1; after a shrink the remaining data may end in a hole before size.
    if (size > 0 && (size > current || (await this.getSize()) < size)) await this.write(size - 1, Buffer.alloc(1));
    return current;
  }

  private async shrink(size: number): Promise<void> {
    const lastChunk = lastChunkOfSize(size, this.chunkSizeBytes);
    await this.punchChunksAbove(lastChunk);
    const tail = size - lastChunk * this.chunkSizeBytes;
    if (lastChunk >= 0 && tail < this.chunkSizeBytes) {
      await this.object.update({
        dkey: chunkDkey(lastChunk),
        iods: [{ type: 'array', akey: ARRAY_AKEY, recordSize: RECORD_BYTES, extents: [{ index: tail, count: this.chunkSizeBytes - tail }], data: null }],
      });
    }
  }

  /** Punches every chunk dkey above `lastChunk`, found by listing the object's dkeys. */
  private async punchChunksAbove(lastChunk: number): Promise<void> {
    let anchor: ListAnchor | undefined;
    do {
      const page = await this.object.listDkeys(anchor === undefined ? { limit: LIST_KEYS_PER_RPC_MAX } : { anchor, limit: LIST_KEYS_PER_RPC_MAX });
      const doomed = page.keys.filter((dkey) => (chunkOfDkey(dkey) ?? -1) > lastChunk);
      await mapBounded(doomed, ARRAY_CHUNKS_IN_FLIGHT_MAX, (dkey) => this.object.punch({ dkey }));
      anchor = page.anchor;
    } while (!anchor.eof);
  }

  /** Punches the whole array object. */
  async punch(): Promise<void> {
    await this.object.punch();
  }
}
