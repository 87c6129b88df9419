/**
 * How a daemon the cluster starts (engine, dfuse) says it is serving: one JSON line on a descriptor of its
 * own (ANNOUNCE_FD, passed as `--announce-fd 3`; the daemon's side is scripts/cli/announce.ts), written once
 * and closed. Its stdout and stderr go to its log file
 * from the start, so nothing it prints later (a stray console line, Node's --trace-gc) is lost or meets a
 * pipe nobody reads, and nothing it prints can be taken for the announcement.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';

/** The descriptor a daemon announces on (the first after stdin, stdout, stderr). */
export const ANNOUNCE_FD = 3;

/** How long a closed descriptor waits for the daemon's exit status. */
const EXIT_AFTER_END_MS = 1_000;

/** stdio for spawn: no stdin, stdout and stderr appended to the log, a pipe at ANNOUNCE_FD. */
export function daemonStdio(logFd: number): StdioOptions {
  return ['ignore', logFd, logFd, 'pipe'];
}

export interface AnnouncementWait {
  readonly timeoutMs: number;
  /** The error's message when the daemon says nothing within timeoutMs. */
  readonly timedOut: () => string;
  /** The error's message when the daemon exits, or closes the descriptor, before its announcement. */
  readonly ended: (how: string) => string;
}

/**
 * The daemon's announcement, parsed. Rejects on the timeout, an exit or a closed descriptor before a
 * complete line, or a line that is not a JSON object; the caller decides what becomes of the daemon.
 */
export function awaitAnnouncement(child: ChildProcess, wait: AnnouncementWait): Promise<Record<string, unknown>> {
  const stream = child.stdio[ANNOUNCE_FD];
  if (stream === null || stream === undefined || !('on' in stream)) throw new Error(`the daemon was spawned without a pipe at fd ${ANNOUNCE_FD}`);
  return new Promise((resolvePromise, reject) => {
    let text = '';
    let exitWait: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      clearTimeout(exitWait);
      child.off('exit', onExit);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.destroy();
      outcome();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => settle(() => reject(new Error(wait.ended(`exited (${signal ?? code})`))));
    // A daemon that fails closes the descriptor as it exits, often just before its exit is seen: the exit
    // status, if it comes at once, says more than the closed descriptor.
    const onEnd = (): void => {
      exitWait = setTimeout(() => settle(() => reject(new Error(wait.ended('closed its announcement descriptor without a line')))), EXIT_AFTER_END_MS);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) return;
      const line = text.slice(0, end);
      settle(() => {
        const parsed = parseObject(line);
        if (parsed === undefined) reject(new Error(wait.ended(`announced something that is not a JSON object: ${JSON.stringify(line.slice(0, 200))}`)));
        else resolvePromise(parsed);
      });
    };
    const timer = setTimeout(() => settle(() => reject(new Error(wait.timedOut()))), wait.timeoutMs);
    child.once('exit', onExit);
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

