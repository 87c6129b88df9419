/**
 * One pool service replica on this engine: the replicated state, the highest promised term, and whether
 * this replica leads. The Raft-lite of README.md lives here:
 *   - the leader applies a change to a copy of the state, persists it, pushes it to the other replicas
 *     and acknowledges only once a majority (itself included) holds it;
 *   - a replica refuses pushes of a term older than one it promised, and keeps the newest (term, seq);
 *   - a candidate promises a new term, collects states from a majority, adopts the newest and pushes it
 *     under its term before serving anything.
 * Changes and elections run one at a time (a promise queue); pushes and collects from peers are applied
 * synchronously, so no await ever sees a half-updated replica. Never does I/O other than its own file
 * and the replication RPCs.
 */
import type { Logger } from '../../log.js';
import { Der, EngineError } from '../../wire/errors.js';
import { SVC_COLLECT, SVC_PUSH, type SvcStateBody } from '../../wire/rpc/svc.js';
import { SVC_RPC_TIMEOUT_MS } from './constants.js';
import { callSettled, type RankCaller } from './fanout.js';
import type { ReplicaLayout } from './layout.js';
import type { SvcStore } from './svc-store.js';
import { compareStates, majorityOf } from './svc-state.js';

export interface ReplicaHost {
  readonly rank: number;
  readonly log: Logger;
  readonly caller: RankCaller;
  readonly store: SvcStore;
  /** Told after this replica became leader (its first push reached a majority) or stepped down. */
  roleChanged(replica: Replica): void;
}

export interface PushRequest {
  readonly term: number;
  readonly leader: number;
  readonly state: SvcStateBody;
}

export interface CollectAnswer {
  granted: boolean;
  promisedTerm: number;
  state?: SvcStateBody;
}

/** Elections tried back to back when a peer answers with a newer promised term. */
const ELECTION_ATTEMPTS_MAX = 2;

export class Replica {
  #state: SvcStateBody;
  #promisedTerm: number;
  #leaderHint: number | undefined;
  #leader = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: ReplicaHost, layout: Pick<ReplicaLayout, 'promisedTerm' | 'leaderHint' | 'state'>) {
    this.#state = layout.state;
    this.#promisedTerm = layout.promisedTerm;
    this.#leaderHint = layout.leaderHint;
  }

  get uuid(): string {
    return this.#state.uuid;
  }

  /** The newest state this replica holds. Callers never mutate it: commit() is the only way to change it. */
  get state(): SvcStateBody {
    return this.#state;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** The highest term promised; while leading, the leader's term. */
  get term(): number {
    return this.#promisedTerm;
  }

  /** The leader this replica last heard of (itself when leading). */
  get leaderHint(): number | undefined {
    return this.#leader ? this.host.rank : this.#leaderHint;
  }

  /** Throws Der.NOTLEADER naming the leader this replica knows, unless it leads. */
  requireLeader(): void {
    if (this.#leader) return;
    const leader = this.#leaderHint;
    throw new EngineError(Der.NOTLEADER, `rank ${this.host.rank} does not lead pool ${this.uuid}`, leader === undefined ? {} : { leader });
  }

  /**
   * Applies `mutate` to a copy of the state and replicates it; resolves with mutate's result once a
   * majority holds the new state. Errors thrown by `mutate` leave the state untouched. Rejects with
   * Der.NOTLEADER when not leading, Der.TIMEDOUT when no majority answered (the change may still take
   * effect later: the replica steps down and the next election adopts the newest state it finds).
   */
  commit<T>(mutate: (draft: SvcStateBody) => T): Promise<T> {
    return this.serialize(async () => {
      this.requireLeader();
      const draft = structuredClone(this.#state);
      const result = mutate(draft);
      draft.term = this.#promisedTerm;
      draft.seq = this.#state.seq + 1;
      await this.replicate(draft);
      return result;
    });
  }

  /** Runs an election unless leading already; resolves with whether this replica leads afterwards. */
  campaign(): Promise<boolean> {
    return this.serialize(async () => {
      for (let attempt = 0; attempt < ELECTION_ATTEMPTS_MAX && !this.#leader; attempt++) {
        const outcome = await this.runElection();
        if (outcome !== 'newer-term') break;
      }
      return this.#leader;
    });
  }

  /** Makes this replica leader of the first term when the pool creator designated it (no election). */
  assumeInitialLeadership(): void {
    if (this.#leader) return;
    this.#leader = true;
    this.host.log.info({ pool: this.uuid, term: this.#promisedTerm }, 'pool service leader (designated at create)');
    this.host.roleChanged(this);
  }

  /** A push from a leader: refused if its term is older than promised; the newest (term, seq) is kept. */
  acceptPush(push: PushRequest): void {
    if (push.term < this.#promisedTerm) {
      const leader = this.leaderHint;
      throw new EngineError(Der.NOTLEADER, `push of term ${push.term} after promising ${this.#promisedTerm}`, leader === undefined ? {} : { leader });
    }
    if (push.term > this.#promisedTerm) {
      this.#promisedTerm = push.term;
      if (push.leader !== this.host.rank) this.stepDown(`pushed by rank ${push.leader} in term ${push.term}`);
    }
    if (push.leader !== this.host.rank) this.#leaderHint = push.leader;
    if (compareStates(push.state, this.#state) > 0) this.#state = push.state;
    this.persist();
  }

  /** A candidate's collect: promise its term (stepping down if leading) and hand over the state. */
  collect(term: number, candidate: number): CollectAnswer {
    if (term <= this.#promisedTerm) return { granted: false, promisedTerm: this.#promisedTerm };
    this.#promisedTerm = term;
    this.#leaderHint = candidate;
    this.stepDown(`rank ${candidate} campaigns in term ${term}`);
    this.persist();
    return { granted: true, promisedTerm: term, state: this.#state };
  }

  /** Stops leading (a newer term exists, or a change found no majority). */
  stepDown(reason: string): void {
    if (!this.#leader) return;
    this.#leader = false;
    this.host.log.warn({ pool: this.uuid, term: this.#promisedTerm, reason }, 'pool service leader stepped down');
    this.host.roleChanged(this);
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  private persist(): void {
    const leaderHint = this.#leaderHint;
    this.host.store.saveReplica(this.uuid, { promisedTerm: this.#promisedTerm, ...(leaderHint === undefined ? {} : { leaderHint }), state: this.#state });
  }

  /** One election round: 'won', 'lost' (no majority), or 'newer-term' (a peer promised a newer term). */
  private async runElection(): Promise<'won' | 'lost' | 'newer-term'> {
    const term = this.#promisedTerm + 1;
    this.#promisedTerm = term;
    this.#leaderHint = undefined;
    this.persist();
    const others = this.#state.svcRanks.filter((rank) => rank !== this.host.rank);
    const answers = await callSettled(this.host.caller, others, SVC_COLLECT, () => ({ pool: this.uuid, term, candidate: this.host.rank }), SVC_RPC_TIMEOUT_MS);
    let granted = 1;
    let best = this.#state;
    let newestPromise = term;
    for (const answer of answers.ok.values()) {
      if (!answer.granted) newestPromise = Math.max(newestPromise, answer.promisedTerm);
      else {
        granted += 1;
        if (answer.state !== undefined && compareStates(answer.state, best) > 0) best = answer.state;
      }
    }
    if (newestPromise > term || this.#promisedTerm !== term) {
      this.#promisedTerm = Math.max(this.#promisedTerm, newestPromise);
      this.persist();
      return 'newer-term';
    }
    if (granted < majorityOf(this.#state.svcRanks.length)) return 'lost';
    // The adopted state is relabelled with the new term before anything else is served: a majority
    // promised not to accept older terms, so nothing committed can be missing from it.
    await this.replicate({ ...structuredClone(best), term });
    if (this.#promisedTerm !== term) return 'lost';
    this.#leader = true;
    this.host.log.info({ pool: this.uuid, term, seq: best.seq, votes: granted }, 'pool service leader elected');
    this.host.roleChanged(this);
    return 'won';
  }

  /** Persists `next` locally, pushes it to the other replicas, resolves once a majority holds it. */
  private async replicate(next: SvcStateBody): Promise<void> {
    const term = this.#promisedTerm;
    this.#state = next;
    this.persist();
    const others = next.svcRanks.filter((rank) => rank !== this.host.rank);
    const needed = majorityOf(next.svcRanks.length) - 1;
    const push = { pool: next.uuid, term, leader: this.host.rank, state: next };
    await new Promise<void>((resolve, reject) => {
      let acks = 0;
      let failures = 0;
      if (needed <= 0) resolve();
      for (const rank of others) {
        this.host.caller.call(rank, SVC_PUSH, push, SVC_RPC_TIMEOUT_MS).then(
          () => {
            acks += 1;
            if (acks === needed) resolve();
          },
          (error: unknown) => {
            failures += 1;
            if (error instanceof EngineError && error.der === Der.NOTLEADER) this.stepDown(`rank ${rank} promised a newer term`);
            if (others.length - failures < needed) reject(new EngineError(Der.TIMEDOUT, `pool ${next.uuid}: no majority of service replicas holds seq ${next.seq}`));
          },
        );
      }
    }).catch((error: unknown) => {
      this.stepDown('no majority');
      throw error;
    });
  }
}
