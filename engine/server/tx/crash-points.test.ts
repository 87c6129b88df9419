import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CrashPointName } from '../../../hw/faults.js';
import { H2TransportPool } from '../../client/h2-transport.js';
import { epochFromMs } from '../../wire/epoch.js';
import { EngineError } from '../../wire/errors.js';
import { ENGINE_POOL_CREATE } from '../../wire/rpc/engine.js';
import { ENGINE_FAULT_SET, TX_COMMIT, TX_DECIDE, TX_PREPARE, TX_RESOLVE } from '../../wire/rpc/tx.js';
import { type Engine, startEngine } from '../engine.js';
import { makeTempDir } from '../test-harness.js';
import { fetchOf, fetchText, mapOf, newTxid, prepareOf, putOp, silent, TARGETS, txRef, waitUntil } from './test-harness.js';

const FIXTURE = path.join(import.meta.dirname, 'crash-child.fixture.mjs');
const COMPILED = path.join(import.meta.dirname, '../../../dist/engine/server/engine.js');
const POOL = '2f0d6b8e-52a4-4d7e-9c3b-7a1e4c5d6f70';

interface Child {
  readonly address: string;
  readonly exited: Promise<NodeJS.Signals | null>;
}

/** Starts the fixture engine with fault injection allowed; resolves once it listens. */
async function startChild(dir: string): Promise<Child> {
  const child = spawn(process.execPath, [FIXTURE, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSDAOS_FAULTS: '1' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const [word, address] = line.split(' ');
    if (word === 'listening' && address !== undefined) return { address, exited };
  }
  throw new Error(`crash child exited before listening (${String(await exited)}): ${stderr}`);
}

/** What a crash at each point must leave behind, before and after the resolver ran. */
const CASES: Array<{ point: CrashPointName; killedBy: 'prepare' | 'decide' | 'commit'; intentsAfterCrash: number; committed: boolean }> = [
  { point: 'tx.prepare.before-persist', killedBy: 'prepare', intentsAfterCrash: 0, committed: false },
  { point: 'tx.prepare.after-persist', killedBy: 'prepare', intentsAfterCrash: 1, committed: false },
  { point: 'tx.decide.after-persist', killedBy: 'decide', intentsAfterCrash: 1, committed: true },
  { point: 'tx.commit.before-apply', killedBy: 'commit', intentsAfterCrash: 1, committed: true },
  { point: 'tx.commit.after-apply', killedBy: 'commit', intentsAfterCrash: 0, committed: true },
];

describe('crash points: kill -9 of a participant that is also the coordinator, at each step', () => {
  let temp: { dir: string; remove: () => void } | undefined;
  let engine: Engine | undefined;
  const peers = new H2TransportPool({ log: silent });

  afterAll(async () => {
    await peers.close();
  });

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    temp?.remove();
  });

  it.each(CASES)('$point -> all-or-nothing after restart and resolution', async ({ point, killedBy, intentsAfterCrash, committed }) => {
    expect(fs.existsSync(COMPILED), `build first (npm run build): ${COMPILED} is missing`).toBe(true);
    temp = makeTempDir('tsdaos-crash-');
    const child = await startChild(temp.dir);
    const rpc = peers.get(child.address);
    await rpc.call(ENGINE_POOL_CREATE, { pool: POOL, capacityBytesPerTarget: 0, map: mapOf(1, [child.address]) });
    await rpc.call(ENGINE_FAULT_SET, { point, after: 0 });
    const txid = newTxid();
    const at = epochFromMs(Date.now());
    // Participant target 1, coordinator target 0 of the same engine.
    const steps = {
      prepare: () => rpc.call(TX_PREPARE, prepareOf(POOL, { txid, epoch: at, ops: [putOp('crash', 'value')], target: 1 })),
      decide: () => rpc.call(TX_DECIDE, { ...txRef(POOL, txid, 0), epoch: at, decision: 'commit' }),
      commit: () => rpc.call(TX_COMMIT, { ...txRef(POOL, txid, 1), decision: 'commit' }),
    };
    for (const step of ['prepare', 'decide', 'commit'] as const) {
      if (step !== killedBy) {
        await steps[step]();
        continue;
      }
      await expect(steps[step]()).rejects.toBeInstanceOf(EngineError);
      break;
    }
    expect(await child.exited).toBe('SIGKILL');

    engine = await startEngine({ rank: 0, dir: temp.dir, listen: '127.0.0.1:0', targets: TARGETS, log: silent, aggregationIntervalMs: 3_600_000, txTimeoutMs: 600_000 });
    const participant = engine.vosTargets(POOL)![1]!;
    expect(participant.dtx.intentCount()).toBe(intentsAfterCrash);
    expect(engine.vosTargets(POOL)![0]!.dtx.decision(txid)).toBe(killedBy === 'prepare' ? undefined : 'commit');
    await engine.close();

    engine = await startEngine({ rank: 0, dir: temp.dir, listen: '127.0.0.1:0', targets: TARGETS, log: silent, aggregationIntervalMs: 3_600_000, txTimeoutMs: 100, txResolverIntervalMs: 20 });
    const reopened = engine.vosTargets(POOL)![1]!;
    await waitUntil('the resolver to finish the transaction', () => reopened.dtx.intentCount() === 0);
    const restarted = peers.get(engine.address);
    expect(await fetchText(restarted, fetchOf(POOL, { dkey: 'crash', target: 1, epoch: at }))).toBe(committed ? 'value' : null);
    const decision = (await restarted.call(TX_RESOLVE, { ...txRef(POOL, txid, 0), abortIfUndecided: false })).decision;
    expect(decision).toBe(intentsAfterCrash === 0 && !committed ? 'undecided' : committed ? 'commit' : 'abort');
  });
});
