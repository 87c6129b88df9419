/**
 * The Prometheus text exposition format (version 0.0.4), written by hand and shared by every daemon that
 * serves `/metrics` (engines, dfuse): histograms with fixed buckets, label and number formatting, gauge
 * collectors pulled at scrape time. No I/O and no imports: any layer may use it.
 */

/** Content type of a scrape answer. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Upper bounds (seconds) of request latency histograms; +Inf is implicit. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

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

export class Histogram {
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

/** Escapes a label value per the exposition format (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(value) ? String(value) : value.toPrecision(9).replace(/\.?0+$/, '');
}

/** The HELP and TYPE lines of a metric family. */
export function pushFamily(lines: string[], name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

/** One histogram's cumulative bucket, sum and count lines (its family lines are the caller's). */
export function renderHistogram(lines: string[], name: string, labels: Record<string, string>, histogram: Histogram): void {
  let cumulative = 0;
  histogram.bounds.forEach((bound, index) => {
    cumulative += histogram.counts[index]!;
    lines.push(`${name}_bucket${formatLabels({ ...labels, le: formatNumber(bound) })} ${cumulative}`);
  });
  lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${histogram.count}`);
  lines.push(`${name}_sum${formatLabels(labels)} ${formatNumber(histogram.sum)}`);
  lines.push(`${name}_count${formatLabels(labels)} ${histogram.count}`);
}

/** Every collector's family and samples, as collected now. */
export function renderCollectors(lines: string[], collectors: readonly GaugeCollector[]): void {
  for (const collector of collectors) {
    pushFamily(lines, collector.name, collector.type ?? 'gauge', collector.help);
    for (const sample of collector.collect()) lines.push(`${collector.name}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`);
  }
}

/** `tsdaos_process_uptime_seconds`: seconds since `startedAtMs` (Date.now() at the daemon's start). */
export function renderUptime(lines: string[], startedAtMs: number): void {
  pushFamily(lines, 'tsdaos_process_uptime_seconds', 'gauge', 'Seconds since the process started serving.');
  lines.push(`tsdaos_process_uptime_seconds ${formatNumber((Date.now() - startedAtMs) / 1000)}`);
}
