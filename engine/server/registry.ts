/**
 * The handler registry: each RPC group (obj, pool, cont, engine) registers a handler per RPC definition.
 * The router validates the request body against the definition's schema before calling the handler, and
 * encodes the handler's result (or EngineError) on the way out. Handlers never see malformed input.
 */
import type { Logger } from '../log.js';
import type { RpcDef } from '../wire/rpc-def.js';

export interface RequestContext {
  readonly log: Logger;
  /** Aborted when the client resets the stream or the engine shuts down. */
  readonly signal: AbortSignal;
  /** The request came on the engine's UNIX socket: the client runs on this host (it may read blob files in place). */
  readonly local: boolean;
}

export type Handler<Req, Res> = (request: Req, context: RequestContext) => Res | Promise<Res>;

export interface HandlerRegistry {
  register<Req, Res>(def: RpcDef<Req, Res>, handler: Handler<Req, Res>): void;
}
