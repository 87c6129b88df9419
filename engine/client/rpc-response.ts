/**
 * Turning an engine's HTTP answer into a result, shared by every transport so they map failures alike:
 * status 200 -> the body validated by the RPC's response schema; any other status -> the ErrorBody as an
 * EngineError(der, …, { mapVersion, leader }); an undecodable body -> Der.PROTO. Also the errors for
 * connection failures (Der.UNREACH) and deadlines (Der.TIMEDOUT). Pure functions; no I/O here.
 */
import { decode } from '../wire/codec.js';
import { Der, EngineError, isDer } from '../wire/errors.js';
import { HTTP_STATUS_OK, errorBody, type RpcDef } from '../wire/rpc-def.js';

function decodeBody(body: Buffer, address: string, opcode: string): unknown {
  try {
    return decode(body);
  } catch (error) {
    throw new EngineError(Der.PROTO, `${opcode} to ${address}: undecodable body (${(error as Error).message})`);
  }
}

/** An error answer (status != 200) as the EngineError it carries. Never throws. */
export function errorFromBody(body: Buffer, status: number, address: string, opcode: string): EngineError {
  let value: unknown;
  try {
    value = decode(body);
  } catch {
    return new EngineError(Der.PROTO, `${opcode} to ${address}: HTTP ${status} with undecodable body`);
  }
  let parsed;
  try {
    parsed = errorBody.check(value, '');
  } catch {
    return new EngineError(Der.PROTO, `${opcode} to ${address}: HTTP ${status} with malformed error body`);
  }
  const der = isDer(parsed.der) ? parsed.der : Der.MISC;
  const detail = der === parsed.der ? `${opcode} on ${address}` : `${opcode} on ${address}: unknown code ${parsed.der}`;
  const info: { mapVersion?: number; leader?: number } = {};
  if (parsed.mapVersion !== undefined) info.mapVersion = parsed.mapVersion;
  if (parsed.leader !== undefined) info.leader = parsed.leader;
  return new EngineError(der, detail, info);
}

/** The validated response of a 200 answer; throws EngineError(Der.PROTO) when it does not fit the schema. */
export function responseFromBody<Req, Res>(def: RpcDef<Req, Res>, body: Buffer, address: string): Res {
  return def.response.check(decodeBody(body, address, def.opcode), '');
}

/** Result of an answer with any status: the response, or throws the EngineError it carries. */
export function settleAnswer<Req, Res>(def: RpcDef<Req, Res>, status: number, body: Buffer, address: string): Res {
  if (status === HTTP_STATUS_OK) return responseFromBody(def, body, address);
  throw errorFromBody(body, status, address, def.opcode);
}

export function unreachableError(address: string, opcode: string, cause: unknown): EngineError {
  const why = cause instanceof Error ? (('code' in cause && typeof cause.code === 'string') ? cause.code : cause.message) : String(cause);
  return new EngineError(Der.UNREACH, `${opcode} to ${address}: ${why}`);
}

export function timeoutError(address: string, opcode: string, timeoutMs: number): EngineError {
  return new EngineError(Der.TIMEDOUT, `${opcode} to ${address}: no answer within ${timeoutMs} ms`);
}

export function canceledError(address: string, opcode: string): EngineError {
  return new EngineError(Der.CANCELED, `${opcode} to ${address}: aborted by caller`);
}

/** One Buffer from the chunks of a body (no copy when there is a single chunk). */
export function joinChunks(first: Buffer | undefined, rest: Buffer[] | undefined, length: number): Buffer {
  if (first === undefined) return Buffer.alloc(0);
  if (rest === undefined) return first;
  return Buffer.concat([first, ...rest], length);
}
