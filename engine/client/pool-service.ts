/**
 * Leader discovery for the pool service: every pool and container RPC goes to the service leader, which
 * the client finds by asking engines in order — the leader it last used, then the service replicas, then
 * every engine of the system — following a Der.NOTLEADER answer's `leader` hint, skipping engines that are
 * unreachable or time out. Any other answer (success or error) is final. A round tries each engine at most
 * once and at most LEADER_PROBES_MAX of them; rounds repeat with backoff (a leader takeover or election
 * takes a moment) for at most SVC_ROUNDS_MAX rounds and SVC_DISCOVERY_MS_MAX, then the last error is thrown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { PoolMap } from '../pool-map/pool-map.js';
import type { SystemFile } from '../system/system-file.js';
import { Der, EngineError, isEngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import { LEADER_PROBES_MAX, SVC_DISCOVERY_MS_MAX, SVC_ROUNDS_MAX } from './constants.js';
import { backoffMs } from './retry.js';
import { isUnreachable } from './shard-error.js';
import type { TransportPool } from './transport.js';

export interface PoolServiceOptions {
  readonly system: SystemFile;
  readonly transports: TransportPool;
  readonly log: Logger;
}

type RoundResult<Res> = { readonly ok: true; readonly value: Res } | { readonly ok: false; readonly error: EngineError | undefined };

export class PoolServiceClient {
  private readonly system: SystemFile;
  private readonly transports: TransportPool;
  private readonly log: Logger;
  /** The rank that last answered a service RPC. */
  private leader: number | undefined = undefined;
  /** Service replica ranks, learnt from POOL_CONNECT. */
  private replicas: readonly number[] = [];
  /** The newest pool map known, for rank addresses (engines may have moved since the system file). */
  private map: PoolMap | undefined = undefined;

  constructor(options: PoolServiceOptions) {
    this.system = options.system;
    this.transports = options.transports;
    this.log = options.log;
  }

  get leaderRank(): number | undefined {
    return this.leader;
  }

  /** Records what the service told us: its replicas and the current map. */
  learn(update: { svcRanks?: readonly number[]; map?: PoolMap }): void {
    if (update.svcRanks !== undefined) this.replicas = update.svcRanks;
    if (update.map !== undefined && (this.map === undefined || update.map.version >= this.map.version)) this.map = update.map;
  }

  /** Marks the remembered leader as suspect (after it answered NOTLEADER elsewhere or vanished). */
  forgetLeader(): void {
    this.leader = undefined;
  }

  /** Sends `request` to the pool service leader. Errors: the service's EngineError, or UNREACH when none answers. */
  async call<Req, Res>(def: RpcDef<Req, Res>, request: Req): Promise<Res> {
    let lastError: EngineError | undefined;
    const deadline = Date.now() + SVC_DISCOVERY_MS_MAX;
    for (let round = 0; round < SVC_ROUNDS_MAX && (round === 0 || Date.now() < deadline); round++) {
      if (round > 0) await sleep(backoffMs(round));
      const result = await this.callRound(def, request);
      if (result.ok) return result.value;
      lastError = result.error ?? lastError;
    }
    throw lastError ?? new EngineError(Der.UNREACH, `${def.opcode}: no engine of system ${this.system.name} answered`);
  }

  /** One pass over the candidates; ok, or the last retryable error of the round. Final errors throw. */
  private async callRound<Req, Res>(def: RpcDef<Req, Res>, request: Req): Promise<RoundResult<Res>> {
    const queue = this.candidates();
    const tried = new Set<number>();
    let lastError: EngineError | undefined;
    while (queue.length > 0 && tried.size < LEADER_PROBES_MAX) {
      const rank = queue.shift()!;
      const address = this.addressOf(rank);
      if (tried.has(rank) || address === undefined) continue;
      tried.add(rank);
      try {
        const value = await this.transports.get(address).call(def, request);
        this.leader = rank;
        return { ok: true, value };
      } catch (error) {
        if (!isEngineError(error)) throw error;
        if (error.der !== Der.NOTLEADER && !isUnreachable(error)) throw error;
        lastError = error;
        if (this.leader === rank) this.leader = undefined;
        const hint = error.info.leader;
        if (hint !== undefined && !tried.has(hint)) queue.unshift(hint);
        this.log.debug({ rank, opcode: def.opcode, der: error.der, hint }, 'pool service probe failed');
      }
    }
    return { ok: false, error: lastError };
  }

  /** Ranks to try, best first, without duplicates. */
  private candidates(): number[] {
    const ordered: number[] = [];
    if (this.leader !== undefined) ordered.push(this.leader);
    ordered.push(...this.replicas);
    for (const engine of this.system.engines) ordered.push(engine.rank);
    return [...new Set(ordered)];
  }

  private addressOf(rank: number): string | undefined {
    const fromMap = this.map?.ranks.find((entry) => entry.rank === rank);
    if (fromMap !== undefined) return fromMap.address;
    return this.system.engines.find((engine) => engine.rank === rank)?.address;
  }
}
