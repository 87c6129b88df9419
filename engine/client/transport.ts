/**
 * The RPC transport seam: one object per engine address that sends typed RPCs (engine/wire definitions)
 * and returns validated responses. Implementations: h2-transport.ts (node:http2 session, the hot path)
 * and undici-transport.ts (undici h2c). Both map failures the same way:
 *   - an error body from the engine -> EngineError(der, …, { mapVersion, leader })
 *   - connection refused/reset, GOAWAY, session error -> EngineError(Der.UNREACH)
 *   - no answer within timeoutMs -> EngineError(Der.TIMEDOUT)
 */
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import { TRANSPORTS_PER_POOL_MAX } from './constants.js';

export interface CallOptions {
  /** Deadline for this call; default RPC_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RpcTransport {
  readonly address: string;
  /**
   * The engine's directory on this host, when calls reach it by its UNIX socket there (local reads,
   * local-blobs.ts: its blob files lie under it); undefined otherwise.
   */
  readonly localDir?: string | undefined;
  /** Calls sent and not yet settled. */
  readonly callsInFlight: number;
  call<Req, Res>(def: RpcDef<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  close(): Promise<void>;
}

/** Hands out one long-lived transport per address (reconnecting as needed). */
export interface TransportPool {
  get(address: string): RpcTransport;
  close(): Promise<void>;
}

/** One transport per address, made by `create` on first use and kept until close(). */
export class AddressTransportPool<T extends RpcTransport> implements TransportPool {
  private readonly transports = new Map<string, T>();
  private readonly create: (address: string) => T;

  constructor(create: (address: string) => T) {
    this.create = create;
  }

  get(address: string): T {
    let transport = this.transports.get(address);
    if (transport === undefined) {
      if (this.transports.size >= TRANSPORTS_PER_POOL_MAX) throw new EngineError(Der.NOSPACE, `more than ${TRANSPORTS_PER_POOL_MAX} engine addresses`);
      transport = this.create(address);
      this.transports.set(address, transport);
    }
    return transport;
  }

  async close(): Promise<void> {
    const transports = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(transports.map((transport) => transport.close()));
  }
}
