/**
 * The daemon's telemetry (DESIGN §7; DAOS counts each DFS op, bytes read and written and their size
 * histograms): FUSE requests answered by op, failures by op and errno, time from request to answer,
 * read and write bytes with DAOS's 16 I/O size buckets ([0, 256 B) doubling to [4 MiB, ∞)), and gauges
 * sampled at scrape time (nodes the kernel holds, open files and directories, requests in flight).
 * Served as Prometheus text by metrics-server.ts.
 * Invariant: label cardinality is bounded: ops come from the low-level op table, errnos from the OS's.
 */
import { constants } from 'node:os';
import {
  type GaugeCollector, Histogram, LATENCY_BUCKETS_SECONDS, formatLabels, pushFamily, renderCollectors, renderHistogram, renderUptime,
} from '../engine/telemetry.js';

/** Upper bounds of the read/write size histograms: 256 B doubling to 4 MiB (+Inf is the 16th bucket). */
export const IO_SIZE_BUCKETS_BYTES: readonly number[] = Array.from({ length: 15 }, (_, index) => 256 * 2 ** index);

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, errno]) => [errno, name]));

interface OpStats {
  requests: number;
  readonly errors: Map<number, number>;
  readonly latency: Histogram;
}

export class DfuseMetrics {
  readonly #byOp = new Map<string, OpStats>();
  readonly #readSizes = new Histogram(IO_SIZE_BUCKETS_BYTES);
  readonly #writeSizes = new Histogram(IO_SIZE_BUCKETS_BYTES);
  readonly #collectors: GaugeCollector[] = [];
  readonly #startedAtMs = Date.now();

  /** One request answered after `seconds`; `errno` 0 for success (a negative entry is ENOENT). */
  answered(op: string, seconds: number, errno: number): void {
    let stats = this.#byOp.get(op);
    if (stats === undefined) {
      stats = { requests: 0, errors: new Map(), latency: new Histogram(LATENCY_BUCKETS_SECONDS) };
      this.#byOp.set(op, stats);
    }
    stats.requests += 1;
    stats.latency.observe(seconds);
    if (errno !== 0) stats.errors.set(errno, (stats.errors.get(errno) ?? 0) + 1);
  }

  /** Bytes one READ answered with. */
  read(bytes: number): void {
    this.#readSizes.observe(bytes);
  }

  /** Bytes one WRITE took. */
  wrote(bytes: number): void {
    this.#writeSizes.observe(bytes);
  }

  addCollector(collector: GaugeCollector): void {
    this.#collectors.push(collector);
  }

  /** The whole exposition, one scrape. */
  render(): string {
    const lines: string[] = [];
    const entries = [...this.#byOp.entries()].sort(([left], [right]) => left.localeCompare(right));
    pushFamily(lines, 'tsdaos_dfuse_requests_total', 'counter', 'FUSE requests answered, by op.');
    for (const [op, stats] of entries) lines.push(`tsdaos_dfuse_requests_total${formatLabels({ op })} ${stats.requests}`);
    pushFamily(lines, 'tsdaos_dfuse_errors_total', 'counter', 'FUSE requests answered with an error, by op and errno.');
    for (const [op, stats] of entries) {
      for (const [errno, count] of stats.errors) lines.push(`tsdaos_dfuse_errors_total${formatLabels({ op, errno: ERRNO_NAMES.get(errno) ?? String(errno) })} ${count}`);
    }
    pushFamily(lines, 'tsdaos_dfuse_request_seconds', 'histogram', 'Time from a FUSE request to its answer, by op.');
    for (const [op, stats] of entries) renderHistogram(lines, 'tsdaos_dfuse_request_seconds', { op }, stats.latency);
    pushFamily(lines, 'tsdaos_dfuse_read_bytes', 'histogram', 'Bytes answered per READ (sum: bytes read).');
    renderHistogram(lines, 'tsdaos_dfuse_read_bytes', {}, this.#readSizes);
    pushFamily(lines, 'tsdaos_dfuse_write_bytes', 'histogram', 'Bytes taken per WRITE (sum: bytes written).');
    renderHistogram(lines, 'tsdaos_dfuse_write_bytes', {}, this.#writeSizes);
    renderCollectors(lines, this.#collectors);
    renderUptime(lines, this.#startedAtMs);
    return `${lines.join('\n')}\n`;
  }
}
