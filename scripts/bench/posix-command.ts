/**
 * The external commands the POSIX benchmark runs (mount, umount, fio, the mdtest driver, the tsdaos CLI),
 * each a child process whose output is collected. Every running child is tracked so that an interrupt
 * (SIGINT/SIGTERM of the bench) stops it: the awaited command then rejects and the caller's `finally`
 * blocks unmount what they mounted. At most one command runs at a time in this bench, so the tracking set
 * stays tiny; it is bounded anyway.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import assert from 'node:assert';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Children alive at once: the bench runs one command at a time, plus a daemon per mounted target. */
const CHILDREN_MAX = 8;
const OUTPUT_TAIL_CHARS = 2_000;
const running = new Set<ChildProcess>();
let interrupted: string | undefined;

/** Tracks a child (a command or a daemon) until it exits, so interrupt() can stop it. */
export function track(child: ChildProcess): void {
  assert(running.size < CHILDREN_MAX, `more than ${CHILDREN_MAX} children at once`);
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Throws if the bench was interrupted: called between steps so no new work starts after a signal. */
export function checkInterrupted(): void {
  if (interrupted !== undefined) throw new Error(`interrupted by ${interrupted}`);
}

/** Stops every tracked child (SIGTERM); the commands awaiting them reject, and cleanups run. */
export function interrupt(signal: string): void {
  interrupted = signal;
  for (const child of running) child.kill('SIGTERM');
}

/**
 * Runs `file args`, resolves with its output on exit 0, rejects with the tail of stderr otherwise.
 * `timeoutMs` bounds it (the child is killed after it). A `cleanup` command (unmount, cluster down) runs
 * even after an interrupt; any other command refuses to start then.
 */
export function runCommand(file: string, args: readonly string[], options: { timeoutMs: number; cleanup?: boolean }): Promise<CommandResult> {
  if (options.cleanup !== true) checkInterrupted();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (code === 0) return resolve(result);
      const name = [file, ...args].map((word) => word.split('/').at(-1)).slice(0, 3).join(' ');
      reject(new Error(`${name} … exited ${signal ?? code}: ${result.stderr.trim().slice(-OUTPUT_TAIL_CHARS)}`));
    });
  });
}

/**
 * Installs SIGINT/SIGTERM handlers that interrupt() for the duration of a run (a second signal exits at
 * once); returns the function that removes them again.
 */
export function interruptOnSignals(): () => void {
  interrupted = undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) process.exit(130);
    process.stderr.write(`bench: ${signal}: stopping, unmounting\n`);
    interrupt(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
