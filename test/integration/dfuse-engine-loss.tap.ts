/**
 * An engine lost under a dfuse mount and brought back (issue #5 on the redundancy of issue #2): fsx runs on
 * `tsdaos up`'s RP_3 mount while one engine is SIGKILLed; every operation must come out as on tmpfs (the
 * pool excludes the engine, writes go on to the two left). Then the pool sits idle long enough for the
 * other engines' background aggregation to have run, the engine is started again, rejoins through a resync,
 * and each engine alone, read by a client preferring it, must hold the reference tree: every name, mode,
 * symlink target and byte, and no other name. (Aggregation used to drop the punches made while the engine
 * was away, so it came back listing names removed meanwhile and serving truncated files at their old size:
 * engine/server/aggregation.ts.) Then the same with another engine frozen (SIGSTOP: a hung process, a
 * paused VM) instead of killed: excluded while it is silent, and once thawed (SIGCONT) reintegrated by the
 * pool service on its own, with the requests it had queued while frozen served late, after its exclusion.
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { connectPool } from '../../engine/client/pool.js';
import type { Rank } from '../../engine/pool-map/pool-map.js';
import { AGGREGATION_INTERVAL_MS, AGGREGATION_WINDOW_MS } from '../../engine/server/constants.js';
import { readSystemFile } from '../../engine/system/system-file.js';
import { type Dfs, type DfsObject, type DirAnchor, mountDfs, O_NOFOLLOW } from '../../dfs/index.js';
import { mismatchReport, runFsx } from '../../scripts/fsx/run.js';
import { startDfuseCluster, testDownLeavesNothing } from '../harness/dfuse-mount.js';
import { waitFor } from '../harness/local-cluster.js';
import { sha256 } from '../harness/tree-digest.js';

const LOST_RANK = 2;
/** Not the pool service leader (rank 0): its freeze is an engine's, not the service's. */
const FROZEN_RANK = 1;
const KILL_AFTER_S = 3;
/** Bound on the exclusion and on the return to service (each takes a few seconds on an idle machine). */
const WAIT_MS = 60_000;

const cluster = await startDfuseCluster(t, { prefix: 'engine-loss' });
const referenceRoot = mkdtempSync(join('/dev/shm', 'tsdaos-engine-loss-ref-'));
t.teardown(() => rmSync(referenceRoot, { recursive: true, force: true }));

interface EngineEntry {
  readonly rank: number;
  readonly pid: number;
}

function enginePid(rank: number): number {
  const { engines } = cluster.json<{ engines: EngineEntry[] }>('dmg', ['system', 'query']);
  return engines.find((engine) => engine.rank === rank)!.pid;
}

/** The state of every target of `rank` in the pool map, as the pool service has it. */
function rankTargetStates(rank: number): string[] {
  const query = cluster.json<{ map: { ranks: Array<{ rank: number; targets: Array<{ state: string }> }> } }>('dmg', ['pool', 'query']);
  return query.map.ranks.find((entry) => entry.rank === rank)!.targets.map((target) => target.state);
}

async function listAll(dfs: Dfs, dir: DfsObject): Promise<string[]> {
  const names: string[] = [];
  let anchor: DirAnchor | undefined;
  do {
    const page = await dfs.readdir(dir, anchor);
    names.push(...page.entries);
    anchor = page.anchor;
  } while (!anchor.eof);
  return names;
}

/** What differs between the reference tree `ref` and `base` in the container read by a client preferring `rank`. */
async function differencesOnRank(rank: number, ref: string, base: string): Promise<string[]> {
  const system = readSystemFile(join(cluster.dataDir, 'system.json'));
  const log = pino({ level: 'silent' });
  const pool = await connectPool({ system, pool: system.defaultPool!, log, preferRanks: [rank as Rank] });
  const dfs = await mountDfs({ pool, cont: system.defaultCont!, log, readOnly: true });
  const differences: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const names = readdirSync(join(ref, relative)).sort();
    const dir = await dfs.lookup(relative === '' ? base : `${base}/${relative}`);
    const listed = (await listAll(dfs, dir)).filter((name) => !name.startsWith('.fuse_hidden')).sort();
    dfs.release(dir);
    if (listed.join('/') !== names.join('/')) differences.push(`${relative || '.'}: lists ${listed.join(', ')}, not ${names.join(', ')}`);
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const want = lstatSync(join(ref, path));
      const handle = await dfs.lookup(`${base}/${path}`, O_NOFOLLOW).catch((error: { code?: string }) => error);
      if (!('oid' in handle)) {
        differences.push(`${path}: ${handle.code ?? String(handle)}`);
        continue;
      }
      const stat = await dfs.ostat(handle);
      if ((stat.mode & 0o7777) !== (want.mode & 0o7777)) differences.push(`${path}: mode ${stat.mode.toString(8)}, ${want.mode.toString(8)} wanted`);
      if (want.isFile()) {
        const bytes = await dfs.read(handle, stat.size, 0);
        if (sha256(bytes) !== sha256(readFileSync(join(ref, path)))) differences.push(`${path}: ${stat.size} bytes, not the ${want.size} wanted`);
      } else if (want.isSymbolicLink() && (await dfs.readlink(handle)) !== readlinkSync(join(ref, path))) {
        differences.push(`${path}: another symlink target`);
      }
      dfs.release(handle);
      if (want.isDirectory()) await walk(path);
    }
  };
  try {
    await walk('');
  } finally {
    await dfs.unmount();
    await pool.disconnect();
  }
  return differences;
}

/**
 * fsx (2,000 operations of `seed`) in a new directory of the RP_3 mount while engine `pid` gets `signal`
 * KILL_AFTER_S in (fsx runs synchronously: the signal comes from another process); every outcome must be
 * tmpfs's. Returns the directory's name and its reference copy.
 */
async function fsxWhileSignalled(t: Test, seed: number, pid: number, signal: 'KILL' | 'STOP'): Promise<{ name: string; ref: string }> {
  const name = `fsx-engine-${signal.toLowerCase()}-${Date.now()}`;
  const ref = join(referenceRoot, name);
  mkdirSync(ref);
  mkdirSync(cluster.at(name));
  const sender = spawn('sh', ['-c', `sleep ${KILL_AFTER_S} && kill -${signal} ${pid}`], { stdio: 'ignore' });
  const result = runFsx({ ref, target: [cluster.at(name)], ops: 2000, seed });
  await new Promise((resolve) => sender.once('exit', resolve));
  t.equal(mismatchReport(result), '', 'every outcome and the tree the same as on tmpfs');
  return { name, ref };
}

t.test(`fsx on the RP_3 mount while rank ${LOST_RANK} is SIGKILLed; back in service, every engine holds the tree`, async (t) => {
  const { name, ref } = await fsxWhileSignalled(t, 401, enginePid(LOST_RANK), 'KILL');
  await waitFor(`rank ${LOST_RANK} excluded`, WAIT_MS, async () => rankTargetStates(LOST_RANK).every((state) => state === 'DOWN'));
  // Long enough for the other engines' lazy aggregation to have reached everything fsx wrote (it must not run).
  await sleep(AGGREGATION_WINDOW_MS + 2 * AGGREGATION_INTERVAL_MS);
  cluster.run('dmg', ['system', 'start', '--ranks', String(LOST_RANK)]);
  await waitFor(`rank ${LOST_RANK} back in service`, WAIT_MS, async () => rankTargetStates(LOST_RANK).every((state) => state === 'UPIN'));
  for (const rank of [0, 1, 2]) t.same(await differencesOnRank(rank, ref, `/${name}`), [], `rank ${rank} alone holds the tree`);
});

t.test(`fsx while rank ${FROZEN_RANK} is frozen (SIGSTOP) until excluded; thawed, it rejoins by itself and every engine holds the tree`, async (t) => {
  const frozenPid = enginePid(FROZEN_RANK);
  // A frozen engine left so would hold up the teardown's `tsdaos down`.
  t.teardown(() => {
    try {
      process.kill(frozenPid, 'SIGCONT');
    } catch {
      // Gone already.
    }
  });
  const { name, ref } = await fsxWhileSignalled(t, 402, frozenPid, 'STOP');
  await waitFor(`rank ${FROZEN_RANK} excluded`, WAIT_MS, async () => rankTargetStates(FROZEN_RANK).every((state) => state === 'DOWN'));
  // Thawed, it answers the service's pings again with the pool on disk: reintegrated without an operator.
  process.kill(frozenPid, 'SIGCONT');
  await waitFor(`rank ${FROZEN_RANK} back in service`, WAIT_MS, async () => rankTargetStates(FROZEN_RANK).every((state) => state === 'UPIN'));
  for (const rank of [0, 1, 2]) t.same(await differencesOnRank(rank, ref, `/${name}`), [], `rank ${rank} alone holds the tree`);
});

testDownLeavesNothing(t, cluster);
