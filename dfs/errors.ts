/**
 * Filesystem errors: FsError { errno, code, syscall, path }, the only error a public DFS function rejects
 * with, and derToErrno(), the one switch that maps engine codes (Der) to errnos (DAOS daos_der2errno).
 * Errno numbers come from the platform (node:os constants), so they match what Node's own fs reports.
 * Internal code raises semantic errors with fsFail(); the public API stamps syscall and path at its edge
 * (toFsError). Assertion failures are programmer errors and pass through untouched.
 */
import { AssertionError } from 'node:assert';
import { constants } from 'node:os';
import { Der, isEngineError } from '../engine/wire/errors.js';
import type { Logger } from '../engine/log.js';

/** The errno names DFS reports. */
export type ErrnoCode =
  | 'EPERM' | 'ENOENT' | 'EIO' | 'EBADF' | 'EAGAIN' | 'EACCES' | 'EBUSY' | 'EEXIST' | 'EXDEV' | 'ENOTDIR' | 'EISDIR'
  | 'EINVAL' | 'ENFILE' | 'EFBIG' | 'ENOSPC' | 'EROFS' | 'ERANGE' | 'E2BIG' | 'ENAMETOOLONG' | 'ENOSYS' | 'ENOTEMPTY'
  | 'ELOOP' | 'ENODATA' | 'EOVERFLOW' | 'EPROTO' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ECANCELED' | 'ESTALE'
  | 'EINPROGRESS' | 'ESHUTDOWN' | 'EOPNOTSUPP';

const ERRNO: Readonly<Record<string, number>> = constants.errno;

/** The platform errno number of `code` (positive). */
export function errnoOf(code: ErrnoCode): number {
  const value = ERRNO[code];
  if (value === undefined) throw new AssertionError({ message: `platform has no errno ${code}` });
  return value;
}

/** A failed filesystem call: `errno` is positive; `code` is its name; `path` the path or entry name involved. */
export class FsError extends Error {
  readonly errno: number;
  readonly code: ErrnoCode;
  readonly syscall: string;
  readonly path: string | undefined;
  /** Why, for humans and logs only (tests and callers match `code`, never this). */
  readonly detail: string | undefined;
  override name = 'FsError';

  constructor(code: ErrnoCode, options: { syscall?: string; path?: string | undefined; detail?: string; cause?: unknown } = {}) {
    const where = `${options.syscall ?? ''}${options.path === undefined ? '' : ` '${options.path}'`}`;
    const message = `${code}${where === '' ? '' : `: ${where.trim()}`}${options.detail === undefined ? '' : ` (${options.detail})`}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = errnoOf(code);
    this.syscall = options.syscall ?? '';
    this.path = options.path;
    this.detail = options.detail;
  }
}

/**
 * Builds an error without capturing a stack trace. Semantic errors (ENOENT of a lookup, EEXIST of a
 * create) are expected outcomes, some on every create, and their code and detail say all there is to say;
 * capturing a stack cost ~10 us each, two per negative lookup (measured in a dfuse profile).
 */
function stackless(make: () => FsError): FsError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Raises a semantic error from inside the library; the public edge adds syscall and path. */
export function fsFail(code: ErrnoCode, detail?: string): never {
  throw stackless(() => new FsError(code, detail === undefined ? {} : { detail }));
}

export function isFsError(error: unknown, code?: ErrnoCode): error is FsError {
  return error instanceof FsError && (code === undefined || error.code === code);
}

/** The errno for an engine code (DAOS daos_der2errno); undefined for codes that have no meaning here. */
export function derToErrno(der: Der): ErrnoCode | undefined {
  switch (der) {
    case Der.NO_PERM: return 'EPERM';
    case Der.NO_HDL: return 'EBADF';
    case Der.INVAL: return 'EINVAL';
    case Der.EXIST: return 'EEXIST';
    case Der.NONEXIST: return 'ENOENT';
    case Der.UNREACH: return 'EHOSTUNREACH';
    case Der.NOSPACE: return 'ENOSPC';
    case Der.NOSYS: return 'ENOSYS';
    case Der.TIMEDOUT: return 'ETIMEDOUT';
    case Der.BUSY: return 'EBUSY';
    case Der.AGAIN: return 'EAGAIN';
    case Der.PROTO: return 'EPROTO';
    case Der.TRUNC: return 'EOVERFLOW';
    case Der.OVERFLOW: return 'EOVERFLOW';
    case Der.CANCELED: return 'ECANCELED';
    case Der.SHUTDOWN: return 'ESHUTDOWN';
    case Der.STALE: return 'ESTALE';
    case Der.NOTLEADER: return 'EAGAIN';
    case Der.TX_RESTART: return 'EAGAIN';
    case Der.INPROGRESS: return 'EINPROGRESS';
    case Der.DATA_LOSS: return 'EIO';
    case Der.RF: return 'EIO';
    case Der.MISC: return 'EIO';
    default: return undefined;
  }
}

/**
 * Any failure as an FsError of `syscall` on `path`: FsErrors keep their code (gaining syscall and path),
 * engine errors go through derToErrno, anything else becomes EIO with its stack logged. Assertion
 * failures are rethrown as they are (programmer errors are never converted).
 */
export function toFsError(error: unknown, syscall: string, path: string | undefined, log: Logger): FsError {
  if (error instanceof AssertionError) throw error;
  if (error instanceof FsError) {
    if (error.syscall !== '') return error;
    const detail = error.detail;
    return stackless(() => new FsError(error.code, { syscall, path, cause: error, ...(detail === undefined ? {} : { detail }) }));
  }
  if (isEngineError(error)) {
    const code = derToErrno(error.der);
    // The engine error (the cause) keeps its stack.
    if (code !== undefined) return stackless(() => new FsError(code, { syscall, path, detail: error.message, cause: error }));
    log.error({ err: error, syscall, path }, 'engine error without an errno mapping');
    return new FsError('EIO', { syscall, path, detail: error.message, cause: error });
  }
  log.error({ err: error, syscall, path, stack: error instanceof Error ? error.stack : undefined }, 'unexpected error in dfs');
  return new FsError('EIO', { syscall, path, detail: error instanceof Error ? error.message : String(error), cause: error });
}
