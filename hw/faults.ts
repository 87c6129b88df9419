/**
 * Fault injection: crash points. A crash point is a named step in the engine (a call to `crashPoint(name)`);
 * when a test has armed it, the process kills itself with SIGKILL at exactly that step, the same as an
 * operator's `kill -9` landing there. Nothing is flushed, no handler runs: what was durable stays, the rest
 * is lost. This is how fault tests reach every step of a protocol without sleeps or timing luck.
 *
 * Arming is refused unless the process runs with TSDAOS_FAULTS=1 (the engine answers ENGINE_FAULT_SET with
 * DER_NO_PERM otherwise), so a production engine can never be killed by a request. Unarmed points cost a
 * map lookup. This file imports nothing of ours (hw/ is the bottom layer).
 *
 * Points (see engine/server/tx/README.md for where each sits in the transaction protocol):
 *   tx.prepare.before-persist  a participant checked a TX_PREPARE but has not committed its intents
 *   tx.prepare.after-persist   the intents are durable, the TX_PREPARE is not answered yet
 *   tx.decide.after-persist    the coordinator recorded a decision durably, TX_DECIDE not answered yet
 *   tx.commit.before-apply     a participant is about to apply a decision (commit or abort) to its intents
 *   tx.commit.after-apply      the decision is applied durably, not yet answered / reported
 *
 * Countdown: `arm(name, after)` lets `after` hits pass, and the next hit kills (after = 0: the first hit).
 * A point fires once; re-arm it for another crash (the process is gone anyway).
 */

export const CRASH_POINTS = [
  'tx.prepare.before-persist',
  'tx.prepare.after-persist',
  'tx.decide.after-persist',
  'tx.commit.before-apply',
  'tx.commit.after-apply',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

/** The environment switch that allows arming crash points in this process. */
export const FAULTS_ENV = 'TSDAOS_FAULTS';

/** Largest countdown accepted; a larger one is a test bug (it would never fire). */
export const CRASH_POINT_AFTER_MAX = 1_000_000;

/** How long the process waits for its own SIGKILL to land before declaring that the kill failed. */
const KILL_WAIT_MS = 10_000;

export function isCrashPointName(name: string): name is CrashPointName {
  return (CRASH_POINTS as readonly string[]).includes(name);
}

/** True when this process may arm crash points (TSDAOS_FAULTS=1). */
export function faultsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[FAULTS_ENV] === '1';
}

/** The set of armed crash points of one process (or of a test). `kill` is what a firing point does. */
export class CrashPoints {
  /** Armed point -> hits still to let pass. At most one entry per point name. */
  private readonly armed = new Map<CrashPointName, number>();

  constructor(private readonly kill: (name: CrashPointName) => void) {}

  /** Arms `name` to fire at its (after + 1)-th hit. Throws RangeError on a bad countdown. */
  arm(name: CrashPointName, after: number): void {
    if (!Number.isSafeInteger(after) || after < 0 || after > CRASH_POINT_AFTER_MAX) {
      throw new RangeError(`crash point countdown must be 0..${CRASH_POINT_AFTER_MAX}`);
    }
    this.armed.set(name, after);
  }

  disarm(name: CrashPointName): void {
    this.armed.delete(name);
  }

  isArmed(name: CrashPointName): boolean {
    return this.armed.has(name);
  }

  /** One pass through the step `name`: fires when armed and the countdown is spent. */
  hit(name: CrashPointName): void {
    const remaining = this.armed.get(name);
    if (remaining === undefined) return;
    if (remaining > 0) {
      this.armed.set(name, remaining - 1);
      return;
    }
    this.armed.delete(name);
    this.kill(name);
  }
}

/**
 * SIGKILL to ourselves. The signal is delivered asynchronously by the kernel, so block this thread until it
 * lands: not one more instruction of the engine may run after the crash point (no commit, no answer).
 */
function killThisProcess(name: CrashPointName): void {
  process.stderr.write(`crash point ${name}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, KILL_WAIT_MS);
  throw new Error(`crash point ${name}: SIGKILL did not terminate the process`);
}

const processCrashPoints = new CrashPoints(killThisProcess);

/**
 * Arms a crash point of this process. Throws Error when TSDAOS_FAULTS is not 1 (the caller maps it to
 * DER_NO_PERM), RangeError on a bad countdown.
 */
export function armCrashPoint(name: CrashPointName, after: number): void {
  if (!faultsEnabled()) throw new Error(`crash points need ${FAULTS_ENV}=1`);
  processCrashPoints.arm(name, after);
}

/** Marks the step `name`: a no-op unless a test armed it, then SIGKILL of this process. */
export function crashPoint(name: CrashPointName): void {
  processCrashPoints.hit(name);
}
