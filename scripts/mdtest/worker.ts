/**
 * A worker process (forked by driver.ts): one mdtest task. Opens its backend at `init`, then runs each
 * phase the driver starts, sequentially over its items as mdtest does, and reports the count and its own
 * time. Any failure is reported as one `error` message; the driver aborts the run.
 */
import { openBackend, type MdBackend } from './backend.js';
import type { MdtestOptions } from './options.js';
import type { PhaseName } from './phases.js';
import type { DriverMessage, WorkerMessage } from './protocol.js';
import { iterationDir, itemPath, neighbour, ownsTree, treeDirs } from './tree.js';

let options: MdtestOptions | undefined;
let task = 0;
let backend: MdBackend | undefined;
let pending: { phase: PhaseName; iteration: number } | undefined;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function runPhase(phase: PhaseName, iteration: number): Promise<number> {
  const o = options!;
  const fs = backend!;
  const mine = (kind: 'file' | 'dir', index: number): string => itemPath(o, iteration, task, kind, index);
  const theirs = (kind: 'file' | 'dir', index: number): string => itemPath(o, iteration, neighbour(o, task), kind, index);
  const data = new Uint8Array(o.writeBytes).fill(0x2a);
  let count = 0;
  const each = async (work: (index: number) => Promise<void>): Promise<number> => {
    for (let index = 0; index < o.items; index += 1) await work(index);
    return o.items;
  };
  switch (phase) {
    case 'tree-create':
      if (!ownsTree(o, task)) return 0;
      for (const dir of treeDirs(o, iteration, task)) { await fs.mkdir(dir); count += 1; }
      return count;
    case 'tree-remove':
      if (!ownsTree(o, task)) return 0;
      for (const dir of treeDirs(o, iteration, task).reverse()) { await fs.rmdir(dir); count += 1; }
      return count;
    case 'dir-create': return each((index) => fs.mkdir(mine('dir', index)));
    case 'dir-stat': return each((index) => fs.stat(theirs('dir', index)));
    case 'dir-remove': return each((index) => fs.rmdir(mine('dir', index)));
    case 'file-create': return each((index) => fs.create(mine('file', index), data));
    case 'file-stat': return each((index) => fs.stat(theirs('file', index)));
    case 'file-read': return each((index) => fs.read(theirs('file', index), o.readBytes));
    case 'file-remove': return each((index) => fs.unlink(mine('file', index)));
  }
}

async function handle(message: DriverMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      options = message.options;
      task = message.task;
      backend = await openBackend(options);
      send({ type: 'mounted' });
      return;
    case 'setup':
      await backend!.mkdir(iterationDir(options!, message.iteration), true);
      send({ type: 'ok' });
      return;
    case 'teardown':
      await backend!.rmdir(iterationDir(options!, message.iteration));
      send({ type: 'ok' });
      return;
    case 'prepare':
      pending = { phase: message.phase, iteration: message.iteration };
      send({ type: 'ready' });
      return;
    case 'start': {
      const { phase, iteration } = pending!;
      const started = process.hrtime.bigint();
      const items = await runPhase(phase, iteration);
      send({ type: 'done', items, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      return;
    }
    case 'exit':
      await backend?.close();
      process.disconnect();
      return;
  }
}

let queue = Promise.resolve();
process.on('message', (message: DriverMessage) => {
  queue = queue.then(() => handle(message)).catch((error: unknown) => {
    send({ type: 'error', message: `task ${task}: ${error instanceof Error ? error.message : String(error)}` });
  });
});
