/**
 * Distributed transactions under kill -9, end to end: three engine processes with crash points enabled
 * (TSDAOS_FAULTS=1) and a 300 ms undecided-intent timeout, a pool that never excludes a dead engine
 * (selfHeal 'none'), KV objects of classes S1 (two per engine) and RP_3G1. Each randomized run (seeded;
 * the seed is printed, TSDAOS_TX_FAULTS_SEED replays it) writes 2-4 keys of different objects in one
 * transaction under one fault: an engine crash point armed on a participant or the coordinator, the
 * transaction driver (a child process) killed after some but not all prepares or right after the
 * decision, or none. Dead engines are restarted at once (EngineSupervisor). Then every key must read
 * all-old or all-new — all-new if the client was told commit, all-old if it was told failure or died
 * before deciding — and a plain write + read of each key must succeed within a bounded time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import {
  type ContHandle, H2TransportPool, OutcomeUnknownError, type PoolHandle, connectPool, isEngineError,
} from '../../engine/client/index.js';
import { planCommit, type TxPlan } from '../../engine/client/tx-plan.js';
import { ENGINE_PING } from '../../engine/wire/rpc/engine.js';
import { POOL_CREATE } from '../../engine/wire/rpc/pool.js';
import { ENGINE_FAULT_SET } from '../../engine/wire/rpc/tx.js';
import { DIST } from '../harness/cli.js';
import { EngineSupervisor } from '../harness/engine-supervisor.js';
import { startTestCluster } from '../harness/local-cluster.js';
import { type KvSlot, createSlots, pickOne, pickSlots, randomInt, seededRandom } from '../harness/tx-keys.js';
import type { DriverSpec } from '../fixtures/tx-driver.js';

const SEED = Number(process.env['TSDAOS_TX_FAULTS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env['TSDAOS_TX_FAULTS_RUNS'] ?? 210);
const TX_TIMEOUT_MS = 300;
/**
 * From the end of a run's transaction to every key written and read back by a plain client: an engine
 * restart (~1 s), the intent timeout, a resolver pass (500 ms) and one resolve RPC deadline (2 s).
 */
const UNLOCK_BOUND_MS = 6_000;
/** How long reads keep riding out engines still restarting before the run fails outright. */
const READ_DEADLINE_MS = 30_000;
/** Effectively disarms a crash point that did not fire (hw/faults.ts CRASH_POINT_AFTER_MAX). */
const NEVER = 1_000_000;
const CRASH_POINTS = ['tx.prepare.before-persist', 'tx.prepare.after-persist', 'tx.decide.after-persist', 'tx.commit.before-apply', 'tx.commit.after-apply'] as const;
const FAULT_KINDS = [...CRASH_POINTS, 'driver-kill', 'none'] as const;
type FaultKind = (typeof FAULT_KINDS)[number];
/** What the client learnt: commit decided, nothing committed, or nothing known. */
type Told = 'commit' | 'abort' | 'unknown';

interface RunRecord { kind: FaultKind; detail: string; told: Told; seen: 'old' | 'new' | 'mixed'; unlockMs: number; fired: boolean }

t.setTimeout(900_000);
t.comment(`tx-faults seed ${SEED} (replay: TSDAOS_TX_FAULTS_SEED=${SEED}), ${RUNS} runs`);
const random = seededRandom(SEED);
const cluster = await startTestCluster({
  engines: 3, targets: 2, prefix: 'txfaults', env: { TSDAOS_FAULTS: '1', TSDAOS_TX_TIMEOUT_MS: String(TX_TIMEOUT_MS) },
});
const supervisor = new EngineSupervisor(cluster);
const transports = new H2TransportPool();
let pool: PoolHandle | undefined;
t.teardown(async () => {
  supervisor.stop();
  await pool?.disconnect().catch(() => undefined);
  await transports.close();
  await cluster.stop();
});

function address(rank: number): string {
  return cluster.up.system.engines.find((engine) => engine.rank === rank)!.address;
}

/** Waits until `rank` answers a ping (from a restarted process if it died); resolves with the answering pid. */
async function awaitServing(rank: number): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    if (cluster.isRunning(rank)) {
      const pid = cluster.engines.get(rank)!.pid;
      const answer = await transports.get(address(rank)).call(ENGINE_PING, {}, { timeoutMs: 200 }).catch(() => undefined);
      if (answer !== undefined && answer.pid === pid) return pid;
    }
    await supervisor.settle();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`rank ${rank} neither answers nor exits`);
}

/** Arms `point` on a participant's (or the coordinator's) engine; returns the rank and countdown. */
async function armCrash(point: (typeof CRASH_POINTS)[number], plan: TxPlan): Promise<{ rank: number; after: number }> {
  const rank = point === 'tx.decide.after-persist' ? plan.coordinator.rank : pickOne(random, plan.participants).rank;
  const local = plan.participants.filter((participant) => participant.rank === rank).length;
  const after = point !== 'tx.decide.after-persist' && local >= 2 && random() < 0.5 ? 1 : 0;
  await transports.get(address(rank)).call(ENGINE_FAULT_SET, { point, after });
  return { rank, after };
}

/**
 * The transaction in this process; what the caller was told. `decideWaitMs` shorter than an engine
 * restart makes a dead coordinator an unknown outcome.
 */
async function runInProcess(cont: ContHandle, chosen: readonly KvSlot[], fresh: readonly string[], decideWaitMs?: number): Promise<Told> {
  const tx = await cont.txOpen(decideWaitMs === undefined ? {} : { limits: { decideWaitMs } });
  if (random() < 0.5) {
    for (const slot of chosen) {
      const current = (await tx.kv(slot.oid).get(slot.key))?.toString();
      if (current !== slot.value) throw new Error(`tx read ${slot.oidText}/${slot.key}: ${current} != ${slot.value}`);
    }
  }
  chosen.forEach((slot, index) => tx.kv(slot.oid).put(slot.key, Buffer.from(fresh[index]!)));
  try {
    await tx.commit();
  } catch (error) {
    if (error instanceof OutcomeUnknownError) return 'unknown';
    if (!isEngineError(error)) throw error;
    return 'abort';
  }
  await tx.applied();
  return 'commit';
}

/** The transaction in a child process, SIGKILLed at its stop point; what that process had learnt. */
async function runDriver(chosen: readonly KvSlot[], fresh: readonly string[], plan: TxPlan): Promise<{ told: Told; detail: string }> {
  const stop: DriverSpec['stop'] = random() < 0.5 ? { stage: 'decided' } : { stage: 'prepared', count: randomInt(random, 1, plan.participants.length - 1) };
  const spec: DriverSpec = {
    systemFile: cluster.up.systemFile, pool: 'txpool', cont: 'txc', stop,
    puts: chosen.map((slot, index) => ({ oid: slot.oidText, key: slot.key, value: fresh[index]! })),
  };
  const child = spawn(process.execPath, [join(DIST, 'test', 'fixtures', 'tx-driver.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('driver did not reach its stop point in 30 s')), 30_000);
    createInterface({ input: child.stdout }).on('line', (text) => {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      if (parsed['stage'] === 'committing') return;
      clearTimeout(timer);
      resolve(parsed);
    });
    child.once('exit', () => reject(new Error('driver exited before its stop point')));
  });
  child.kill('SIGKILL');
  await exited;
  if (line['stage'] === 'error') throw new Error(`driver failed: ${String(line['message'])}`);
  const detail = stop.stage === 'decided' ? `killed after decide=${String(line['decision'])}` : `killed after ${stop.count}/${plan.participants.length} prepares`;
  return { told: line['stage'] === 'decided' && line['decision'] === 'commit' ? 'commit' : 'abort', detail };
}

/** Reads every chosen key (riding out engines still restarting) and says which version they show. */
async function readState(chosen: readonly KvSlot[], fresh: readonly string[]): Promise<'old' | 'new' | 'mixed'> {
  const deadline = Date.now() + READ_DEADLINE_MS;
  for (;;) {
    try {
      const values = await Promise.all(chosen.map(async (slot) => (await slot.kv.get(slot.key))?.toString()));
      if (values.every((value, index) => value === chosen[index]!.value)) return 'old';
      if (values.every((value, index) => value === fresh[index])) return 'new';
      return 'mixed';
    } catch (error) {
      if (!isEngineError(error) || Date.now() > deadline) throw error;
      await supervisor.settle();
    }
  }
}

/** A plain write and read of every chosen key; resolves when all match. */
async function writeAndReadBack(chosen: readonly KvSlot[], run: number): Promise<void> {
  await Promise.all(chosen.map(async (slot) => {
    const value = `plain-${run}-${slot.key}`;
    await slot.kv.put(slot.key, Buffer.from(value));
    const got = (await slot.kv.get(slot.key))?.toString();
    if (got !== value) throw new Error(`plain write of ${slot.oidText}/${slot.key} read back ${got}`);
    slot.value = value;
  }));
}

/** Fault kinds in random order, each exactly once per block of FAULT_KINDS.length runs (balanced matrix). */
function faultSchedule(runs: number): FaultKind[] {
  const schedule: FaultKind[] = [];
  while (schedule.length < runs) {
    const block = [...FAULT_KINDS];
    for (let index = block.length - 1; index > 0; index--) {
      const other = randomInt(random, 0, index);
      [block[index], block[other]] = [block[other]!, block[index]!];
    }
    schedule.push(...block);
  }
  return schedule.slice(0, runs);
}

async function oneRun(cont: ContHandle, slots: readonly KvSlot[], run: number, kind: FaultKind): Promise<RunRecord> {
  const chosen = pickSlots(random, slots, 4);
  const fresh = chosen.map((slot) => `tx-${run}-${slot.key}-${randomInt(random, 0, 1e9)}`);
  const plan = planCommit(chosen.map((slot) => ({ type: 'update', oid: slot.oid, dkey: Buffer.from(slot.key), iods: [] })), (oid) => pool!.layout(oid), pool!.map.version);
  let told: Told;
  let detail = `${chosen.length} keys, ${plan.participants.length} participants`;
  let fired = false;
  if (kind === 'driver-kill') {
    const driven = await runDriver(chosen, fresh, plan);
    told = driven.told;
    detail += `, ${driven.detail}`;
  } else if (kind === 'none') {
    told = await runInProcess(cont, chosen, fresh);
  } else {
    const armed = await armCrash(kind, plan);
    const pidBefore = cluster.engines.get(armed.rank)!.pid;
    // Half of the coordinator crashes are waited out (the decision is read back after the restart), half
    // give up first and report an unknown outcome.
    const impatient = kind === 'tx.decide.after-persist' && random() < 0.5;
    told = await runInProcess(cont, chosen, fresh, impatient ? 100 : undefined);
    fired = (await awaitServing(armed.rank)) !== pidBefore;
    if (!fired) await transports.get(address(armed.rank)).call(ENGINE_FAULT_SET, { point: kind, after: NEVER });
    detail += `, rank ${armed.rank} after=${armed.after}${impatient ? ', decide wait 100 ms' : ''}`;
  }
  const started = Date.now();
  await supervisor.settle();
  const seen = await readState(chosen, fresh);
  await writeAndReadBack(chosen, run);
  return { kind, detail, told, seen, unlockMs: Date.now() - started, fired };
}

function verdict(record: RunRecord): string | undefined {
  if (record.seen === 'mixed') return 'keys show a mix of old and new values';
  if (record.told === 'commit' && record.seen !== 'new') return 'client was told commit but the old values remain';
  if (record.told === 'abort' && record.seen !== 'old') return 'client was told failure (or died before deciding) but new values appeared';
  if (record.unlockMs > UNLOCK_BOUND_MS) return `keys stayed locked ${record.unlockMs} ms`;
  return undefined;
}

t.test(`tx faults: ${RUNS} randomized runs stay atomic and never leave a key locked`, { timeout: 900_000 }, async (t) => {
  await transports.get(address(0)).call(POOL_CREATE, {
    label: 'txpool', capacityBytesPerTarget: 0, props: { rdFac: 2, spaceRbPercent: 0, selfHeal: 'none' },
  });
  pool = await connectPool({ system: cluster.up.system, pool: 'txpool' });
  await pool.createContainer({ label: 'txc' });
  const cont = await pool.openContainer('txc');
  const slots = await createSlots(pool, cont, { ranks: 3, perRank: 2, replicated: 2, keysPerObject: 3, initial: (index) => `initial-${index}` });
  const records: RunRecord[] = [];
  const failures: string[] = [];
  const schedule = faultSchedule(RUNS);
  for (let run = 0; run < RUNS; run++) {
    const record = await oneRun(cont, slots, run, schedule[run]!);
    records.push(record);
    const problem = verdict(record);
    if (problem !== undefined) failures.push(`run ${run} (seed ${SEED}) ${record.kind} [${record.detail}] told ${record.told}, saw ${record.seen}: ${problem}`);
  }
  const matrix = FAULT_KINDS.map((kind) => {
    const of = records.filter((record) => record.kind === kind);
    const told = (what: Told): number => of.filter((record) => record.told === what).length;
    const sawNew = of.filter((record) => record.seen === 'new').length;
    return `${kind}: ${of.length} runs (fired ${of.filter((record) => record.fired).length}; told commit ${told('commit')}, abort ${told('abort')}, unknown ${told('unknown')}; saw new ${sawNew}, old ${of.length - sawNew})`;
  });
  t.comment(`seed ${SEED}; engine restarts ${supervisor.restartCount}; slowest unlock ${Math.max(...records.map((record) => record.unlockMs))} ms`);
  for (const line of matrix) t.comment(line);
  t.same(failures, [], 'every run atomic, consistent with what the client was told, and unlocked in time');
  const crashRuns = records.filter((record) => (CRASH_POINTS as readonly string[]).includes(record.kind));
  t.ok(crashRuns.filter((record) => record.fired).length >= crashRuns.length * 0.8, 'crash points fired in most crash runs');
});
