/**
 * The phases of one iteration, in mdtest's order and with its row names, and which of them a run
 * executes (-C/-T/-E/-r, -F/-D). A phase's rate is items (or tree nodes) done by all tasks divided by the
 * time of the slowest task.
 */
import type { MdtestOptions } from './options.js';

export type PhaseName =
  | 'tree-create' | 'dir-create' | 'dir-stat' | 'dir-remove'
  | 'file-create' | 'file-stat' | 'file-read' | 'file-remove' | 'tree-remove';

/** Rows of the SUMMARY table, in mdtest's order. */
export const SUMMARY_ROWS: ReadonlyArray<{ readonly phase: PhaseName; readonly label: string }> = [
  { phase: 'dir-create', label: 'Directory creation' },
  { phase: 'dir-stat', label: 'Directory stat' },
  { phase: 'dir-remove', label: 'Directory removal' },
  { phase: 'file-create', label: 'File creation' },
  { phase: 'file-stat', label: 'File stat' },
  { phase: 'file-read', label: 'File read' },
  { phase: 'file-remove', label: 'File removal' },
  { phase: 'tree-create', label: 'Tree creation' },
  { phase: 'tree-remove', label: 'Tree removal' },
];

/** The phases of one iteration, in execution order. */
export function selectedPhases(options: MdtestOptions): PhaseName[] {
  const phases: PhaseName[] = [];
  if (options.create) phases.push('tree-create');
  if (!options.filesOnly) {
    if (options.create) phases.push('dir-create');
    if (options.stat) phases.push('dir-stat');
    if (options.remove) phases.push('dir-remove');
  }
  if (!options.dirsOnly) {
    if (options.create) phases.push('file-create');
    if (options.stat) phases.push('file-stat');
    if (options.read) phases.push('file-read');
    if (options.remove) phases.push('file-remove');
  }
  if (options.remove) phases.push('tree-remove');
  return phases;
}
