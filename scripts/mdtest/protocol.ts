/**
 * The messages between the driver and its workers (child_process IPC). Per phase the driver runs a
 * barrier: `prepare` to all → every worker answers `ready` → `start` to all → every worker answers
 * `done`. `setup`/`teardown` (task 0 only, untimed) make and remove the iteration directory.
 */
import type { MdtestOptions } from './options.js';
import type { PhaseName } from './phases.js';

export type DriverMessage =
  | { readonly type: 'init'; readonly options: MdtestOptions; readonly task: number }
  | { readonly type: 'setup'; readonly iteration: number }
  | { readonly type: 'teardown'; readonly iteration: number }
  | { readonly type: 'prepare'; readonly phase: PhaseName; readonly iteration: number }
  | { readonly type: 'start' }
  | { readonly type: 'exit' };

export type WorkerMessage =
  | { readonly type: 'mounted' }
  | { readonly type: 'ok' }
  | { readonly type: 'ready' }
  /** `items`: operations this worker did; `seconds`: its own time for them. */
  | { readonly type: 'done'; readonly items: number; readonly seconds: number }
  | { readonly type: 'error'; readonly message: string };
