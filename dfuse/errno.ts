/**
 * The error edge of dfuse: every failure becomes the negative errno fuse-native hands the kernel. DFS
 * errors carry their errno; anything else is a bug, logged with its stack and reported as EIO.
 */
import { constants } from 'node:os';
import { FsError } from '../dfs/index.js';
import type { Logger } from '../dfs/index.js';

const EIO = constants.errno.EIO;

export function negativeErrno(error: unknown, op: string, path: string, log: Logger): number {
  if (error instanceof FsError) {
    if (error.code === 'EIO' || error.code === 'EHOSTUNREACH' || error.code === 'ETIMEDOUT' || error.code === 'EPROTO') {
      log.warn({ op, path, err: error.message }, 'operation failed');
    }
    return -error.errno;
  }
  log.error({ op, path, err: error }, 'unexpected failure (reported as EIO)');
  return -EIO;
}
