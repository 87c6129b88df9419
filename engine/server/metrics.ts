/**
 * Engine telemetry in the Prometheus text exposition format (version 0.0.4), written by hand: RPC counts,
 * errors by DER code, latency and batch-size histograms with fixed buckets, bytes in/out, per-target VOS
 * usage (pulled from gauge collectors at scrape time), connections accepted by protocol, bytes answered by
 * place (local reads) and process uptime.
 * Invariant: label cardinality is bounded: opcodes come from the router (anything else is counted as
 * "unknown"), DER codes from the closed Der enum, pools/targets from the engine's local pools.
 */
import { BATCH_REQUESTS_MAX } from '../constants.js';
import {
  type GaugeCollector, Histogram, LATENCY_BUCKETS_SECONDS, formatLabels, pushFamily, renderCollectors, renderHistogram, renderUptime,
} from '../telemetry.js';

/** Upper bounds of the batch-size histogram (requests per store transaction). */
export const BATCH_SIZE_BUCKETS: readonly number[] = [
  ...[1, 2, 4, 8, 16, 32, 64, 128].filter((bound) => bound < BATCH_REQUESTS_MAX),
  BATCH_REQUESTS_MAX,
];

/** What a connection to the engine's port turned out to speak (by its first bytes). */
export type ConnectionProtocol = 'h2' | 'socket' | 'local' | 'http1';

/** Opcode label used for requests to paths that name no registered RPC. */
export const OPCODE_UNKNOWN = 'unknown';

interface OpcodeStats {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  readonly errors: Map<number, number>;
  readonly latency: Histogram;
}

export class EngineMetrics {
  private readonly byOpcode = new Map<string, OpcodeStats>();
  private readonly batchSize = new Histogram(BATCH_SIZE_BUCKETS);
  private readonly connections = new Map<ConnectionProtocol, number>();
  private readonly collectors: GaugeCollector[] = [];
  private readonly startedAtMs = Date.now();
  private readonly placed = { answers: 0, bytes: 0 };

  /** Records one finished RPC. `der` is the error code answered, if any. */
  recordRequest(sample: { opcode: string; seconds: number; bytesIn: number; bytesOut: number; der?: number }): void {
    const stats = this.stats(sample.opcode);
    stats.requests += 1;
    stats.bytesIn += sample.bytesIn;
    stats.bytesOut += sample.bytesOut;
    stats.latency.observe(sample.seconds);
    if (sample.der !== undefined) stats.errors.set(sample.der, (stats.errors.get(sample.der) ?? 0) + 1);
  }

  /** Records one accepted connection, once its protocol is known. */
  recordConnection(protocol: ConnectionProtocol): void {
    this.connections.set(protocol, (this.connections.get(protocol) ?? 0) + 1);
  }

  /** Records one fetch answer that named `bytes` by their place in a blob file (a local read). */
  recordPlaced(bytes: number): void {
    this.placed.answers += 1;
    this.placed.bytes += bytes;
  }

  /** Bytes answered by place so far. */
  placedBytes(): number {
    return this.placed.bytes;
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
    pushFamily(lines, 'tsdaos_batch_size', 'histogram', 'Requests merged into one store transaction.');
    renderHistogram(lines, 'tsdaos_batch_size', {}, this.batchSize);
    pushFamily(lines, 'tsdaos_connections_total', 'counter', 'Connections accepted, by protocol (h2: RPC sessions, socket: call sockets on the port, local: call sockets on the UNIX socket, http1: scrapes).');
    for (const [protocol, count] of [...this.connections].sort(([left], [right]) => left.localeCompare(right))) {
      lines.push(`tsdaos_connections_total${formatLabels({ protocol })} ${count}`);
    }
    pushFamily(lines, 'tsdaos_placed_answers_total', 'counter', 'Fetch answers that named blob bytes by place, for a client on this host to read (local reads).');
    lines.push(`tsdaos_placed_answers_total ${this.placed.answers}`);
    pushFamily(lines, 'tsdaos_placed_bytes_total', 'counter', 'Bytes answered by place (local reads).');
    lines.push(`tsdaos_placed_bytes_total ${this.placed.bytes}`);
    renderCollectors(lines, this.collectors);
    renderUptime(lines, this.startedAtMs);
    return `${lines.join('\n')}\n`;
  }

  private renderRpc(lines: string[]): void {
    const entries = [...this.byOpcode.entries()].sort(([left], [right]) => left.localeCompare(right));
    const counter = (name: string, help: string, value: (stats: OpcodeStats) => number): void => {
      pushFamily(lines, name, 'counter', help);
      for (const [opcode, stats] of entries) lines.push(`${name}${formatLabels({ opcode })} ${value(stats)}`);
    };
    counter('tsdaos_rpc_requests_total', 'RPCs answered, by opcode.', (stats) => stats.requests);
    pushFamily(lines, 'tsdaos_rpc_errors_total', 'counter', 'RPCs answered with an error, by opcode and DER code.');
    for (const [opcode, stats] of entries) {
      for (const [der, count] of stats.errors) lines.push(`tsdaos_rpc_errors_total${formatLabels({ opcode, der: String(der) })} ${count}`);
    }
    pushFamily(lines, 'tsdaos_rpc_latency_seconds', 'histogram', 'Time from request headers to response end, by opcode.');
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
