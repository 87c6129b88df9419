/**
 * Engine errors: the one closed set of DAOS-style error codes (DER_*) and the EngineError that carries one.
 * Codes travel on the wire as numbers, never messages. Numbers follow DAOS where DAOS has the code.
 * Nothing else in engine/ defines error codes; dfs/errors.ts maps them to errnos in one switch.
 */

export enum Der {
  NO_PERM = 1001,
  NO_HDL = 1002,
  INVAL = 1003,
  EXIST = 1004,
  NONEXIST = 1005,
  UNREACH = 1006,
  NOSPACE = 1007,
  NOSYS = 1010,
  TIMEDOUT = 1011,
  BUSY = 1012,
  AGAIN = 1013,
  PROTO = 1014,
  TRUNC = 1016,
  OVERFLOW = 1017,
  CANCELED = 1018,
  SHUTDOWN = 1023,
  MISC = 1025,
  /** Request carries an older pool map version than the engine's; the response names the newer version. */
  STALE = 2013,
  NOTLEADER = 2008,
  TX_RESTART = 2035,
  INPROGRESS = 2036,
  /** Not enough healthy shards to serve the request (redundancy exceeded). */
  DATA_LOSS = 2042,
  RF = 2046,
}

const DER_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Der)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, code]) => [code, `DER_${name}`]),
);

/** `DER_NONEXIST` for Der.NONEXIST; `DER_UNKNOWN(<n>)` for a number outside the enum. */
export function derName(code: number): string {
  return DER_NAMES.get(code) ?? `DER_UNKNOWN(${code})`;
}

export function isDer(code: number): code is Der {
  return DER_NAMES.has(code);
}

/**
 * An operating error from the object layer. `der` is the code; `message` is for humans and logs only
 * (never sent on the wire, never matched by code).
 */
export class EngineError extends Error {
  readonly der: Der;
  /** With Der.STALE: the newer pool map version the engine holds. With Der.NOTLEADER: the leader it knows. */
  readonly info: { readonly mapVersion?: number; readonly leader?: number };
  override name = 'EngineError';

  constructor(der: Der, detail?: string, info: { mapVersion?: number; leader?: number } = {}) {
    super(detail === undefined ? derName(der) : `${derName(der)}: ${detail}`);
    this.der = der;
    this.info = info;
  }
}

export function isEngineError(error: unknown, der?: Der): error is EngineError {
  return error instanceof EngineError && (der === undefined || error.der === der);
}
