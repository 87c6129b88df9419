/**
 * Restarts engines that die, as systemd would: every engine process of a TestCluster is watched, and an
 * exit that the test did not ask for (a crash point's SIGKILL) starts a restart from the same directory
 * and address at once. `settle()` waits until every restart begun so far is serving. Stop supervising
 * before stopping the cluster, or the teardown's kills would be restarted.
 */
import type { TestCluster } from './local-cluster.js';

export class EngineSupervisor {
  /** Restarts per rank since the supervisor started. */
  readonly restarts = new Map<number, number>();
  readonly #cluster: TestCluster;
  readonly #pending = new Set<Promise<void>>();
  #stopped = false;
  #failure: unknown = undefined;

  constructor(cluster: TestCluster) {
    this.#cluster = cluster;
    for (const rank of cluster.engines.keys()) this.watch(rank);
  }

  /** Resolves once no restart is in progress; rejects if one failed. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Total restarts so far. */
  get restartCount(): number {
    let total = 0;
    for (const count of this.restarts.values()) total += count;
    return total;
  }

  stop(): void {
    this.#stopped = true;
  }

  private watch(rank: number): void {
    const child = this.#cluster.engines.get(rank)!.child;
    child.once('exit', () => {
      if (this.#stopped) return;
      this.restarts.set(rank, (this.restarts.get(rank) ?? 0) + 1);
      const restart = this.#cluster.restart(rank).then(
        () => this.watch(rank),
        (error: unknown) => {
          this.#failure ??= error;
        },
      );
      this.#pending.add(restart);
      void restart.finally(() => this.#pending.delete(restart));
    });
  }
}
