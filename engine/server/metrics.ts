/**
 * Engine telemetry in the Prometheus text exposition format (version 0.0.4), written by hand: RPC counts,
 * errors by DER code, latency and batch-size histograms with fixed buckets, bytes in/out, per-target VOS
 * usage (pulled from gauge collectors at scrape time) and process uptime.
 * Invariant: label cardinality is bounded: opcodes come from the router (anything else is counted as
 * "unknown"), DER codes from the closed Der enum, pools/targets from the engine's local pools.
 */
import { BATCH_REQUESTS_MAX } from '../constants.js';

/** Upper bounds (seconds) of the RPC latency histogram; +Inf is implicit. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

/** Upper bounds of the batch-size histogram (requests per store transaction). */
export const BATCH_SIZE_BUCKETS: readonly number[] = [
  ...[1, 2, 4, 8, 16, 32, 64, 128].filter((bound) => bound < BATCH_REQUESTS_MAX),
  BATCH_REQUESTS_MAX,
];

/** Opcode label used for requests to paths that name no registered RPC. */
export const OPCODE_UNKNOWN = 'unknown';

export interface GaugeSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface GaugeCollector {
  readonly name: string;
  readonly help: string;
  /** Exposition type; default 'gauge'. Counters are collected the same way but only ever grow. */
  readonly type?: 'gauge' | 'counter';
  collect(): readonly GaugeSample[];
}

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    // Buckets are stored non-cumulative and summed at render time, so observe stays a short scan.
    for (let index = 0; index < this.bounds.length; index++) {
      if (value <= this.bounds[index]!) {
        this.counts[index]! += 1;
        return;
      }
    }
  }
}

interface OpcodeStats {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  readonly errors: Map<number, number>;
  readonly latency: Histogram;
}

/** Escapes a label value per the exposition format (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(value) ? String(value) : value.toPrecision(9).replace(/\.?0+$/, '');
}

function renderHistogram(lines: string[], name: string, labels: Record<string, string>, histogram: Histogram): void {
  let cumulative = 0;
  histogram.bounds.forEach((bound, index) => {
    cumulative += histogram.counts[index]!;
    lines.push(`${name}_bucket${formatLabels({ ...labels, le: formatNumber(bound) })} ${cumulative}`);
  });
  lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${histogram.count}`);
  lines.push(`${name}_sum${formatLabels(labels)} ${formatNumber(histogram.sum)}`);
  lines.push(`${name}_count${formatLabels(labels)} ${histogram.count}`);
}

export class EngineMetrics {
  private readonly byOpcode = new Map<string, OpcodeStats>();
  private readonly batchSize = new Histogram(BATCH_SIZE_BUCKETS);
  private readonly collectors: GaugeCollector[] = [];
  private readonly startedAtMs = Date.now();

  /** Records one finished RPC. `der` is the error code answered, if any. */
  recordRequest(sample: { opcode: string; seconds: number; bytesIn: number; bytesOut: number; der?: number }): void {
    const stats = this.stats(sample.opcode);
    stats.requests += 1;
    stats.bytesIn += sample.bytesIn;
    stats.bytesOut += sample.bytesOut;
    stats.latency.observe(sample.seconds);
    if (sample.der !== undefined) stats.errors.set(sample.der, (stats.errors.get(sample.der) ?? 0) + 1);
  }

  /** Records one store transaction that served `size` requests. */
  recordBatch(size: number): void {
    this.batchSize.observe(size);
  }

  /** Store transactions run so far (the batch-size histogram's count). */
  batchesTotal(): number {
    return this.batchSize.count;
  }

  /** Requests answered so far for an opcode (0 if none). */
  requestsTotal(opcode: string): number {
    return this.byOpcode.get(opcode)?.requests ?? 0;
  }

  addCollector(collector: GaugeCollector): void {
    this.collectors.push(collector);
  }

  /** The whole exposition, one scrape. */
  render(): string {
    const lines: string[] = [];
    this.renderRpc(lines);
    lines.push('# HELP tsdaos_batch_size Requests merged into one store transaction.');
    lines.push('# TYPE tsdaos_batch_size histogram');
    renderHistogram(lines, 'tsdaos_batch_size', {}, this.batchSize);
    for (const collector of this.collectors) {
      lines.push(`# HELP ${collector.name} ${collector.help}`);
      lines.push(`# TYPE ${collector.name} ${collector.type ?? 'gauge'}`);
      for (const sample of collector.collect()) lines.push(`${collector.name}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`);
    }
    lines.push('# HELP tsdaos_process_uptime_seconds Seconds since the engine started.');
    lines.push('# TYPE tsdaos_process_uptime_seconds gauge');
    lines.push(`tsdaos_process_uptime_seconds ${formatNumber((Date.now() - this.startedAtMs) / 1000)}`);
    return `${lines.join('\n')}\n`;
  }

  private renderRpc(lines: string[]): void {
    const entries = [...this.byOpcode.entries()].sort(([left], [right]) => left.localeCompare(right));
    const counter = (name: string, help: string, value: (stats: OpcodeStats) => number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [opcode, stats] of entries) lines.push(`${name}${formatLabels({ opcode })} ${value(stats)}`);
    };
    counter('tsdaos_rpc_requests_total', 'RPCs answered, by opcode.', (stats) => stats.requests);
    lines.push('# HELP tsdaos_rpc_errors_total RPCs answered with an error, by opcode and DER code.');
    lines.push('# TYPE tsdaos_rpc_errors_total counter');
    for (const [opcode, stats] of entries) {
      for (const [der, count] of stats.errors) lines.push(`tsdaos_rpc_errors_total${formatLabels({ opcode, der: String(der) })} ${count}`);
    }
    lines.push('# HELP tsdaos_rpc_latency_seconds Time from request headers to response end, by opcode.');
    lines.push('# TYPE tsdaos_rpc_latency_seconds histogram');
    for (const [opcode, stats] of entries) renderHistogram(lines, 'tsdaos_rpc_latency_seconds', { opcode }, stats.latency);
    counter('tsdaos_rpc_bytes_in_total', 'Request body bytes received, by opcode.', (stats) => stats.bytesIn);
    counter('tsdaos_rpc_bytes_out_total', 'Response body bytes sent, by opcode.', (stats) => stats.bytesOut);
  }

  private stats(opcode: string): OpcodeStats {
    let stats = this.byOpcode.get(opcode);
    if (stats === undefined) {
      stats = { requests: 0, bytesIn: 0, bytesOut: 0, errors: new Map(), latency: new Histogram(LATENCY_BUCKETS_SECONDS) };
      this.byOpcode.set(opcode, stats);
    }
    return stats;
  }
}
