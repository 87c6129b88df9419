/**
 * Renames across directories under kill -9, end to end: three engine processes with crash points enabled
 * (TSDAOS_FAULTS=1) and a 300 ms undecided-intent timeout, a pool that never excludes a dead engine
 * (selfHeal 'none'), dead engines restarted at once (EngineSupervisor). Each seeded run (the seed is
 * printed; TSDAOS_DFS_RENAME_SEED replays it) writes a file, then renames it into the other directory
 * of a pair while one fault strikes: a transaction crash point armed on a participant (or on the
 * coordinator for the decision), an engine SIGKILLed a random moment after the rename started, or none.
 * Pairs: two S1 directories on different engines (two participants), two RP_3G1 directories (replicas
 * on every engine). After the restart the name must exist in exactly one of the two directories (the
 * target if the rename resolved), the file must read back byte for byte, and a plain rename of it must
 * succeed at once (no intent left locked).
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { type Dfs, type DfsObject, FsError, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, mountDfs } from '../../dfs/index.js';
import { H2TransportPool, type Oid, type PoolHandle, connectPool } from '../../engine/client/index.js';
import { planCommit } from '../../engine/client/tx-plan.js';
import type { ObjClassName } from '../../engine/placement/object-class.js';
import { ENGINE_PING } from '../../engine/wire/rpc/engine.js';
import { POOL_CREATE } from '../../engine/wire/rpc/pool.js';
import { ENGINE_FAULT_SET } from '../../engine/wire/rpc/tx.js';
import { EngineSupervisor } from '../harness/engine-supervisor.js';
import { startTestCluster, waitFor } from '../harness/local-cluster.js';
import { pickOne, randomInt, seededRandom } from '../harness/tx-keys.js';

const SEED = Number(process.env['TSDAOS_DFS_RENAME_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const TX_TIMEOUT_MS = 300;
/** How long the checks ride out engines still restarting and intents still being resolved. */
const RECOVERY_DEADLINE_MS = 20_000;
/** A rename after recovery must not wait on a leftover intent: one intent timeout and a resolver pass, and then some. */
const UNLOCKED_RENAME_BOUND_MS = 5_000;
/** Effectively disarms a crash point that did not fire (hw/faults.ts CRASH_POINT_AFTER_MAX). */
const NEVER = 1_000_000;
/** How long after the rename resolved a crash point on a commit step may still fire. */
const COMMIT_SETTLE_MS = 1_000;
/** Unfaulted renames timed before the runs: kills are sent at a random moment within their median. */
const CALIBRATION_RENAMES = 5;
const FILE_BYTES = 5_000;
const CRASH_POINTS = ['tx.prepare.before-persist', 'tx.prepare.after-persist', 'tx.decide.after-persist', 'tx.commit.before-apply', 'tx.commit.after-apply'] as const;
/** Per pair of directories: every crash point once, three kill -9 at random moments, one run without a fault. */
const FAULTS = [...CRASH_POINTS, 'kill-9', 'kill-9', 'kill-9', 'none'] as const;
type Fault = (typeof FAULTS)[number];

interface DirPair {
  readonly oclass: ObjClassName;
  readonly dirs: readonly [DfsObject, DfsObject];
  readonly oids: readonly [Oid, Oid];
}

interface Outcome {
  readonly fault: Fault;
  /** Where the name was found after recovery. */
  readonly place: string;
  readonly oclass: ObjClassName;
  readonly detail: string;
  /** What the rename call said: resolved, or the errno it failed with. */
  readonly told: string;
  readonly fired: boolean;
}

t.setTimeout(180_000);
t.comment(`dfs-rename-crash seed ${SEED} (replay: TSDAOS_DFS_RENAME_SEED=${SEED})`);
const random = seededRandom(SEED);
const cluster = await startTestCluster({
  engines: 3, targets: 2, prefix: 'dfsrename', env: { TSDAOS_FAULTS: '1', TSDAOS_TX_TIMEOUT_MS: String(TX_TIMEOUT_MS) },
});
const supervisor = new EngineSupervisor(cluster);
const transports = new H2TransportPool();
let pool: PoolHandle | undefined;
let dfs: Dfs | undefined;
/** `work`, given up on after `ms` (teardown must not wait on engines that are gone). */
function bounded(work: Promise<unknown> | undefined, ms: number): Promise<unknown> {
  return Promise.race([work?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

t.teardown(async () => {
  supervisor.stop();
  await bounded(dfs?.unmount(), 5_000);
  await bounded(pool?.disconnect(), 5_000);
  await transports.close();
  await cluster.stop();
});

function address(rank: number): string {
  return cluster.up.system.engines.find((engine) => engine.rank === rank)!.address;
}

/** Waits until every engine answers a ping from its current process (restarted ones included). */
async function allServing(): Promise<void> {
  await waitFor('every engine serving', RECOVERY_DEADLINE_MS, async () => {
    await supervisor.settle();
    const answers = await Promise.all([...cluster.engines.keys()].map(async (rank) => {
      const answer = await transports.get(address(rank)).call(ENGINE_PING, {}, { timeoutMs: 500 });
      return cluster.isRunning(rank) && answer.pid === cluster.engines.get(rank)!.pid;
    }));
    return answers.every(Boolean);
  });
}

/** Retries `probe` while engines restart or intents wait to be resolved (any error but the ones asked for). */
async function recovering<T>(what: string, probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${RECOVERY_DEADLINE_MS} ms: ${String(error)}`);
      await supervisor.settle();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Whether `name` exists in `dir` (ENOENT: no); other failures are thrown for `recovering` to retry. */
async function exists(fs: Dfs, dir: DfsObject, name: string): Promise<boolean> {
  try {
    await fs.statRel(dir, name);
    return true;
  } catch (error) {
    if (error instanceof FsError && error.code === 'ENOENT') return false;
    throw error;
  }
}

/** Two directories of class `oclass` under the root; with `distinctRanks`, their objects on different engines. */
async function makePair(fs: Dfs, handle: PoolHandle, oclass: ObjClassName, distinctRanks: boolean): Promise<DirPair> {
  const made: Array<{ dir: DfsObject; oid: Oid }> = [];
  for (let attempt = 0; made.length < 2; attempt++) {
    if (attempt >= 32) throw new Error(`no two ${oclass} directories on different engines after 32 tries`);
    const dir = await fs.mkdir(fs.root, `${oclass}-${attempt}`, 0o755, { oclass, fileOclass: 'RP_3G1' });
    const oid = (await fs.ostat(dir)).oid;
    const rank = handle.layout(oid).shards[0]!.rank;
    if (made.length === 1 && distinctRanks && handle.layout(made[0]!.oid).shards[0]!.rank === rank) continue;
    made.push({ dir, oid });
  }
  return { oclass, dirs: [made[0]!.dir, made[1]!.dir], oids: [made[0]!.oid, made[1]!.oid] };
}

/** Arms the fault's crash point where it will be hit; returns the rank and a description. */
async function armCrash(point: (typeof CRASH_POINTS)[number], handle: PoolHandle, pair: DirPair, from: number, name: string): Promise<number> {
  const key = Buffer.from(name, 'utf8');
  const plan = planCommit([
    { type: 'update', oid: pair.oids[1 - from]!, dkey: key, iods: [] },
    { type: 'punch', oid: pair.oids[from]!, dkey: key },
  ], (oid) => handle.layout(oid), handle.map.version);
  const rank = point === 'tx.decide.after-persist' ? plan.coordinator.rank : pickOne(random, plan.participants).rank;
  // Arming is idempotent: a call lost on the session of a process that died meanwhile is simply sent again.
  await recovering('arm', () => transports.get(address(rank)).call(ENGINE_FAULT_SET, { point, after: 0 }));
  return rank;
}

/** The rename under `fault`; what the call said and whether the fault struck. */
async function renameUnderFault(
  fs: Dfs, handle: PoolHandle, run: { pair: DirPair; index: number; fault: Fault; killWindowMs: number },
): Promise<Omit<Outcome, 'oclass' | 'place'>> {
  const { pair, fault } = run;
  const from = run.index % 2;
  const name = `file-${run.index}`;
  const [source, target] = [pair.dirs[from]!, pair.dirs[1 - from]!];
  let rank: number | undefined;
  let killedAt = Infinity;
  let killer: Promise<void> = Promise.resolve();
  let detail = 'no fault';
  if (fault === 'kill-9') {
    rank = randomInt(random, 0, 2);
    const delayMs = randomInt(random, 0, run.killWindowMs);
    detail = `rank ${rank} killed ${delayMs} ms in`;
    killer = new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => {
      killedAt = Date.now();
      return cluster.kill9(rank!);
    });
  } else if (fault !== 'none') {
    rank = await armCrash(fault, handle, pair, from, name);
    detail = `rank ${rank}`;
  }
  const pidBefore = rank === undefined ? undefined : cluster.engines.get(rank)!.pid;
  const started = Date.now();
  const told = await fs.rename(source, name, target, name).then(
    () => 'resolved',
    (error: unknown) => (error instanceof FsError ? error.code : `non-FsError ${String(error)}`),
  );
  const ended = Date.now();
  detail += `, rename took ${ended - started} ms`;
  await killer;
  if (fault === 'kill-9') detail += killedAt < ended ? ' (killed mid-rename)' : ' (killed after it)';
  if (rank === undefined) return { fault, detail, told, fired: false };
  const died = (): boolean => !cluster.isRunning(rank!) || cluster.engines.get(rank!)!.pid !== pidBefore;
  // Commit messages go out after the rename resolved (the decision is what it waits for): give a commit
  // crash point the moment to fire before deciding that it did not.
  await waitFor(`rank ${rank} to die`, COMMIT_SETTLE_MS, async () => died()).catch(() => undefined);
  if (!died() && fault !== 'kill-9') {
    await recovering('disarm', () => transports.get(address(rank!)).call(ENGINE_FAULT_SET, { point: fault, after: NEVER }));
  }
  await allServing();
  return { fault, detail, told, fired: cluster.engines.get(rank)!.pid !== pidBefore };
}

/** The run's checks after recovery: where the name was found, and the problems (none: the run is fine). */
async function checkRun(fs: Dfs, pair: DirPair, run: number, data: Buffer, told: string): Promise<{ place: string; problems: string[] }> {
  const from = run % 2;
  const name = `file-${run}`;
  const [source, target] = [pair.dirs[from]!, pair.dirs[1 - from]!];
  const [atSource, atTarget] = await recovering('stat both names', () => Promise.all([exists(fs, source, name), exists(fs, target, name)]));
  const problems: string[] = [];
  if (atSource === atTarget) problems.push(atSource ? 'the name exists in both directories' : 'the name exists in neither directory');
  if (told === 'resolved' && !atTarget) problems.push('rename resolved but the name is not in the target directory');
  if (atSource === atTarget) return { place: atSource ? 'both' : 'neither', problems };
  const holder = atTarget ? target : source;
  const content = await recovering('read the file back', async () => {
    const file = await fs.open(holder, name, O_RDONLY);
    try {
      return await fs.read(file, FILE_BYTES + 1, 0);
    } finally {
      fs.release(file);
    }
  });
  if (!content.equals(data)) problems.push(`content differs (${content.length} bytes read, ${data.length} written)`);
  const started = Date.now();
  await fs.rename(holder, name, atTarget ? source : target, name);
  const renameMs = Date.now() - started;
  if (renameMs > UNLOCKED_RENAME_BOUND_MS) problems.push(`a plain rename afterwards took ${renameMs} ms (an intent stayed locked)`);
  return { place: atTarget ? 'target' : 'source', problems };
}

/** The median time of an unfaulted rename across `pair` (at least 1 ms). */
async function calibrate(fs: Dfs, pair: DirPair): Promise<number> {
  const file = await fs.open(pair.dirs[0], 'calibration', O_CREAT | O_EXCL | O_RDWR, 0o644);
  fs.release(file);
  const times: number[] = [];
  for (let index = 0; index < CALIBRATION_RENAMES; index++) {
    const started = Date.now();
    await fs.rename(pair.dirs[index % 2]!, 'calibration', pair.dirs[1 - (index % 2)]!, 'calibration');
    times.push(Date.now() - started);
  }
  times.sort((a, b) => a - b);
  return Math.max(1, times[Math.floor(times.length / 2)]!);
}

t.test('dfs rename across directories: kill -9 mid-rename leaves the name in exactly one place, content intact', async (t) => {
  await transports.get(address(0)).call(POOL_CREATE, {
    label: 'renamepool', capacityBytesPerTarget: 0, props: { rdFac: 2, spaceRbPercent: 0, selfHeal: 'none' },
  });
  pool = await connectPool({ system: cluster.up.system, pool: 'renamepool' });
  await pool.createContainer({ label: 'fs', props: { layout: 'POSIX' } });
  dfs = await mountDfs({ pool, cont: 'fs', create: true });
  const pairs = [await makePair(dfs, pool, 'S1', true), await makePair(dfs, pool, 'RP_3G1', false)];
  const killWindowMs = await calibrate(dfs, pairs[0]!);
  t.comment(`median unfaulted rename ${killWindowMs} ms: kills land within that many ms of the start`);
  const outcomes: Outcome[] = [];
  const failures: string[] = [];
  let run = 0;
  for (const pair of pairs) {
    for (const fault of FAULTS) {
      const data = randomBytes(FILE_BYTES);
      const file = await dfs.open(pair.dirs[run % 2]!, `file-${run}`, O_CREAT | O_EXCL | O_RDWR, 0o644);
      await dfs.write(file, data, 0);
      dfs.release(file);
      const renamed = await renameUnderFault(dfs, pool, { pair, index: run, fault, killWindowMs });
      const { place, problems } = await checkRun(dfs, pair, run, data, renamed.told);
      const outcome: Outcome = { ...renamed, oclass: pair.oclass, place };
      outcomes.push(outcome);
      for (const problem of problems) failures.push(`run ${run} (seed ${SEED}) ${pair.oclass} ${fault} [${outcome.detail}, told ${outcome.told}]: ${problem}`);
      run++;
    }
  }
  for (const outcome of outcomes) {
    t.comment(`${outcome.oclass} ${outcome.fault}: ${outcome.detail}, ${outcome.fired ? 'engine died' : 'engine kept running'}, rename ${outcome.told}, name found at ${outcome.place}`);
  }
  t.comment(`engine restarts ${supervisor.restartCount}`);
  t.same(failures, [], 'every run: the name in exactly one directory (the target when the rename resolved), content intact, unlocked');
  const crashRuns = outcomes.filter((outcome) => outcome.fault !== 'none');
  t.ok(crashRuns.filter((outcome) => outcome.fired).length >= crashRuns.length * 0.75, 'the fault killed an engine in most runs');
  for (const pair of pairs) for (const dir of pair.dirs) dfs.release(dir);
});
