/**
 * The parent of a run: forks P workers (worker.js beside this file), then for every iteration and phase
 * runs the barrier of protocol.ts. The phase's time is from `start` to the last `done` (the slowest task,
 * as mdtest's rank 0 measures between barriers); its rate is all tasks' items over that time.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MdtestOptions } from './options.js';
import { type PhaseName, selectedPhases } from './phases.js';
import type { DriverMessage, WorkerMessage } from './protocol.js';

export interface PhaseResult {
  readonly iteration: number;
  readonly phase: PhaseName;
  readonly items: number;
  readonly seconds: number;
  readonly rate: number;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

/** One forked task with a queue of its messages not yet awaited. */
class Task {
  readonly child: ChildProcess;
  readonly #inbox: WorkerMessage[] = [];
  #waiter: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;

  constructor(readonly index: number) {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'error') this.#fail(new Error(message.message));
      else if (this.#waiter !== undefined) { const waiter = this.#waiter; this.#waiter = undefined; waiter.resolve(message); }
      else this.#inbox.push(message);
    });
    this.child.on('exit', (code, signal) => this.#fail(new Error(`task ${index} exited (${signal ?? code})`)));
    this.child.on('error', (error) => this.#fail(error));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
  }

  send(message: DriverMessage): void {
    this.child.send(message);
  }

  /** The next message, which must be of type `type`. */
  async expect<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> {
    const message = this.#inbox.shift() ?? await new Promise<WorkerMessage>((resolve, reject) => {
      if (this.#failure !== undefined) reject(this.#failure);
      else this.#waiter = { resolve, reject };
    });
    if (message.type !== type) throw new Error(`task ${this.index}: expected ${type}, got ${message.type}`);
    return message as Extract<WorkerMessage, { type: T }>;
  }
}

export async function runMdtest(options: MdtestOptions, onPhase: (result: PhaseResult) => void = () => undefined): Promise<PhaseResult[]> {
  const tasks = Array.from({ length: options.procs }, (_, index) => new Task(index));
  const all = async <T extends WorkerMessage['type']>(type: T): Promise<void> => {
    await Promise.all(tasks.map((task) => task.expect(type)));
  };
  const results: PhaseResult[] = [];
  try {
    tasks.forEach((task) => task.send({ type: 'init', options, task: task.index }));
    await all('mounted');
    const phases = selectedPhases(options);
    for (let iteration = 0; iteration < options.iterations; iteration += 1) {
      if (options.create) {
        tasks[0]!.send({ type: 'setup', iteration });
        await tasks[0]!.expect('ok');
      }
      for (const phase of phases) {
        tasks.forEach((task) => task.send({ type: 'prepare', phase, iteration }));
        await all('ready');
        const started = process.hrtime.bigint();
        tasks.forEach((task) => task.send({ type: 'start' }));
        const done = await Promise.all(tasks.map((task) => task.expect('done')));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const items = done.reduce((sum, message) => sum + message.items, 0);
        const result = { iteration, phase, items, seconds, rate: seconds > 0 ? items / seconds : 0 };
        results.push(result);
        onPhase(result);
      }
      if (options.remove) {
        tasks[0]!.send({ type: 'teardown', iteration });
        await tasks[0]!.expect('ok');
      }
    }
    tasks.forEach((task) => task.send({ type: 'exit' }));
    await Promise.all(tasks.map((task) => new Promise((resolve) => {
      if (task.child.exitCode !== null) resolve(undefined);
      else task.child.once('exit', resolve);
    })));
    return results;
  } finally {
    for (const task of tasks) if (task.child.exitCode === null && task.child.signalCode === null) task.child.kill('SIGKILL');
  }
}
