import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochFromMs } from '../../wire/epoch.js';
import { Der } from '../../wire/errors.js';
import { OBJ_LIST_DKEYS, OBJ_PUNCH } from '../../wire/rpc/obj.js';
import { ENGINE_FAULT_SET, TX_COMMIT, TX_DECIDE, TX_PREPARE, TX_RESOLVE } from '../../wire/rpc/tx.js';
import { RawClient } from '../test-harness.js';
import {
  CONT, OID, TxTestBed, derOf, fetchOf, fetchText, newTxid, prepareOf, put, putOp, txRef, updateOf,
} from './test-harness.js';

describe('engine transactions (one engine, two targets)', () => {
  let bed: TxTestBed;
  let epoch = epochFromMs(Date.now());
  const next = (): number => ++epoch;

  beforeAll(async () => {
    // A long timeout: nothing here may be resolved behind the test's back.
    bed = await TxTestBed.start(1, { txTimeoutMs: 600_000 });
  });

  afterAll(async () => {
    await bed.close();
  });

  it('prepare on two targets, decide, commit -> all ops visible at the tx epoch on both, none before', async () => {
    const rpc = bed.rpc(0);
    const txid = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('rt-a', 'A'), putOp('rt-b', 'B')], target: 0 }));
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('rt-c', 'C')], target: 1 }));
    expect(await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: at, decision: 'commit' })).toEqual({ decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid, 0), decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid, 1), decision: 'commit' });
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'rt-a', epoch: at }))).toBe('A');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'rt-b', epoch: at }))).toBe('B');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'rt-c', epoch: at, target: 1 }))).toBe('C');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'rt-a', epoch: at - 1 }))).toBeNull();
    expect(bed.engine(0).vosTargets(bed.pool)![0]!.dtx.intentCount()).toBe(0);
    expect(bed.engine(0).txMetrics.commits).toBeGreaterThanOrEqual(2);
  });

  it('TX_COMMIT with forget at the coordinator -> its decision goes with its intents; tsdaos_tx_decisions counts those kept', async () => {
    const rpc = bed.rpc(0);
    const kept = (): number => {
      const line = new RegExp(`^tsdaos_tx_decisions\\{pool="${bed.pool}"\\} (\\d+)$`, 'm').exec(bed.engine(0).metrics.render());
      return Number(line?.[1]);
    };
    const txid = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('fg-a', 'A')], target: 0 }));
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('fg-b', 'B')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: at, decision: 'commit' });
    const decided = kept();
    expect(decided).toBeGreaterThanOrEqual(1);
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid, 1), decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid, 0), decision: 'commit', forget: true });
    expect(bed.engine(0).vosTargets(bed.pool)![0]!.dtx.decision(txid)).toBeUndefined();
    expect(kept()).toBe(decided - 1);
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'fg-a', epoch: at }))).toBe('A');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'fg-b', epoch: at, target: 1 }))).toBe('B');
  });

  it('prepare meeting a decided intent whose TX_COMMIT is still on the way -> applies it, then prepares', async () => {
    const rpc = bed.rpc(0);
    const first = newTxid();
    const firstAt = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: first, epoch: firstAt, ops: [putOp('chain', 'one')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, first, 0), epoch: firstAt, decision: 'commit' });
    const second = newTxid();
    const secondAt = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: second, epoch: secondAt, ops: [putOp('chain', 'two')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, second, 0), epoch: secondAt, decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, second, 1), decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, first, 1), decision: 'commit' });
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'chain', target: 1, epoch: firstAt }))).toBe('one');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'chain', target: 1 }))).toBe('two');
  });

  it('re-prepare with the same ops -> ok, once; commit of an unknown txid -> ok', async () => {
    const rpc = bed.rpc(0);
    const txid = newTxid();
    const request = prepareOf(bed.pool, { txid, epoch: next(), ops: [putOp('idem', 'v')] });
    await rpc.call(TX_PREPARE, request);
    await rpc.call(TX_PREPARE, request);
    expect(bed.engine(0).vosTargets(bed.pool)![0]!.dtx.intent(txid)?.parts).toBe(1);
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, newTxid()), decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid), decision: 'abort' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid), decision: 'abort' });
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'idem' }))).toBeNull();
  });

  it('two prepares on the same key -> the second TX_RESTART; after the first aborts, it prepares', async () => {
    const rpc = bed.rpc(0);
    const first = newTxid();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid: first, epoch: next(), ops: [putOp('hot', '1')] }));
    const second = prepareOf(bed.pool, { txid: newTxid(), epoch: next(), ops: [putOp('other', 'x'), putOp('hot', '2')] });
    const restartsBefore = bed.engine(0).txMetrics.restarts;
    expect(await derOf(rpc.call(TX_PREPARE, second))).toBe(Der.TX_RESTART);
    expect(bed.engine(0).txMetrics.restarts).toBe(restartsBefore + 1);
    // The failed prepare left nothing: 'other' is not locked.
    await put(rpc, updateOf(bed.pool, { dkey: 'other', value: 'free', epoch: next() }));
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, first), decision: 'abort' });
    await rpc.call(TX_PREPARE, { ...second, txid: newTxid(), epoch: next(), ops: [putOp('hot', '2')] });
  });

  it('write below a transactional read -> TX_RESTART (non-tx update and prepare); above -> ok', async () => {
    const rpc = bed.rpc(0);
    const readAt = next();
    await fetchText(rpc, fetchOf(bed.pool, { dkey: 'read-me', epoch: readAt, tx: newTxid() }));
    expect(await derOf(put(rpc, updateOf(bed.pool, { dkey: 'read-me', value: 'late', epoch: readAt - 1 })))).toBe(Der.TX_RESTART);
    const below = prepareOf(bed.pool, { txid: newTxid(), epoch: readAt - 1, ops: [putOp('read-me', 'late')] });
    expect(await derOf(rpc.call(TX_PREPARE, below))).toBe(Der.TX_RESTART);
    await put(rpc, updateOf(bed.pool, { dkey: 'read-me', value: 'later', epoch: next() }));
    // A read without tx records nothing.
    const plainAt = next();
    await fetchText(rpc, fetchOf(bed.pool, { dkey: 'plain', epoch: plainAt }));
    await put(rpc, updateOf(bed.pool, { dkey: 'plain', value: 'v', epoch: plainAt - 1 }));
  });

  it('list dkeys inside a tx -> object-level rts: a new dkey below it restarts', async () => {
    const rpc = bed.rpc(0);
    const listAt = next();
    await rpc.call(OBJ_LIST_DKEYS, { pool: bed.pool, cont: CONT, mapVersion: 1, target: 1, oid: OID, shard: 0, epoch: listAt, anchor: null, limit: 10, tx: newTxid() });
    expect(await derOf(put(rpc, updateOf(bed.pool, { dkey: 'phantom', value: 'p', epoch: listAt - 1, target: 1 })))).toBe(Der.TX_RESTART);
  });

  it('non-tx write on a locked key -> INPROGRESS; after commit -> succeeds', async () => {
    const rpc = bed.rpc(0);
    const txid = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('locked', 'tx')] }));
    expect(await derOf(put(rpc, updateOf(bed.pool, { dkey: 'locked', value: 'plain', epoch: next() })))).toBe(Der.INPROGRESS);
    const punch = { pool: bed.pool, cont: CONT, mapVersion: 1, target: 0, oid: OID, shard: 0, epoch: next() };
    expect(await derOf(rpc.call(OBJ_PUNCH, punch))).toBe(Der.INPROGRESS);
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: at, decision: 'commit' });
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid), decision: 'commit' });
    await put(rpc, updateOf(bed.pool, { dkey: 'locked', value: 'plain', epoch: next() }));
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'locked', epoch: at }))).toBe('tx');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'locked' }))).toBe('plain');
  });

  it('read meeting an undecided intent -> INPROGRESS; below its epoch or with its txid -> served', async () => {
    const rpc = bed.rpc(0);
    await put(rpc, updateOf(bed.pool, { dkey: 'pending', value: 'old', epoch: next() }));
    const txid = newTxid();
    const at = next();
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('pending', 'new')] }));
    expect(await derOf(fetchText(rpc, fetchOf(bed.pool, { dkey: 'pending' })))).toBe(Der.INPROGRESS);
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'pending', epoch: at - 1 }))).toBe('old');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'pending', epoch: at, tx: txid }))).toBe('old');
    await rpc.call(TX_COMMIT, { ...txRef(bed.pool, txid), decision: 'abort' });
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'pending' }))).toBe('old');
  });

  it('read meeting a decided intent (commit lost) -> resolved at the coordinator, applied and served', async () => {
    const rpc = bed.rpc(0);
    const txid = newTxid();
    const at = next();
    // Participant on target 1, coordinator on target 0 of the same engine: the local path.
    await rpc.call(TX_PREPARE, prepareOf(bed.pool, { txid, epoch: at, ops: [putOp('decided', 'yes')], target: 1 }));
    await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid, 0), epoch: at, decision: 'commit' });
    const before = bed.engine(0).txMetrics.resolutionsTotal('request');
    expect(await fetchText(rpc, fetchOf(bed.pool, { dkey: 'decided', target: 1 }))).toBe('yes');
    expect(bed.engine(0).txMetrics.resolutionsTotal('request')).toBe(before + 1);
    expect(bed.engine(0).vosTargets(bed.pool)![1]!.dtx.intent(txid)).toBeUndefined();
  });

  it('decide is first-wins; TX_RESOLVE: undecided, or abort when abortIfUndecided', async () => {
    const rpc = bed.rpc(0);
    const txid = newTxid();
    expect((await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: next(), decision: 'commit' })).decision).toBe('commit');
    expect((await rpc.call(TX_DECIDE, { ...txRef(bed.pool, txid), epoch: next(), decision: 'abort' })).decision).toBe('commit');
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, txid), abortIfUndecided: true })).decision).toBe('commit');
    const other = newTxid();
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, other), abortIfUndecided: false })).decision).toBe('undecided');
    expect((await rpc.call(TX_RESOLVE, { ...txRef(bed.pool, other), abortIfUndecided: true })).decision).toBe('abort');
    expect((await rpc.call(TX_DECIDE, { ...txRef(bed.pool, other), epoch: next(), decision: 'commit' })).decision).toBe('abort');
  });

  it('conditions at prepare -> EXIST, nothing locked; stale map -> STALE; bad target -> INVAL', async () => {
    const rpc = bed.rpc(0);
    await put(rpc, updateOf(bed.pool, { dkey: 'exists', value: 'v', epoch: next() }));
    const insert = prepareOf(bed.pool, { txid: newTxid(), epoch: next(), ops: [putOp('exists', 'again', { dkeyCond: 'insert' })] });
    expect(await derOf(rpc.call(TX_PREPARE, insert))).toBe(Der.EXIST);
    await put(rpc, updateOf(bed.pool, { dkey: 'exists', value: 'still free', epoch: next() }));
    expect(await derOf(rpc.call(TX_PREPARE, { ...insert, mapVersion: 0 }))).toBe(Der.STALE);
    expect(await derOf(rpc.call(TX_COMMIT, { ...txRef(bed.pool, newTxid(), 5), decision: 'commit' }))).toBe(Der.INVAL);
  });

  it('ENGINE_FAULT_SET without TSDAOS_FAULTS=1 -> NO_PERM; metrics expose the tx counters', async () => {
    expect(await derOf(bed.rpc(0).call(ENGINE_FAULT_SET, { point: 'tx.commit.after-apply', after: 0 }))).toBe(Der.NO_PERM);
    const raw = new RawClient(bed.engine(0).address);
    const text = (await raw.get('/metrics')).body.toString();
    await raw.close();
    expect(text).toMatch(/# TYPE tsdaos_tx_prepares_total counter/);
    expect(text).toMatch(/tsdaos_tx_commits_total [1-9]/);
    expect(text).toMatch(/tsdaos_tx_resolutions_total\{by="request"\} [1-9]/);
  });
});
