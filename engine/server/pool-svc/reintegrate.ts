/**
 * Reintegration, driven by the pool service leader: a DOWN rank goes UP (clients write to it but read
 * from the others), every other in-service engine pushes it the records it missed (RESYNC_PUSH, resync.ts),
 * then it goes UPIN. The epoch a resync starts from is kept in the replicated state from the exclusion
 * until UPIN, so a new leader resumes an interrupted resync (any UP rank without a running resync is
 * resumed by the health check) from the same point. Progress is logged and shown by POOL_QUERY.rebuild.
 */
import { isTargetInService } from '../../pool-map/pool-map.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import { RESYNC_PUSH } from '../../wire/rpc/resync.js';
import { RESYNC_PUSH_TIMEOUT_MS, RESYNC_RETRY_MS } from './constants.js';
import { changeRankState } from './map-change.js';
import { pushSnapshotLists } from './snapshots.js';
import type { Replica } from './replica.js';
import type { PoolService } from './service.js';
import { pendingResyncOf, rankState } from './svc-state.js';

export class Reintegrator {
  private readonly running = new Map<string, Promise<void>>();
  private readonly failedAtMs = new Map<string, number>();
  private closed = false;

  constructor(private readonly svc: PoolService) {}

  /**
   * Starts reintegrating `rank`: DOWN/DOWNOUT -> UP (replicated and published), then the resync runs in
   * the background. Resolves with the map after the UP change. A rank already UP gets its resync
   * (re)started; an in-service rank is left alone. Errors: Der.NONEXIST (rank not in the pool), commit errors.
   */
  async reintegrate(replica: Replica, rank: number): Promise<PoolMapBody> {
    const current = rankState(replica.state.map, rank);
    if (current === undefined) throw new EngineError(Der.NONEXIST, `rank ${rank} is not in pool ${replica.uuid}`);
    if (current === 'DOWN' || current === 'DOWNOUT') {
      await changeRankState(this.svc, replica, {
        rank,
        state: 'UP',
        from: ['DOWN', 'DOWNOUT'],
        also: (draft) => {
          draft.autoExcluded = draft.autoExcluded.filter((entry) => entry !== rank);
          // A rank excluded before resync points were recorded gets everything.
          if (pendingResyncOf(draft, rank) === undefined) draft.resyncs.push({ rank, sinceEpoch: 0 });
        },
      });
      // Aggregation on the returning rank must keep every snapshot taken while it was away readable.
      await pushSnapshotLists(this.svc, replica.state, rank);
    }
    this.ensureResync(replica, rank);
    return replica.state.map;
  }

  /** Starts the resync of an UP rank unless one is running or the last one failed moments ago. */
  ensureResync(replica: Replica, rank: number): void {
    if (this.closed || rankState(replica.state.map, rank) !== 'UP') return;
    const key = `${replica.uuid}/${rank}`;
    if (this.running.has(key)) return;
    const failedAtMs = this.failedAtMs.get(key);
    if (failedAtMs !== undefined && Date.now() - failedAtMs < RESYNC_RETRY_MS) return;
    const run = this.runResync(replica, rank).finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  /** Whether another resync of the pool than `key` is running (they share the pool's progress figures). */
  private othersRunning(pool: string, key: string): boolean {
    for (const other of this.running.keys()) if (other !== key && other.startsWith(`${pool}/`)) return true;
    return false;
  }

  /** Stops starting resyncs; running pushes end with the engine's transports. */
  close(): void {
    this.closed = true;
  }

  private async runResync(replica: Replica, rank: number): Promise<void> {
    const pool = replica.uuid;
    const key = `${pool}/${rank}`;
    const status = this.svc.rebuildStatus(pool);
    Object.assign(status, { state: 'busy', objects: 0, records: 0 });
    const { map } = replica.state;
    const sinceEpoch = pendingResyncOf(replica.state, rank) ?? 0;
    const pushers = map.ranks.filter((entry) => entry.rank !== rank && entry.targets.every((target) => isTargetInService(target.state)));
    const log = this.svc.log.child({ pool, rejoining: rank });
    log.info({ sinceEpoch, mapVersion: map.version, pushers: pushers.map((entry) => entry.rank) }, 'resync started');
    try {
      await Promise.all(pushers.map(async ({ rank: pusher }) => {
        const pushed = await this.svc.caller.call(pusher, RESYNC_PUSH, { pool, rank, sinceEpoch, map }, RESYNC_PUSH_TIMEOUT_MS);
        status.objects += pushed.objects;
        status.records += pushed.records;
        log.info({ pusher, objects: pushed.objects, records: pushed.records }, 'resync pusher finished');
      }));
      if (this.closed) throw new EngineError(Der.SHUTDOWN, 'engine closing');
      await changeRankState(this.svc, replica, {
        rank,
        state: 'UPIN',
        from: ['UP'],
        also: (draft) => {
          draft.resyncs = draft.resyncs.filter((entry) => entry.rank !== rank);
        },
      });
      if (rankState(replica.state.map, rank) !== 'UPIN') throw new EngineError(Der.CANCELED, 'the rank left UP during its resync');
      this.failedAtMs.delete(key);
      status.state = this.othersRunning(pool, key) ? 'busy' : 'idle';
      log.info({ objects: status.objects, records: status.records }, 'resync done');
    } catch (error) {
      this.failedAtMs.set(key, Date.now());
      status.state = 'failed';
      log.warn({ err: error, objects: status.objects, records: status.records }, 'resync failed; retried later');
    }
  }
}
