/**
 * How the pool service talks to other engines: by rank, through the engine's peer transports, at the
 * address the system file gives (engines listening on port 0 rewrite it at start, so it is the newest).
 * Fan-out helpers send one RPC to many ranks in parallel, either strictly (the first failure fails the
 * whole call) or best-effort (failures are returned, for the caller to log or count).
 */
import type { RpcDef } from '../../wire/rpc-def.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { EngineServices } from '../services.js';

export interface RankCaller {
  /** Sends one RPC to `rank`; rejects with EngineError (UNREACH when the rank has no known address). */
  call<Req, Res>(rank: number, def: RpcDef<Req, Res>, request: Req, timeoutMs: number): Promise<Res>;
}

export interface Settled<Res> {
  readonly ok: Map<number, Res>;
  readonly failed: Map<number, EngineError>;
}

function asEngineError(error: unknown): EngineError {
  return error instanceof EngineError ? error : new EngineError(Der.MISC, String(error));
}

export class Fanout implements RankCaller {
  constructor(private readonly services: EngineServices) {}

  /** `host:port` of a rank, from the system file. */
  addressOf(rank: number): string {
    const engine = this.services.system().engines.find((entry) => entry.rank === rank);
    if (engine === undefined) throw new EngineError(Der.UNREACH, `rank ${rank} is not in the system file`);
    return engine.address;
  }

  async call<Req, Res>(rank: number, def: RpcDef<Req, Res>, request: Req, timeoutMs: number): Promise<Res> {
    const address = this.addressOf(rank);
    return this.services.peers.get(address).call(def, request, { timeoutMs });
  }
}

/** Sends to every rank; resolves with every answer, or rejects with the first failure. */
export async function callAll<Req, Res>(
  caller: RankCaller, ranks: readonly number[], def: RpcDef<Req, Res>, request: (rank: number) => Req, timeoutMs: number,
): Promise<Map<number, Res>> {
  const answers = await Promise.all(ranks.map(async (rank) => [rank, await caller.call(rank, def, request(rank), timeoutMs)] as const));
  return new Map(answers);
}

/** Sends to every rank; never rejects: answers and failures are returned by rank. */
export async function callSettled<Req, Res>(
  caller: RankCaller, ranks: readonly number[], def: RpcDef<Req, Res>, request: (rank: number) => Req, timeoutMs: number,
): Promise<Settled<Res>> {
  const settled: Settled<Res> = { ok: new Map(), failed: new Map() };
  await Promise.all(
    ranks.map(async (rank) => {
      try {
        settled.ok.set(rank, await caller.call(rank, def, request(rank), timeoutMs));
      } catch (error) {
        settled.failed.set(rank, asEngineError(error));
      }
    }),
  );
  return settled;
}
