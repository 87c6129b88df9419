/**
 * An RPC is declared once: opcode, request schema, response schema. Client and server both import the
 * same definition; the server validates requests with it and the client validates responses with it.
 * On the wire: `POST /v1/<opcode>`, msgpack body; status 200 carries the response, any other status an
 * ErrorBody with the DER code (and, for Der.STALE, the engine's newer pool map version).
 */
import { type Infer, type Schema, t } from './schema.js';

export interface RpcDef<Req, Res> {
  readonly opcode: string;
  readonly path: string;
  readonly request: Schema<Req>;
  readonly response: Schema<Res>;
  /**
   * Bytes of bulk data the answer to `request` carries at most (array records asked for), for RPCs whose
   * answers can be large; absent: small. A transport keeps such calls off the shared rpc_channel stream.
   */
  answerBytes?(request: Req): number;
  /** Requests and answers may carry bulk data fields: both sides encode them in parts (codec encodeParts), uncopied. */
  readonly bulk?: boolean;
}

export type RpcRequest<D> = D extends RpcDef<infer Req, unknown> ? Req : never;
export type RpcResponse<D> = D extends RpcDef<unknown, infer Res> ? Res : never;

export function defineRpc<Req, Res>(
  opcode: string, request: Schema<Req>, response: Schema<Res>, options: { answerBytes?: (request: Req) => number; bulk?: boolean } = {},
): RpcDef<Req, Res> {
  return { opcode, path: `/v1/${opcode}`, request, response, ...options };
}

export const errorBody = t.object({
  der: t.uint(),
  /** The engine's pool map version, sent with Der.STALE. */
  mapVersion: t.optional(t.uint()),
  /** Rank believed to be the pool service leader, sent with Der.NOTLEADER. */
  leader: t.optional(t.uint()),
});
export type ErrorBody = Infer<typeof errorBody>;

export const HTTP_STATUS_OK = 200;
/** Malformed request (Der.PROTO): the body never reached a handler. */
export const HTTP_STATUS_PROTO = 400;
/** Any other operating error (the DER code says which). */
export const HTTP_STATUS_ERROR = 409;
