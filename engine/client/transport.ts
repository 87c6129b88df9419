/**
 * The RPC transport seam: one object per engine address that sends typed RPCs (engine/wire definitions)
 * and returns validated responses. Implementations: h2-transport.ts (node:http2 session, the hot path)
 * and undici-transport.ts (undici h2c). Both map failures the same way:
 *   - an error body from the engine -> EngineError(der, …, { mapVersion, leader })
 *   - connection refused/reset, GOAWAY, session error -> EngineError(Der.UNREACH)
 *   - no answer within timeoutMs -> EngineError(Der.TIMEDOUT)
 */
import type { RpcDef } from '../wire/rpc-def.js';

export interface CallOptions {
  /** Deadline for this call; default RPC_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RpcTransport {
  readonly address: string;
  call<Req, Res>(def: RpcDef<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  close(): Promise<void>;
}

/** Hands out one long-lived transport per address (reconnecting as needed). */
export interface TransportPool {
  get(address: string): RpcTransport;
  close(): Promise<void>;
}
