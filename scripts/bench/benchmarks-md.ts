/**
 * BENCHMARKS.md as a set of sections, each between its own start/end markers: a bench rewrites only its
 * section (or appends it), so sections produced by different runs never clobber each other.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const BENCHMARKS_PATH = 'BENCHMARKS.md';
const HEADER = '# Benchmarks\n\nEach section names the command that produced it; figures are from one run on the 2-core development machine.\n';

/** Replaces the text between `markers` (inclusive) in BENCHMARKS.md with `section`, or appends it. */
export function writeSection(section: string, markers: { readonly start: string; readonly end: string }, path = BENCHMARKS_PATH): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  const start = current.indexOf(markers.start);
  const end = current.indexOf(markers.end);
  const next = start >= 0 && end > start
    ? `${current.slice(0, start)}${section}${current.slice(end + markers.end.length)}`
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
