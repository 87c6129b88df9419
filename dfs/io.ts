/**
 * File data (DAOS dfs_read / dfs_write / dfs_get_size / dfs_punch): positional reads and writes on the
 * file's byte array (chunk c at dkey c+1, striped over the object's groups), plain and vectored. A read
 * whose range is all written data needs nothing more; one that met a hole asks for the size (a query of
 * every group) and returns a short read at end of file; holes inside the file read as zeros. Writes of
 * one call share one epoch; concurrent calls on one handle are independent (no handle state). O_APPEND
 * writes at the size seen just before (not atomic against other appenders). A hole punch keeps the size;
 * punching to the end (length Infinity) truncates. The handle's access mode is enforced (EBADF), as are
 * file type (EISDIR) and read-only mounts (EROFS). The first change to a file's object clears its
 * unwritten mark (first-write.ts): data writes alongside it, truncates and hole punches after it.
 */
import { ARRAY_AKEY, PlacedBytes, chunkDkey, mapBounded } from '../engine/client/index.js';
import { FILE_BYTES_MAX, IO_SEGMENTS_IN_FLIGHT_MAX } from './constants.js';
import { fsFail } from './errors.js';
import { ensureWritten, writeClearing } from './first-write.js';
import type { DfsObject } from './handle.js';
import { O_ACCMODE, O_APPEND, O_RDONLY, O_WRONLY } from './inode.js';

export interface ReadSegment {
  readonly offset: number;
  readonly length: number;
}

export interface WriteSegment {
  readonly offset: number;
  readonly data: Uint8Array;
}

function checkFile(handle: DfsObject): void {
  if (handle.kind === 'dir') fsFail('EISDIR', `${handle.name} is a directory`);
  if (handle.kind !== 'file') fsFail('EINVAL', `${handle.name} is not a regular file`);
}

function checkReadable(handle: DfsObject): void {
  checkFile(handle);
  if ((handle.flags & O_ACCMODE) === O_WRONLY) fsFail('EBADF', `${handle.name} is open write-only`);
}

function checkWritable(handle: DfsObject): void {
  checkFile(handle);
  handle.mount.assertWritable();
  if ((handle.flags & O_ACCMODE) === O_RDONLY) fsFail('EBADF', `${handle.name} is open read-only`);
}

/** Clears the file's unwritten mark before its object is first written (first-write.ts). */
function beforeWrite(handle: DfsObject): Promise<void> | undefined {
  return ensureWritten(handle.mount, handle.entry, handle.inode);
}

function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) fsFail('EINVAL', `range ${offset}+${length}`);
  if (offset + length > FILE_BYTES_MAX) fsFail('EFBIG', `range ends past ${FILE_BYTES_MAX}`);
}

/** The file's size: one max-key query. */
export function getSize(handle: DfsObject): Promise<number> {
  checkFile(handle);
  return handle.array().getSize();
}

/**
 * What a reader may tell a read: `sizeHint`, the size it believes the file has (from a stat). A read
 * reaching past it asks the file's size alongside its data, so a short read at the end of the file takes
 * one round trip instead of two; the answer rests on that size as asked, never on the hint, unless
 * `sizeHintHolds`: the reader answers as of that size (it is the size of a stat the reader's client still
 * holds valid, as the kernel holds its i_size, and nothing was written through the reader since; DAOS dfuse
 * answers so from what it read at open). A read that begins before the hint and reaches past it then ends
 * at it, and asks the size only if it meets a hole before it (the file may have shrunk); one that begins
 * at or past it goes as without.
 */
export interface ReadOptions {
  readonly sizeHint?: number;
  readonly sizeHintHolds?: boolean;
}

/** `length`, cut at the hinted end of the file when the hint holds and the read begins before it. */
function heldLength(offset: number, length: number, options: ReadOptions): number {
  const hint = options.sizeHint;
  return options.sizeHintHolds === true && hint !== undefined && offset < hint ? Math.min(length, hint - offset) : length;
}

/** Up to `length` bytes from `offset`: shorter at end of file, empty past it. */
export async function readAt(handle: DfsObject, offset: number, asked: number, options: ReadOptions = {}): Promise<Buffer> {
  checkReadable(handle);
  checkRange(offset, asked);
  const length = heldLength(offset, asked, options);
  if (length === 0) return Buffer.alloc(0);
  const size = sizeAlongside(handle, offset, length, options);
  const { data, complete } = await handle.array().readCovered(offset, length);
  return complete ? data : data.subarray(0, await availableBytes(handle, offset, length, size));
}

/** readAt, with the bytes left where the engines keep them when they can be (ArrayObject.readPlaced). */
export async function readPlaced(handle: DfsObject, offset: number, asked: number, options: ReadOptions = {}): Promise<PlacedBytes> {
  checkReadable(handle);
  checkRange(offset, asked);
  const length = heldLength(offset, asked, options);
  if (length === 0) return PlacedBytes.of(Buffer.alloc(0));
  const size = sizeAlongside(handle, offset, length, options);
  const { bytes, complete } = await handle.array().readPlaced(offset, length);
  return complete ? bytes : bytes.subarray(0, await availableBytes(handle, offset, length, size));
}

/** The size query a read past the hinted end starts with its data (unused if the read finds no hole). */
function sizeAlongside(handle: DfsObject, offset: number, length: number, options: ReadOptions): Promise<number> | undefined {
  if (options.sizeHint === undefined || offset + length <= options.sizeHint) return undefined;
  const size = handle.array().getSize();
  size.catch(() => undefined);
  return size;
}

/** A range met a hole: it may be the end of the file (a short read) or a hole inside it (zeros). */
async function availableBytes(handle: DfsObject, offset: number, length: number, asked?: Promise<number>): Promise<number> {
  const size = await (asked ?? handle.array().getSize());
  return Math.max(0, Math.min(length, size - offset));
}

/** Reads into `target` from `offset`; resolves with the bytes read (short at end of file). */
export async function readInto(handle: DfsObject, target: Uint8Array, offset: number): Promise<number> {
  const data = await readAt(handle, offset, target.length);
  target.set(data, 0);
  return data.length;
}

/** Reads every segment (at most IO_SEGMENTS_IN_FLIGHT_MAX at a time); each result may be short. */
export async function readSegments(handle: DfsObject, segments: readonly ReadSegment[]): Promise<Buffer[]> {
  checkReadable(handle);
  for (const segment of segments) checkRange(segment.offset, segment.length);
  const array = handle.array();
  const reads = await mapBounded(segments, IO_SEGMENTS_IN_FLIGHT_MAX, (segment) => array.readCovered(segment.offset, segment.length));
  const data = reads.map((read) => read.data);
  if (reads.every((read) => read.complete)) return data;
  const size = await array.getSize();
  return data.map((bytes, index) => bytes.subarray(0, Math.max(0, Math.min(bytes.length, size - segments[index]!.offset))));
}

/** Writes `data` at `offset` (at the end for O_APPEND handles); resolves with the bytes written. */
export async function writeAt(handle: DfsObject, data: Uint8Array, offset: number): Promise<number> {
  checkWritable(handle);
  const at = (handle.flags & O_APPEND) !== 0 ? await handle.array().getSize() : offset;
  checkRange(at, data.length);
  if (data.length === 0) return 0;
  await writeData(handle, () => handle.array().write(at, data));
  return data.length;
}

/**
 * Runs a data write, alongside the clearing of the file's unwritten mark while the handle's inode carries
 * it; once both are done the handle's inode is written without it (as setattr updates it), so later writes
 * through the handle go straight to the object instead of through the clearing.
 */
async function writeData(handle: DfsObject, write: () => Promise<unknown>): Promise<void> {
  const inode = handle.inode;
  await writeClearing(handle.mount, handle.entry, inode, write);
  if (inode.unwritten && handle.inode === inode) handle.inode = { ...inode, unwritten: false };
}

/**
 * Writes every segment; where two overlap the later one wins, as with sequential writes. Segments go out
 * in runs that overlap nowhere inside, each run at one epoch (later runs at later ones) as one batch of
 * collective updates (ArrayObject.writeExtents): scattered small writes cost a few RPCs, not one each.
 * Resolves with the total bytes written.
 */
export async function writeSegments(handle: DfsObject, segments: readonly WriteSegment[]): Promise<number> {
  checkWritable(handle);
  for (const segment of segments) checkRange(segment.offset, segment.data.length);
  const array = handle.array();
  const runs = disjointRuns(segments.filter((segment) => segment.data.length > 0));
  // Each run takes its epoch as it starts, in order, so where runs overlap the later one lands above.
  if (runs.length > 0) await writeData(handle, () => Promise.all(runs.map((run) => array.writeExtents(run))));
  return segments.reduce((sum, segment) => sum + segment.data.length, 0);
}

/** `segments` cut, in order, into runs in which no two overlap. */
function disjointRuns(segments: readonly WriteSegment[]): WriteSegment[][] {
  const runs: WriteSegment[][] = [];
  let run: WriteSegment[] = [];
  for (const segment of segments) {
    const end = segment.offset + segment.data.length;
    if (run.some((other) => other.offset < end && segment.offset < other.offset + other.data.length)) {
      runs.push(run);
      run = [];
    }
    run.push(segment);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Deallocates `length` bytes from `offset` (a hole: they read as zeros, the size is kept); with `length`
 * Infinity, truncates (or extends) the file to `offset` instead (DAOS dfs_punch with DFS_MAX_FSIZE).
 */
export async function punchRange(handle: DfsObject, offset: number, length: number): Promise<void> {
  checkWritable(handle);
  const array = handle.array();
  if (length === Number.POSITIVE_INFINITY) {
    checkRange(offset, 0);
    await beforeWrite(handle);
    await array.setSize(offset);
    return;
  }
  checkRange(offset, length);
  const size = await array.getSize();
  const end = Math.min(offset + length, size);
  if (end <= offset) return;
  await beforeWrite(handle);
  await punchExtents(handle, offset, end - offset);
  // Punched records do not count towards the size; keep the last byte when the hole reaches the end.
  if (end === size) await array.write(size - 1, Buffer.alloc(1));
}

/** Punches the records of [offset, offset + length) chunk by chunk (extent punches: data null). */
async function punchExtents(handle: DfsObject, offset: number, length: number): Promise<void> {
  const array = handle.array();
  const chunkSizeBytes = array.chunkSizeBytes;
  const pieces: { chunk: number; index: number; count: number }[] = [];
  for (let position = offset; position < offset + length;) {
    const chunk = Math.floor(position / chunkSizeBytes);
    const index = position - chunk * chunkSizeBytes;
    const count = Math.min(offset + length - position, chunkSizeBytes - index);
    pieces.push({ chunk, index, count });
    position += count;
  }
  const epoch = array.object.nextEpoch();
  await mapBounded(pieces, IO_SEGMENTS_IN_FLIGHT_MAX, (piece) => array.object.update({
    dkey: chunkDkey(piece.chunk),
    iods: [{ type: 'array', akey: ARRAY_AKEY, recordSize: 1, extents: [{ index: piece.index, count: piece.count }], data: null }],
    epoch,
  }));
}
