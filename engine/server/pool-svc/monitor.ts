/**
 * The pool service's clock: every SVC_TICK_MS, for each pool this engine holds a replica of, the leader
 * checks the pool's health (health.ts) and a follower checks whether it must take over: when no
 * lower-ranked service replica answered for SVC_TAKEOVER_MS (or there is none), it campaigns, so
 * the lowest-ranked live replica leads. Ticks never overlap; close() waits for the one in progress.
 * On becoming leader the map is published again, in case the old leader died between commit and push.
 */
import { SVC_LEADER } from '../../wire/rpc/svc.js';
import { PING_TIMEOUT_MS, SVC_TAKEOVER_MS, SVC_TICK_MS } from './constants.js';
import { callSettled } from './fanout.js';
import { checkPoolHealth } from './health.js';
import { publishMap } from './map-change.js';
import type { Reintegrator } from './reintegrate.js';
import type { Replica } from './replica.js';
import type { PoolService } from './service.js';

export class Monitor {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private readonly startedMs = Date.now();
  /** Follower side: pool -> lower-ranked replica -> last time it answered a ping. */
  private readonly lowerSeenMs = new Map<string, Map<number, number>>();

  constructor(private readonly svc: PoolService, private readonly reintegrator: Reintegrator) {
    svc.onRoleChange((replica) => this.roleChanged(replica));
  }

  start(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.ticking;
  }

  /** One pass over every local replica (exported for tests that do not want to wait for the timer). */
  async tick(): Promise<void> {
    await Promise.all([...this.svc.replicas.values()].map(async (replica) => {
      try {
        if (replica.isLeader) await checkPoolHealth({ svc: this.svc, replica, tracker: this.svc.healthTracker(replica), reintegrator: this.reintegrator });
        else await this.checkTakeover(replica);
      } catch (error) {
        this.svc.log.warn({ pool: replica.uuid, err: error }, 'pool service tick failed');
      }
    }));
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, SVC_TICK_MS);
    this.timer.unref();
  }

  private async checkTakeover(replica: Replica): Promise<void> {
    const lower = replica.state.svcRanks.filter((rank) => rank < this.svc.rank);
    if (lower.length > 0) {
      let seen = this.lowerSeenMs.get(replica.uuid);
      if (seen === undefined) {
        seen = new Map();
        this.lowerSeenMs.set(replica.uuid, seen);
      }
      // Asking for the leader (not just pinging the engine) also treats an engine that lost its replica as gone.
      const pings = await callSettled(this.svc.caller, lower, SVC_LEADER, () => ({ pool: replica.uuid }), PING_TIMEOUT_MS);
      const nowMs = Date.now();
      for (const rank of pings.ok.keys()) seen.set(rank, nowMs);
      const allSilent = lower.every((rank) => nowMs - (seen.get(rank) ?? this.startedMs) >= SVC_TAKEOVER_MS);
      if (!allSilent || this.closed) return;
      this.svc.log.info({ pool: replica.uuid, lower }, 'lower-ranked service replicas silent; campaigning');
    }
    if (await replica.campaign()) this.lowerSeenMs.delete(replica.uuid);
  }

  private roleChanged(replica: Replica): void {
    if (!replica.isLeader || this.closed) return;
    publishMap(this.svc, replica.state).catch((error: unknown) => {
      this.svc.log.warn({ pool: replica.uuid, err: error }, 'publishing the map after election failed');
    });
  }
}
