import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import { OBJ, ep, getArray, getSingle, getText, key, listAll, openTempTarget, putArray, putSingle, type TempTarget } from './test-harness.js';
import { Der, isEngineError } from '../wire/errors.js';
import { VosTarget } from './vos-target.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

describe('vos persistence', () => {
  it('a target open elsewhere is refused DER_BUSY, and opens once the holder closed it', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 'kept' });
    let refusal: unknown;
    try {
      VosTarget.open({ dir: temp.dir }).close();
    } catch (error) {
      refusal = error;
    }
    expect(isEngineError(refusal, Der.BUSY), String(refusal)).toBe(true);
    expect(getText(temp.reopen(), { dkey: 'd', akey: 'a', epoch: 1 })).toBe('kept');
  });

  it('reopen: values, blob data, punches, usage and the free list survive close/open', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'small', epoch: 1, value: 'tiny' });
    putSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 1, value: Buffer.alloc(20_000, 9) });
    putSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 2, value: Buffer.alloc(20_000, 8) });
    putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 2, index: 4, count: 3, data: 'xyz' });
    temp.vos.punch({ ...OBJ, dkey: key('gone'), epoch: ep(3) });
    temp.vos.aggregate({ retained: [], upTo: ep(2) });
    const usage = temp.vos.usage();
    expect(usage.blobFreeBytes).toBeGreaterThan(0);
    const vos = temp.reopen();
    expect(getText(vos, { dkey: 'd', akey: 'small', epoch: 5 })).toBe('tiny');
    expect(getSingle(vos, { dkey: 'd', akey: 'big', epoch: 5 })!.equals(Buffer.alloc(20_000, 8))).toBe(true);
    expect(getArray(vos, { dkey: 'd', akey: 'arr', epoch: 5, index: 4, count: 3 }).toString()).toBe('xyz');
    expect(vos.usage()).toEqual(usage);
    expect(vos.queryMaxEpoch(OBJ)).toBe(3);
    // Freed blob space from before the reopen is reused.
    putSingle(vos, { dkey: 'd', akey: 'again', epoch: 6, value: Buffer.alloc(20_000, 7) });
    expect(vos.usage().blobFileBytes).toBe(usage.blobFileBytes);
  });

  it('reopen: seq keeps increasing, so same-epoch update/punch order still follows arrival', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 5, value: 'before' });
    const vos = temp.reopen();
    vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(5) });
    expect(getText(vos, { dkey: 'd', akey: 'a', epoch: 5 })).toBeNull();
    const again = temp.reopen();
    putSingle(again, { dkey: 'd', akey: 'a', epoch: 5, value: 'after' });
    expect(getText(again, { dkey: 'd', akey: 'a', epoch: 5 })).toBe('after');
  });

  it('reopen: seq stays above rows deleted by aggregation', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 'v1' });
    putSingle(temp.vos, { dkey: 'x', akey: 'a', epoch: 1, value: 'x1' });
    temp.vos.punch({ ...OBJ, dkey: key('x'), epoch: ep(2) });
    temp.vos.aggregate({ retained: [], upTo: ep(3) });
    const cursor = temp.vos.exportSince({ sinceEpoch: ep(0), cursor: null, limit: 1 }).cursor;
    const vos = temp.reopen();
    putSingle(vos, { dkey: 'new', akey: 'a', epoch: 4, value: 'n' });
    const rest = vos.exportSince({ sinceEpoch: ep(0), cursor, limit: 10 }).records;
    expect(rest.map((record) => ('dkey' in record ? record.dkey.toString() : ''))).toEqual(['new']);
  });
});

/** Must match valueOf in kill9-child.fixture.mjs. */
function valueOf(i: number): Buffer {
  const length = i % 4 === 0 ? 4096 + ((i * 37) % 9000) : 8 + ((i * 13) % 200);
  const value = Buffer.alloc(length);
  for (let b = 8; b < length; b++) value[b] = (i * 31 + b) & 0xff;
  value.writeDoubleBE(i, 0);
  return value;
}

const HOT_KEYS = 50;
const KILL9_REF = { cont: 'kill9-cont', oid: Buffer.alloc(16, 1), shard: 0 };
const FIXTURE = path.join(import.meta.dirname, 'kill9-child.fixture.mjs');
const COMPILED = path.join(import.meta.dirname, '../../dist/engine/vos/index.js');

interface Acks {
  log: number[];
  hot: Map<number, number>;
  maxIndex: number;
}

/** Runs the child until it has acknowledged `ackTarget` writes, then SIGKILLs it. */
async function runAndKill(dir: string, first: number, ackTarget: number): Promise<Acks> {
  const child = spawn(process.execPath, [FIXTURE, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Acks = { log: [], hot: new Map(), maxIndex: first };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let count = 0;
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const [, kind, index] = line.split(' ');
    const i = Number(index);
    if (kind === 'log') acks.log.push(i);
    else acks.hot.set(i % HOT_KEYS, Math.max(acks.hot.get(i % HOT_KEYS) ?? -1, i));
    acks.maxIndex = Math.max(acks.maxIndex, i);
    if (++count === ackTarget) child.kill('SIGKILL');
  }
  const signal = await exited;
  expect(stderr).toBe('');
  expect(signal).toBe('SIGKILL');
  return acks;
}

function checkAcknowledged(vos: VosTarget, acks: Acks): void {
  for (const i of acks.log) {
    const [value] = vos.fetch({ ...KILL9_REF, dkey: key(`log-${i}`), epoch: ep(i + 1), iods: [{ akey: key('v'), type: 'single' }] });
    expect(value?.type === 'single' && value.value?.equals(valueOf(i)), `log write ${i}`).toBe(true);
  }
  for (const [slot, acked] of acks.hot) {
    const [single] = vos.fetch({ ...KILL9_REF, dkey: key(`hot-${slot}`), epoch: EPOCH_MAX, iods: [{ akey: key('v'), type: 'single' }] });
    const value = single?.type === 'single' ? single.value : null;
    expect(value, `hot slot ${slot}`).not.toBeNull();
    // The newest value is the acknowledged one, or a later write that committed before the kill.
    const written = value!.readDoubleBE(0);
    expect(written).toBeGreaterThanOrEqual(acked);
    expect(value!.equals(valueOf(written))).toBe(true);
    const records = Math.floor(value!.length / 8);
    const [array] = vos.fetch({
      ...KILL9_REF, dkey: key(`hot-${slot}`), epoch: EPOCH_MAX,
      iods: [{ akey: key('arr'), type: 'array', recordSize: 8, extents: [{ index: 0, count: records }] }],
    });
    expect(array?.type === 'array' && array.data.equals(value!.subarray(0, records * 8))).toBe(true);
  }
}

describe('vos kill -9', () => {
  it('kill -9 mid-stream: every acknowledged update is readable after reopen, across three crashes', async () => {
    expect(fs.existsSync(COMPILED), `build first (npm run build): ${COMPILED} is missing`).toBe(true);
    const dir = temp.dir;
    temp.vos.close();
    let first = 0;
    const all: Acks = { log: [], hot: new Map(), maxIndex: 0 };
    for (let crash = 0; crash < 3; crash++) {
      const acks = await runAndKill(dir, first, 300 + Math.floor(Math.random() * 400));
      all.log.push(...acks.log);
      for (const [slot, i] of acks.hot) all.hot.set(slot, Math.max(all.hot.get(slot) ?? -1, i));
      const vos = temp.reopen();
      checkAcknowledged(vos, all);
      expect(listAll(vos, { epoch: EPOCH_MAX, ref: KILL9_REF, limit: 4096 }).length).toBeGreaterThanOrEqual(all.log.length);
      vos.close();
      // Indexes after the last acknowledged one may have committed unacknowledged; skip past them.
      first = acks.maxIndex + 10;
    }
    temp.vos = temp.reopen();
  });
});
