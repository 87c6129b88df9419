/**
 * The daemon side of `--announce-fd N` (scripts/cluster/announcement.ts): the launcher passes a pipe at
 * descriptor N, and the daemon writes one JSON line there once it serves, then closes it.
 */
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { type Parsed, UsageError, intOption } from './command.js';

export const ANNOUNCE_FD_OPTION = { 'announce-fd': { type: 'string' } } as const;

/** The descriptor `--announce-fd` names, checked to be open (before the daemon starts), or undefined. */
export function announceFdOption(parsed: Parsed): number | undefined {
  const fd = intOption(parsed, 'announce-fd', -1, { min: 3, max: 65_535 });
  if (fd < 0) return undefined;
  try {
    fstatSync(fd);
  } catch {
    throw new UsageError(`--announce-fd ${fd}: not an open descriptor`);
  }
  return fd;
}

/** Writes `message` as one line on `fd` and closes it. */
export function announce(fd: number, message: Record<string, unknown>): void {
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
  } finally {
    closeSync(fd);
  }
}
