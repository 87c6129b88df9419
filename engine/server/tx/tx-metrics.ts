/**
 * Transaction counters of one engine, exposed on /metrics as Prometheus counters: prepares recorded,
 * transactions committed and aborted on a target (decisions applied to intents), restarts answered
 * (conflicts, from prepares and from non-transactional writes below a transactional read), and undecided
 * intents resolved by asking their coordinator (by the resolver, or by a read, write or prepare that met them).
 * Labels are fixed sets, so cardinality is bounded.
 */
import type { GaugeCollector, GaugeSample } from '../../telemetry.js';

export type TxResolutionSource = 'resolver' | 'request';

export class TxMetrics {
  prepares = 0;
  commits = 0;
  aborts = 0;
  restarts = 0;
  private readonly resolutions: Record<TxResolutionSource, number> = { resolver: 0, request: 0 };

  resolved(source: TxResolutionSource): void {
    this.resolutions[source] += 1;
  }

  resolutionsTotal(source: TxResolutionSource): number {
    return this.resolutions[source];
  }

  /** The collectors to register with EngineMetrics. */
  collectors(): GaugeCollector[] {
    const counter = (name: string, help: string, collect: () => readonly GaugeSample[]): GaugeCollector => ({ name, help, type: 'counter', collect });
    const single = (value: () => number) => (): GaugeSample[] => [{ labels: {}, value: value() }];
    return [
      counter('tsdaos_tx_prepares_total', 'Transaction prepares recorded on local targets.', single(() => this.prepares)),
      counter('tsdaos_tx_commits_total', 'Transactions whose intents were applied (committed) on a local target.', single(() => this.commits)),
      counter('tsdaos_tx_aborts_total', 'Transactions whose intents were dropped (aborted) on a local target.', single(() => this.aborts)),
      counter('tsdaos_tx_restarts_total', 'Conflicts answered with DER_TX_RESTART (prepares and writes below a read).', single(() => this.restarts)),
      counter('tsdaos_tx_resolutions_total', 'Undecided intents settled by asking their coordinator.', () => [
        { labels: { by: 'resolver' }, value: this.resolutions.resolver },
        { labels: { by: 'request' }, value: this.resolutions.request },
      ]),
    ];
  }
}
