/**
 * mdtest's "SUMMARY rate" table: one row per operation, Max/Min/Mean/Std Dev of the rate (ops/s) over
 * the iterations, in mdtest's layout; operations that did not run show zeros, as in mdtest.
 */
import type { PhaseResult } from './driver.js';
import { SUMMARY_ROWS } from './phases.js';

export interface SummaryRow {
  readonly operation: string;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
  readonly stddev: number;
}

export interface Summary {
  readonly iterations: number;
  readonly rows: SummaryRow[];
}

export function summarize(results: readonly PhaseResult[], iterations: number): Summary {
  const rows = SUMMARY_ROWS.map(({ phase, label }) => {
    const rates = results.filter((result) => result.phase === phase).map((result) => result.rate);
    if (rates.length === 0) return { operation: label, max: 0, min: 0, mean: 0, stddev: 0 };
    const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
    const variance = rates.reduce((sum, rate) => sum + (rate - mean) ** 2, 0) / rates.length;
    return { operation: label, max: Math.max(...rates), min: Math.min(...rates), mean, stddev: Math.sqrt(variance) };
  });
  return { iterations, rows };
}

const cell = (value: number): string => value.toFixed(3).padStart(14);

export function formatSummary(summary: Summary): string {
  const lines = [
    `SUMMARY rate: (of ${summary.iterations} iteration${summary.iterations === 1 ? '' : 's'})`,
    '   Operation                      Max            Min           Mean        Std Dev',
    '   ---------                      ---            ---           ----        -------',
    ...summary.rows.map((row) => `   ${row.operation.padEnd(22)}: ${cell(row.max)} ${cell(row.min)} ${cell(row.mean)} ${cell(row.stddev)}`),
  ];
  return `${lines.join('\n')}\n`;
}
