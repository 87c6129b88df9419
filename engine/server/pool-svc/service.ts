/**
 * The pool service on one engine: the replicas it hosts, the hints it keeps for pools whose service runs
 * elsewhere, and the lookups every handler starts with (which replica serves a pool name here, or which
 * rank to redirect the client to). Owns the replica host callbacks (persistence, peer calls, role
 * changes) and the per-pool rebuild progress the leader reports. Does not decide policy (monitor.ts,
 * health.ts) nor serve RPCs itself (the *-handlers.ts files).
 */
import type { Logger } from '../../log.js';
import { Der, EngineError } from '../../wire/errors.js';
import { SVC_LEADER, SVC_LIST_LOCAL } from '../../wire/rpc/svc.js';
import type { EngineServices } from '../services.js';
import { FANOUT_TIMEOUT_MS, PING_TIMEOUT_MS } from './constants.js';
import { callSettled, Fanout } from './fanout.js';
import { HealthTracker } from './health.js';
import type { HintLayout } from './layout.js';
import { Replica, type ReplicaHost } from './replica.js';
import { SvcStore } from './svc-store.js';
import { namesPool } from './svc-state.js';

export interface PoolSummary {
  readonly uuid: string;
  readonly label: string;
  readonly svcRanks: number[];
}

/** Progress of the resync the leader runs (POOL_QUERY.rebuild). */
export interface RebuildStatus {
  state: 'idle' | 'busy' | 'done' | 'failed';
  objects: number;
  records: number;
}

export class PoolService implements ReplicaHost {
  readonly rank: number;
  readonly log: Logger;
  readonly caller: Fanout;
  readonly store: SvcStore;
  readonly replicas = new Map<string, Replica>();
  readonly hints = new Map<string, HintLayout>();
  readonly rebuild = new Map<string, RebuildStatus>();
  /** Leader side: failure detection state per pool, renewed with each term. */
  private readonly trackers = new Map<string, HealthTracker>();
  private readonly roleListeners: ((replica: Replica) => void)[] = [];

  constructor(readonly services: EngineServices) {
    this.rank = services.rank;
    this.log = services.log.child({ svc: 'pool' });
    this.caller = new Fanout(services);
    this.store = new SvcStore(services.dir);
    const loaded = this.store.loadAll();
    for (const layout of loaded.replicas) this.replicas.set(layout.state.uuid, new Replica(this, layout));
    for (const hint of loaded.hints) this.hints.set(hint.uuid, hint);
  }

  roleChanged(replica: Replica): void {
    for (const listener of this.roleListeners) listener(replica);
  }

  onRoleChange(listener: (replica: Replica) => void): void {
    this.roleListeners.push(listener);
  }

  findReplica(name: string): Replica | undefined {
    const byUuid = this.replicas.get(name);
    if (byUuid !== undefined) return byUuid;
    for (const replica of this.replicas.values()) if (namesPool(replica.state, name)) return replica;
    return undefined;
  }

  findHint(name: string): HintLayout | undefined {
    const byUuid = this.hints.get(name);
    if (byUuid !== undefined) return byUuid;
    for (const hint of this.hints.values()) if (namesPool(hint, name)) return hint;
    return undefined;
  }

  /** Pools this engine knows, as replica or through a hint. */
  localPools(): PoolSummary[] {
    const pools: PoolSummary[] = [];
    for (const replica of this.replicas.values()) {
      const { uuid, label, svcRanks } = replica.state;
      pools.push({ uuid, label, svcRanks: [...svcRanks] });
    }
    for (const hint of this.hints.values()) {
      if (!this.replicas.has(hint.uuid)) pools.push({ uuid: hint.uuid, label: hint.label, svcRanks: [...hint.svcRanks] });
    }
    return pools;
  }

  /** Pools known anywhere in the system: this engine's, plus every reachable engine's. */
  async listPools(): Promise<PoolSummary[]> {
    const byUuid = new Map(this.localPools().map((pool) => [pool.uuid, pool]));
    const others = this.services.system().engines.map((engine) => engine.rank).filter((rank) => rank !== this.rank);
    const answers = await callSettled(this.caller, others, SVC_LIST_LOCAL, () => ({}), FANOUT_TIMEOUT_MS);
    for (const answer of answers.ok.values()) for (const pool of answer.pools) if (!byUuid.has(pool.uuid)) byUuid.set(pool.uuid, pool);
    return [...byUuid.values()].sort((a, b) => a.label.localeCompare(b.label));
  }

  /**
   * The replica that serves `name` here, if this engine leads it. Otherwise throws: Der.NOTLEADER naming
   * the leader (asked of the service replicas when this engine is not one), or Der.NONEXIST.
   */
  async leaderReplica(name: string): Promise<Replica> {
    const replica = this.findReplica(name);
    if (replica !== undefined) {
      replica.requireLeader();
      return replica;
    }
    const pool = this.findHint(name) ?? (await this.listPools()).find((summary) => namesPool(summary, name));
    if (pool === undefined) throw new EngineError(Der.NONEXIST, `no pool ${JSON.stringify(name)}`);
    const leader = await this.askLeader(pool.uuid, pool.svcRanks);
    throw new EngineError(Der.NOTLEADER, `pool ${pool.uuid} is served by its service replicas`, { leader });
  }

  /** The leader the service replicas report (the newest term wins); the lowest replica if none answers. */
  async askLeader(pool: string, svcRanks: readonly number[]): Promise<number> {
    const answers = await callSettled(this.caller, svcRanks, SVC_LEADER, () => ({ pool }), PING_TIMEOUT_MS);
    let best: { leader: number; term: number } | undefined;
    for (const [rank, answer] of answers.ok) {
      if (answer.isLeader) return rank;
      if (answer.leader !== undefined && (best === undefined || answer.term > best.term)) best = { leader: answer.leader, term: answer.term };
    }
    return best?.leader ?? Math.min(...svcRanks);
  }

  /** The failure-detection tracker of a pool this engine leads, fresh for each term. */
  healthTracker(replica: Replica): HealthTracker {
    let tracker = this.trackers.get(replica.uuid);
    if (tracker === undefined || tracker.term !== replica.term) {
      tracker = new HealthTracker(replica.term, Date.now());
      this.trackers.set(replica.uuid, tracker);
    }
    return tracker;
  }

  rebuildStatus(pool: string): RebuildStatus {
    let status = this.rebuild.get(pool);
    if (status === undefined) {
      status = { state: 'idle', objects: 0, records: 0 };
      this.rebuild.set(pool, status);
    }
    return status;
  }

  /** Forgets every trace of the pool's service on this engine (destroy). */
  drop(pool: string): void {
    this.replicas.get(pool)?.stepDown('pool destroyed');
    this.replicas.delete(pool);
    this.hints.delete(pool);
    this.rebuild.delete(pool);
    this.trackers.delete(pool);
    this.store.drop(pool);
  }
}
