// Child process for the crash-point tests (crash-points.test.ts): one engine (rank 0, two targets) on the
// given directory, from the compiled tree in dist/ (Node 20 cannot import .ts), with fault injection
// allowed (the parent sets TSDAOS_FAULTS=1). Prints "listening <address>" once it serves requests, then
// runs until a crash point kills it (or the parent does).
// argv: <dir>
import { createLogger } from '../../../dist/engine/log.js';
import { startEngine } from '../../../dist/engine/server/engine.js';

const [dir] = process.argv.slice(2);
const engine = await startEngine({
  rank: 0, dir, listen: '127.0.0.1:0', targets: 2, log: createLogger('crash-child', { level: 'silent' }),
  aggregationIntervalMs: 3_600_000, txTimeoutMs: 600_000,
});
process.stdout.write(`listening ${engine.address}\n`);
