/**
 * Group commit for object RPCs. Requests for the same lane (one pool target's VOS) that arrive in one
 * event-loop turn are queued and flushed together on setImmediate as ONE store transaction of at most
 * BATCH_REQUESTS_MAX works; each request is then settled with its own result. While a lane's batch runs,
 * new arrivals wait and form the next batch, so at most one batch per lane is in progress.
 * Invariants: works run in arrival order; a request is resolved only after the transaction holding its
 * work committed (never acknowledge what a crash could lose); one failing work rejects only its request.
 */
import assert from 'node:assert/strict';
import { BATCH_REQUESTS_MAX } from '../constants.js';
import type { BatchResult } from '../vos/operation.js';

/** One unit of store work; runs synchronously inside the lane's transaction. */
export type BatchWork<T> = () => T;

/** Where batches run: one store that can execute several works in one transaction. */
export interface BatchLane {
  /** Runs the works in order in one transaction; one result per work. Throws if the transaction fails. */
  runBatch(works: readonly BatchWork<unknown>[]): readonly BatchResult<unknown>[] | Promise<readonly BatchResult<unknown>[]>;
}

interface Pending {
  readonly work: BatchWork<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface LaneQueue {
  pending: Pending[];
  scheduled: boolean;
  running: boolean;
}

export interface BatcherOptions {
  /** Called once per transaction with its number of works (metrics). */
  readonly onBatch?: (size: number) => void;
  /** Requests per transaction; default BATCH_REQUESTS_MAX. */
  readonly batchRequestsMax?: number;
}

export class Batcher {
  private readonly queues = new Map<BatchLane, LaneQueue>();
  private readonly batchRequestsMax: number;
  private closed = false;

  constructor(private readonly options: BatcherOptions = {}) {
    this.batchRequestsMax = options.batchRequestsMax ?? BATCH_REQUESTS_MAX;
    assert.ok(this.batchRequestsMax >= 1 && this.batchRequestsMax <= BATCH_REQUESTS_MAX);
  }

  /** Queues `work` on `lane`; settles with its result once its batch committed. */
  submit<T>(lane: BatchLane, work: BatchWork<T>): Promise<T> {
    assert.ok(!this.closed, 'batcher used after close');
    let queue = this.queues.get(lane);
    if (queue === undefined) {
      queue = { pending: [], scheduled: false, running: false };
      this.queues.set(lane, queue);
    }
    const entry = queue;
    return new Promise<T>((resolve, reject) => {
      entry.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule(lane, entry);
    });
  }

  /** Forgets a lane (its store is closing); anything still queued on it is rejected with `error`. */
  dropLane(lane: BatchLane, error: unknown): void {
    const queue = this.queues.get(lane);
    if (queue === undefined) return;
    this.queues.delete(lane);
    for (const pending of queue.pending.splice(0)) pending.reject(error);
  }

  /** Resolves once no lane has queued or running work. */
  async idle(): Promise<void> {
    while ([...this.queues.values()].some((queue) => queue.pending.length > 0 || queue.running)) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  close(): void {
    this.closed = true;
  }

  private schedule(lane: BatchLane, queue: LaneQueue): void {
    if (queue.scheduled || queue.running) return;
    queue.scheduled = true;
    setImmediate(() => {
      queue.scheduled = false;
      void this.flush(lane, queue);
    });
  }

  private async flush(lane: BatchLane, queue: LaneQueue): Promise<void> {
    if (queue.pending.length === 0) return;
    queue.running = true;
    const batch = queue.pending.splice(0, this.batchRequestsMax);
    let results: readonly BatchResult<unknown>[] | undefined;
    try {
      results = await lane.runBatch(batch.map((pending) => pending.work));
    } catch (error) {
      // The whole transaction failed (nothing committed): every request of the batch fails with it.
      for (const pending of batch) pending.reject(error);
    }
    queue.running = false;
    if (results !== undefined) {
      const committed = results;
      assert.equal(committed.length, batch.length, 'runBatch must return one result per work');
      this.options.onBatch?.(batch.length);
      batch.forEach((pending, index) => settle(pending, committed[index]!));
    }
    // Requests that arrived while the batch ran (or beyond the per-batch cap) form the next batch. An idle
    // lane is forgotten, so the map only holds lanes with work (destroyed pools leave nothing behind).
    if (queue.pending.length > 0) this.schedule(lane, queue);
    else if (this.queues.get(lane) === queue) this.queues.delete(lane);
  }
}

function settle(pending: Pending, result: BatchResult<unknown>): void {
  if (result.ok) pending.resolve(result.value);
  else pending.reject(result.error);
}
