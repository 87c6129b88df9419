import { afterEach, describe, expect, it } from 'vitest';
import { epochFromMs } from '../../wire/epoch.js';
import { Der } from '../../wire/errors.js';
import { TX_COMMIT, TX_DECIDE, TX_PREPARE, TX_RESOLVE } from '../../wire/rpc/tx.js';
import {
  TxTestBed, derOf, fetchOf, fetchText, newTxid, prepareOf, put, putOp, txRef, updateOf, waitUntil,
} from './test-harness.js';

/** Short enough for tests, long enough that a prepare never times out while the test drives it. */
const SHORT = { txTimeoutMs: 300, txResolverIntervalMs: 50 };
const LONG = { txTimeoutMs: 600_000 };

let epoch = epochFromMs(Date.now());
const next = (): number => ++epoch;

describe('transaction recovery', () => {
  let bed: TxTestBed | undefined;

  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it('resolver: an orphaned prepare is aborted at its coordinator after the timeout, and its key unlocked', async () => {
    bed = await TxTestBed.start(1, SHORT);
    const rpc = bed.rpc(0);
    const txid = newTxid();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: next(), ops: [putOp('orphan', 'never')], target: 1 }));
    expect(await derOf(put(rpc, updateOf(bed.pool, { dkey: 'orphan', value: 'plain', epoch: next(), target: 1 })))).toBe(Der.INPROGRESS);
    const vos = bed.engine(0).vosTargets(bed.pool)![1]!;
    await waitUntil('the orphan to be resolved', () => vos.dtx.intentCount() === 0);
    expect(bed.engine(0).txMetrics.resolutionsTotal('resolver')).toBe(1);
    expect(bed.engine(0).txMetrics.aborts).toBe(1);
    // The client that comes back learns that its transaction was aborted.
    expect((await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: next(), decision: 'commit' })).decision).toBe('abort');
    await put(rpc, updateOf(bed.pool, { dkey: 'orphan', value: 'plain', epoch: next(), target: 1 }));
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'orphan', target: 1 }))).toBe('plain');
  });

  it('old aborts are forgotten by their coordinator, commits are not; a transaction whose abort was forgotten stays aborted', async () => {
    bed = await TxTestBed.start(1, { ...SHORT, txAbortKeepMs: 300 });
    const rpc = bed.rpc(0);
    const vos = bed.engine(0).vosTargets(bed.pool)![0]!;
    const [aborted, committed] = [newTxid(), newTxid()];
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: aborted, epoch: at, ops: [putOp('aged', 'never')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, aborted), epoch: at, decision: 'abort' });
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, committed), epoch: next(), decision: 'commit' });
    expect([vos.dtx.decision(aborted), vos.dtx.decision(committed)]).toEqual(['abort', 'commit']);
    await waitUntil('the abort to be forgotten', () => vos.dtx.decision(aborted) === undefined);
    expect(vos.dtx.decision(committed)).toBe('commit');
    // Its intent (its TX_COMMIT never sent) is resolved as undecided transactions are: aborted.
    const participant = bed.engine(0).vosTargets(bed.pool)![1]!;
    await waitUntil('the intent to be resolved', () => participant.dtx.intentCount() === 0);
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'aged', target: 1 }))).toBeNull();
  });

  it('restart: intents, locks and decisions survive; a decided one is applied, an undecided one aborted', async () => {
    bed = await TxTestBed.start(1, LONG);
    let rpc = bed.rpc(0);
    const decided = newTxid();
    const undecided = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: decided, epoch: at, ops: [putOp('keep', 'committed')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, decided, 0), epoch: at, decision: 'commit' });
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: undecided, epoch: next(), ops: [putOp('drop', 'never')], target: 1 }));
    await bed.stopRank(0);

    await bed.startRank(0, LONG);
    rpc = bed.rpc(0);
    const vos = bed.engine(0).vosTargets(bed.pool)![1]!;
    expect(vos.dtx.intentCount()).toBe(2);
    expect(await derOf(put(rpc, updateOf(bed.pool, { dkey: 'drop', value: 'x', epoch: next(), target: 1 })))).toBe(Der.INPROGRESS);
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, decided, 0), abortIfUndecided: false })).decision).toBe('commit');
    await bed.stopRank(0);

    await bed.startRank(0, SHORT);
    rpc = bed.rpc(0);
    const reopened = bed.engine(0).vosTargets(bed.pool)![1]!;
    await waitUntil('both intents to be resolved', () => reopened.dtx.intentCount() === 0);
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'keep', epoch: at, target: 1 }))).toBe('committed');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'drop', target: 1 }))).toBeNull();
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, undecided, 0), abortIfUndecided: false })).decision).toBe('abort');
  });

  it('remote coordinator: a reader resolves through TX_RESOLVE; a coordinator that restarted on a new port is found', async () => {
    bed = await TxTestBed.start(2, LONG);
    const coordinator = { rank: 0, target: 0 };
    const decided = newTxid();
    const at = next();
    await bed.rpc(1).call(TX_PREPARE, prepareOf(bed.pool, { txid: decided, epoch: at, ops: [putOp('remote', 'yes')], coordinator }));
    await bed.rpc(0).call(TX_DECIDE, { ...txRef(bed.pool, decided, 0), epoch: at, decision: 'commit' });
    expect(await fetchText(bed.rpc(1), fetchOf(bed.pool, { dkey: 'remote' }))).toBe('yes');
    expect(bed.engine(1).txMetrics.resolutionsTotal('request')).toBe(1);

    const stranded = newTxid();
    await bed.rpc(1).call(TX_PREPARE, prepareOf(bed.pool, { txid: stranded, epoch: next(), ops: [putOp('stranded', 'no')], coordinator }));
    await bed.stopRank(0);
    // Coordinator down: readers get INPROGRESS, the resolver cannot decide anything.
    expect(await derOf(fetchText(bed.rpc(1), fetchOf(bed.pool, { dkey: 'stranded' })))).toBe(Der.INPROGRESS);
    expect(await bed.engine(1).resolveTransactionsNow()).toBe(0);
    await bed.startRank(0, LONG);
    // Restarted on another port: the pool map still names the old one, the system file the new one.
    await bed.stopRank(1);
    await bed.startRank(1, SHORT);
    const vos = bed.engine(1).vosTargets(bed.pool)![0]!;
    await waitUntil('the stranded intent to be resolved', () => vos.dtx.intentCount() === 0);
    expect((await bed.rpc(0).call(TX_RESOLVE, { ...txRef(bed.pool, stranded, 0), abortIfUndecided: false })).decision).toBe('abort');
    expect(await fetchText(bed.rpc(1), fetchOf(bed.pool, { dkey: 'stranded' }))).toBeNull();
  });

  it('commit racing the resolver: whichever decision is recorded first is the one applied everywhere', async () => {
    bed = await TxTestBed.start(1, LONG);
    const rpc = bed.rpc(0);
    const txid = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('race', 'tx')], target: 0 }));
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('race', 'tx')], target: 1 }));
    // The resolver of one participant forces abort first; the client's commit decision then loses.
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, txid, 0), abortIfUndecided: true })).decision).toBe('abort');
    expect((await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid, 0), epoch: at, decision: 'commit' })).decision).toBe('abort');
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid, 0), decision: 'abort' });
    // Target 1 never got its TX_COMMIT: a reader settles it from the coordinator's decision.
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'race', target: 1 }))).toBeNull();
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'race', target: 0 }))).toBeNull();
  });
});
