/**
 * The messages between the directory-scan bench (dfs-scan.ts) and its worker processes
 * (dfs-scan-worker.ts), over child_process IPC. A worker mounts the container and looks the directory up
 * once (`init` → `ready`), then answers every `list` with the number of entries it read and the CPU time
 * it used doing so: each anchor is listed with readdir until its eof, the anchors of one message concurrently. `split` asks for the
 * directory's anchors (Dfs.anchorSplit), which are plain JSON and travel to the other workers as they are.
 */
import type { DirAnchor } from '../../dfs/index.js';

export interface ScanTarget {
  readonly systemFile: string;
  readonly pool: string;
  readonly cont: string;
  /** Absolute path of the directory to list. */
  readonly path: string;
}

export type ScanRequest =
  | { readonly type: 'init'; readonly target: ScanTarget }
  | { readonly type: 'split' }
  /** `anchors`: null lists the whole directory from its start (the serial listing). */
  | { readonly type: 'list'; readonly anchors: ReadonlyArray<DirAnchor | null>; readonly count: number }
  | { readonly type: 'exit' };

export type ScanReply =
  | { readonly type: 'ready' }
  | { readonly type: 'anchors'; readonly anchors: DirAnchor[] }
  | { readonly type: 'listed'; readonly entries: number; readonly cpuUs: number }
  | { readonly type: 'error'; readonly message: string };
