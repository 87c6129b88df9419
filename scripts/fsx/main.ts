/**
 * fsx: `node dist/scripts/fsx/main.js --ref DIR --target DIR [--ops N] [--seed S]`. Applies the same seeded
 * random POSIX operations to both directories (each must exist and be empty) and stops at the first
 * outcome or tree that differs, printing it with the operations before it; exit 1 then, 0 when the run
 * matched throughout. A seed replays its run exactly.
 */
import { existsSync, readdirSync } from 'node:fs';
import { intOption, parse, requireOption, runCli, UsageError } from '../cli/command.js';
import type { Op } from './ops.js';
import { DEFAULT_CHECK_EVERY, recentOpLines, runFsx } from './run.js';

const USAGE = `usage: fsx --ref DIR --target DIR [--target DIR2 ...] [--ops N] [--seed S] [--check-every N]
  Applies the same random file and namespace operations to DIR (reference, e.g. on tmpfs) and to the
  filesystem under test, comparing every outcome, every bytes read and, every N operations, both trees.
  Several --target: views of one directory (the same one through several mounts), used in turn; only the
  first needs to be empty.
  --ops N          operations to run (default 5000)
  --seed S         the run's seed (default: from the clock; printed so the run replays)
  --check-every N  compare the whole trees every N operations (default ${DEFAULT_CHECK_EVERY})
  --verbose        print every operation with its outcome (the target's too where it differs)
`;

function emptyDir(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageError(`${what} ${path} does not exist`);
  if (readdirSync(path).length > 0) throw new UsageError(`${what} ${path} is not empty`);
  return path;
}

async function main(argv: string[]): Promise<void> {
  const parsed = parse(argv, { ref: { type: 'string' }, target: { type: 'string', multiple: true }, ops: { type: 'string' }, seed: { type: 'string' }, 'check-every': { type: 'string' }, verbose: { type: 'boolean', default: false } }, USAGE);
  const ref = emptyDir(requireOption(parsed, 'ref'), '--ref');
  const views = parsed.values['target'];
  if (!Array.isArray(views) || views.length === 0) throw new UsageError('--target is required');
  const target = [emptyDir(views[0]!, '--target'), ...views.slice(1)];
  const ops = intOption(parsed, 'ops', 5000, { min: 1, max: 100_000_000 });
  const seed = intOption(parsed, 'seed', Date.now() % 2 ** 31, { min: 0, max: 2 ** 32 - 1 });
  const checkEvery = intOption(parsed, 'check-every', DEFAULT_CHECK_EVERY, { min: 1, max: 100_000_000 });
  process.stderr.write(`fsx: seed ${seed}, ${ops} operations\n`);
  const started = performance.now();
  const onOp = parsed.values['verbose'] === true
    ? (index: number, op: Op, expected: string, got: string): void => {
      process.stdout.write(`#${index} ${JSON.stringify(op)} -> ${expected}${got === expected ? '' : ` | target: ${got}`}\n`);
    }
    : undefined;
  const result = runFsx({ ref, target, ops, seed, checkEvery, onOp, onProgress: (done) => process.stderr.write(`fsx: ${done}/${ops}\n`) });
  const seconds = (performance.now() - started) / 1000;
  if (result.mismatch === undefined) {
    process.stdout.write(`fsx: ${ops} operations matched (${result.errors} failed alike), ${(ops / seconds).toFixed(0)} ops/s, seed ${seed}\n`);
    return;
  }
  const { index, detail } = result.mismatch;
  process.stdout.write(`fsx: mismatch at operation #${index} (seed ${seed}): ${detail}\n${recentOpLines(result.mismatch)}\n`);
  process.exitCode = 1;
}

runCli('fsx', USAGE, main);
