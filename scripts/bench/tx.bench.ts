/**
 * Question: what does atomicity across two objects cost? On a local cluster of 3 engine processes, two S1
 * objects whose shards sit on different engines; each operation writes one 64-byte value to the same key
 * in both objects, either as one transaction (prepare on both targets, decide at the coordinator, commit
 * messages in the background) or as two plain updates sent in parallel. 16 operations in flight. The
 * transaction's latency is until commit is decided (what the caller waits for); the background commit
 * messages of the last transactions are drained after the clock stops. Run alone (full size) it also
 * rewrites its BENCHMARKS.md section; run-all.ts does the same in its session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContHandle, ObjType, type Oid, type PoolHandle, connectPool } from '../../engine/client/index.js';
import { clusterDown, clusterUp } from '../cluster/local-cluster.js';
import { type BenchResult, closedLoop, emit, isSmall, progress, runIdentity } from './bench-env.js';
import { writeSection } from './benchmarks-md.js';
import { TX_SECTION, renderTxSection } from './tx-section.js';

interface Sizes { readonly ops: number; readonly inFlight: number }

const LARGE: Sizes = { ops: 8_000, inFlight: 16 };
const SMALL: Sizes = { ops: 200, inFlight: 16 };
const VALUE_BYTES = 64;
const ENGINES = 3;

/** Two S1 objects whose single shard lives on two different engines. */
async function objectsOnTwoEngines(pool: PoolHandle, cont: ContHandle): Promise<[Oid, Oid]> {
  const first = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' });
  const rank = pool.layout(first).shards[0]!.rank;
  for (let attempt = 0; attempt < 64; attempt++) {
    const second = await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' });
    if (pool.layout(second).shards[0]!.rank !== rank) return [first, second];
  }
  throw new Error('no second S1 object on another engine after 64 allocations');
}

async function benchPair(pool: PoolHandle, cont: ContHandle, sizes: Sizes): Promise<BenchResult[]> {
  const [left, right] = await objectsOnTwoEngines(pool, cont);
  const value = Buffer.alloc(VALUE_BYTES, 0x3c);
  const key = (index: number): string => `pair-${index}`;
  const params = { engines: ENGINES, oclass: 'S1', objects: 2, valueBytes: VALUE_BYTES, inFlight: sizes.inFlight };
  const loop = { count: sizes.ops, inFlight: sizes.inFlight };
  const applied: Promise<void>[] = [];
  progress('tx: two-object transactions');
  const tx = await closedLoop({ bench: 'tx', case: 'tx-commit-2obj', params }, loop, async (index) => {
    const transaction = await cont.txOpen();
    transaction.kv(left).put(key(index), value);
    transaction.kv(right).put(key(index), value);
    await transaction.commit();
    applied.push(transaction.applied());
  });
  await Promise.all(applied);
  progress('tx: two plain updates');
  const [leftKv, rightKv] = [cont.kv(left), cont.kv(right)];
  const plain = await closedLoop({ bench: 'tx', case: 'plain-update-2obj', params }, loop, (index) =>
    Promise.all([leftKv.put(key(index), value), rightKv.put(key(index), value)]));
  return [tx, plain];
}

export async function benchTx(options: { small: boolean }): Promise<BenchResult[]> {
  const sizes = options.small ? SMALL : LARGE;
  const dataDir = mkdtempSync(join(tmpdir(), 'tsdaos-bench-tx-'));
  try {
    const up = await clusterUp({ dataDir, engines: ENGINES, targets: 4, detach: false, poolLabel: 'bench', contLabel: 'bench', capacityBytesPerTarget: 0, progress });
    const pool = await connectPool({ system: up.system, pool: 'bench' });
    try {
      return await benchPair(pool, await pool.openContainer('bench'), sizes);
    } finally {
      await pool.disconnect();
    }
  } finally {
    await clusterDown(dataDir).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Run alone: prints the results; a full-size run also rewrites its BENCHMARKS.md section. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const identity = runIdentity();
  const small = isSmall();
  const results = await benchTx({ small });
  for (const result of results) emit(result, identity);
  if (!small) writeSection(renderTxSection(results, identity, 'npm run build && node dist/scripts/bench/tx.bench.js'), TX_SECTION);
}
