/**
 * Small durable JSON files of the engine (engine.json, a pool's pool.json, map.json, retained.json).
 * A write is atomic and durable: temp file, fsync, rename over the old file, fsync the directory, so a
 * crash at any point leaves either the old or the new content, never a torn file.
 * Reads return undefined for a missing file and throw for a corrupt one (a bug or disk damage, never ignored).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** fsync on a directory makes a rename in it durable (POSIX); some platforms refuse it, which is harmless. */
export function fsyncDirectory(path: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    fsyncSync(descriptor);
  } catch {
    // Directories cannot be opened/fsynced on every platform (e.g. Windows); the rename is still atomic.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/** Replaces `path` with the JSON of `value`, atomically and durably. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.tmp-${process.pid}`);
  const descriptor = openSync(temporary, 'w', 0o644);
  try {
    writeSync(descriptor, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
  fsyncDirectory(directory);
}

/** The parsed JSON at `path`, or undefined if the file does not exist. Corrupt JSON throws. */
export function readJsonIfExists(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as unknown;
}
