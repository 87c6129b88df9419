import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Der } from '../../wire/errors.js';
import { EPOCH_MAX } from '../../wire/epoch.js';
import { OBJ, TEST_CONT, derOf, ep, getText, key, listAll, oidOf, openTempTarget, putSingle, type TempTarget } from '../test-harness.js';
import type { DtxOp, DtxPrepareRequest } from './operation.js';

const COORD = { rank: 0, target: 0 };

function put(dkey: string, akey: string, value: string, oid = OBJ.oid): DtxOp {
  return { type: 'update', oid, shard: 0, dkey: key(dkey), iods: [{ akey: key(akey), type: 'single', value: Buffer.from(value) }] };
}

function request(epoch: number, ops: DtxOp[], txid = randomBytes(16)): DtxPrepareRequest {
  return { txid, cont: TEST_CONT, epoch: ep(epoch), coordinator: COORD, ops, nowMs: Date.now() };
}

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

describe('vos dtx', () => {
  it('prepare then commit -> every op visible at the tx epoch, none before, locks gone', () => {
    const tx = request(100, [put('a', 'x', 'A'), put('b', 'x', 'B'), { type: 'punch', oid: OBJ.oid, shard: 0, dkey: key('old') }]);
    putSingle(temp.vos, { dkey: 'old', akey: 'x', epoch: 50, value: 'gone' });
    expect(temp.vos.dtx.prepare(tx)).toBe('prepared');
    expect(getText(temp.vos, { dkey: 'a', akey: 'x', epoch: EPOCH_MAX })).toBeNull();
    expect(temp.vos.dtx.intentCount()).toBe(1);
    expect(temp.vos.dtx.finish(tx.txid, 'commit')).toBe(1);
    expect(getText(temp.vos, { dkey: 'a', akey: 'x', epoch: 100 })).toBe('A');
    expect(getText(temp.vos, { dkey: 'b', akey: 'x', epoch: 100 })).toBe('B');
    expect(getText(temp.vos, { dkey: 'a', akey: 'x', epoch: 99 })).toBeNull();
    expect(getText(temp.vos, { dkey: 'old', akey: 'x', epoch: 100 })).toBeNull();
    expect(temp.vos.dtx.intentCount()).toBe(0);
    expect(temp.vos.dtx.finish(tx.txid, 'commit')).toBe(0);
  });

  it('abort -> nothing applied; unknown txid -> 0', () => {
    const tx = request(100, [put('a', 'x', 'A')]);
    temp.vos.dtx.prepare(tx);
    expect(temp.vos.dtx.finish(tx.txid, 'abort')).toBe(1);
    expect(getText(temp.vos, { dkey: 'a', akey: 'x', epoch: EPOCH_MAX })).toBeNull();
    expect(temp.vos.dtx.finish(randomBytes(16), 'commit')).toBe(0);
  });

  it('same txid and ops again -> repeated; other epoch -> INVAL', () => {
    const tx = request(100, [put('a', 'x', 'A')]);
    expect(temp.vos.dtx.prepare(tx)).toBe('prepared');
    expect(temp.vos.dtx.prepare({ ...tx, nowMs: tx.nowMs + 5 })).toBe('repeated');
    expect(derOf(() => temp.vos.dtx.prepare({ ...tx, epoch: ep(101) }))).toBe(Der.INVAL);
    expect(temp.vos.dtx.intent(tx.txid)?.parts).toBe(1);
  });

  it('conflicts -> TX_RESTART: held dkey, held object, newer committed version, read above the epoch', () => {
    temp.vos.dtx.prepare(request(100, [put('a', 'x', 'A')]));
    expect(derOf(() => temp.vos.dtx.prepare(request(101, [put('a', 'y', 'B')])))).toBe(Der.TX_RESTART);
    expect(derOf(() => temp.vos.dtx.prepare(request(101, [{ type: 'punch', oid: OBJ.oid, shard: 0 }])))).toBe(Der.TX_RESTART);
    putSingle(temp.vos, { dkey: 'c', akey: 'x', epoch: 200, value: 'new' });
    expect(derOf(() => temp.vos.dtx.prepare(request(150, [put('c', 'x', 'C')])))).toBe(Der.TX_RESTART);
    temp.vos.dtx.recordRead({ ...OBJ, dkey: key('d'), epoch: 300, tx: randomBytes(16) });
    expect(derOf(() => temp.vos.dtx.prepare(request(250, [put('d', 'x', 'D')])))).toBe(Der.TX_RESTART);
    expect(temp.vos.dtx.prepare(request(300, [put('d', 'x', 'D')]))).toBe('prepared');
    // A failed prepare leaves nothing: the good op of a conflicting prepare is not locked.
    expect(derOf(() => temp.vos.dtx.prepare(request(150, [put('e', 'x', 'E'), put('c', 'x', 'C')])))).toBe(Der.TX_RESTART);
    expect(temp.vos.dtx.prepare(request(150, [put('e', 'x', 'E')]))).toBe('prepared');
  });

  it('conditions are checked at prepare -> EXIST / NONEXIST, nothing recorded', () => {
    putSingle(temp.vos, { dkey: 'a', akey: 'x', epoch: 10, value: 'v' });
    const insert: DtxOp = { ...put('a', 'x', 'A'), dkeyCond: 'insert' } as DtxOp;
    expect(derOf(() => temp.vos.dtx.prepare(request(100, [insert])))).toBe(Der.EXIST);
    const punch: DtxOp = { type: 'punch', oid: OBJ.oid, shard: 0, dkey: key('nope'), ifExists: true };
    expect(derOf(() => temp.vos.dtx.prepare(request(100, [punch])))).toBe(Der.NONEXIST);
    expect(temp.vos.dtx.intentCount()).toBe(0);
  });

  it('reads: blocker at or below the read epoch, not for the own txid; lists see any intent in the object', () => {
    const tx = request(100, [put('a', 'x', 'A')]);
    temp.vos.dtx.prepare(tx);
    expect(temp.vos.dtx.readBlocker({ ...OBJ, dkey: key('a'), epoch: 99 })).toBeUndefined();
    expect(temp.vos.dtx.readBlocker({ ...OBJ, dkey: key('a'), epoch: 100 })?.epoch).toBe(100);
    expect(temp.vos.dtx.readBlocker({ ...OBJ, dkey: key('a'), epoch: 100, tx: tx.txid })).toBeUndefined();
    expect(temp.vos.dtx.readBlocker({ ...OBJ, dkey: key('b'), epoch: 200 })).toBeUndefined();
    expect(temp.vos.dtx.readBlocker({ ...OBJ, epoch: 200 })?.txid.equals(tx.txid)).toBe(true);
    expect(temp.vos.dtx.readBlocker({ ...OBJ, oid: oidOf(2), epoch: 200 })).toBeUndefined();
  });

  it('non-tx writes: blocker on a held key, TX_RESTART below a tx read', () => {
    temp.vos.dtx.prepare(request(100, [put('a', 'x', 'A')]));
    expect(temp.vos.dtx.writeBlocker({ ...OBJ, dkey: key('a') })).toBeDefined();
    expect(temp.vos.dtx.writeBlocker({ ...OBJ })).toBeDefined();
    expect(temp.vos.dtx.writeBlocker({ ...OBJ, dkey: key('b') })).toBeUndefined();
    temp.vos.dtx.recordRead({ ...OBJ, epoch: 500, tx: randomBytes(16) });
    expect(derOf(() => temp.vos.dtx.checkWriteStamps({ ...OBJ, dkey: key('z'), epoch: 499 }))).toBe(Der.TX_RESTART);
    expect(derOf(() => temp.vos.dtx.checkWriteStamps({ ...OBJ, dkey: key('z'), epoch: 500 }))).toBeUndefined();
    // Reads without a txid record nothing.
    temp.vos.dtx.recordRead({ ...OBJ, oid: oidOf(3), epoch: 900 });
    expect(derOf(() => temp.vos.dtx.checkWriteStamps({ ...OBJ, oid: oidOf(3), epoch: 1 }))).toBeUndefined();
  });

  it('decide: first wins; resolve: undecided, or abort when asked', () => {
    const txid = randomBytes(16);
    expect(temp.vos.dtx.resolve(txid, false, 1)).toBe('undecided');
    expect(temp.vos.dtx.decide(txid, 'commit', 100, 1)).toEqual({ decision: 'commit', recorded: true });
    expect(temp.vos.dtx.decide(txid, 'abort', 100, 2)).toEqual({ decision: 'commit', recorded: false });
    const other = randomBytes(16);
    expect(temp.vos.dtx.resolve(other, true, 3)).toBe('abort');
    expect(temp.vos.dtx.decide(other, 'commit', 100, 4).decision).toBe('abort');
  });

  it('finish with forgetDecision -> applied and the decision dropped at once; only the decision applied is dropped', () => {
    const tx = request(100, [put('fa', 'x', 'A')]);
    temp.vos.dtx.prepare(tx);
    temp.vos.dtx.decide(tx.txid, 'commit', 100, 1);
    expect(temp.vos.dtx.finish(tx.txid, 'commit', {}, true)).toBe(1);
    expect(temp.vos.dtx.decision(tx.txid)).toBeUndefined();
    expect(listAll(temp.vos, { epoch: EPOCH_MAX })).toContain('fa');
    // No intents left here (a resolver applied them first): the decision still goes.
    const applied = randomBytes(16);
    temp.vos.dtx.decide(applied, 'commit', 100, 1);
    expect(temp.vos.dtx.finish(applied, 'commit', {}, true)).toBe(0);
    expect(temp.vos.dtx.decision(applied)).toBeUndefined();
    // A decision other than the one applied stays.
    const aborted = randomBytes(16);
    temp.vos.dtx.decide(aborted, 'abort', 100, 1);
    temp.vos.dtx.finish(aborted, 'commit', {}, true);
    expect(temp.vos.dtx.decision(aborted)).toBe('abort');
    expect(temp.vos.dtx.decisionCount()).toBe(1);
  });

  it('forgetAbortsBefore: aborts decided before the bound go, at most the limit; later ones and commits stay', () => {
    const old = [randomBytes(16), randomBytes(16), randomBytes(16)];
    for (const txid of old) temp.vos.dtx.decide(txid, 'abort', 100, 1_000);
    const recent = randomBytes(16);
    temp.vos.dtx.decide(recent, 'abort', 100, 5_000);
    const committed = randomBytes(16);
    temp.vos.dtx.decide(committed, 'commit', 100, 1_000);
    const before = temp.vos.dtx.decisionCount();
    expect(temp.vos.dtx.forgetAbortsBefore(2_000, 2)).toBe(2);
    expect(temp.vos.dtx.forgetAbortsBefore(2_000, 2)).toBe(1);
    expect(temp.vos.dtx.forgetAbortsBefore(2_000, 2)).toBe(0);
    expect(old.map((txid) => temp.vos.dtx.decision(txid))).toEqual([undefined, undefined, undefined]);
    expect([temp.vos.dtx.decision(recent), temp.vos.dtx.decision(committed)]).toEqual(['abort', 'commit']);
    expect(temp.vos.dtx.decisionCount()).toBe(before - 3);
  });

  it('reopen: intents, locks, decisions and the read-stamp bound survive; commit after reopen applies', () => {
    const tx = request(100, [put('a', 'x', 'A'), put('b', 'x', 'B')]);
    temp.vos.dtx.prepare(tx);
    temp.vos.dtx.decide(tx.txid, 'commit', 100, 1);
    temp.vos.dtx.recordRead({ ...OBJ, dkey: key('r'), epoch: 1000, tx: randomBytes(16) });
    const vos = temp.reopen();
    expect(vos.dtx.intent(tx.txid)?.epoch).toBe(100);
    expect(vos.dtx.decision(tx.txid)).toBe('commit');
    expect(vos.dtx.readBlocker({ ...OBJ, dkey: key('b'), epoch: 200 })).toBeDefined();
    expect(vos.dtx.readStampLowWater()).toBeGreaterThanOrEqual(1000);
    expect(derOf(() => vos.dtx.checkWriteStamps({ ...OBJ, dkey: key('elsewhere'), epoch: 999 }))).toBe(Der.TX_RESTART);
    expect(vos.dtx.finish(tx.txid, 'commit')).toBe(1);
    expect(listAll(vos, { epoch: EPOCH_MAX })).toEqual(['a', 'b']);
  });

  it('a prepare rolled back inside a batch leaves no lock', () => {
    const tx = request(100, [put('a', 'x', 'A')]);
    const results = temp.vos.runBatch([
      () => temp.vos.dtx.prepare(tx),
      () => {
        throw new Error('boom');
      },
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false]);
    expect(temp.vos.dtx.intentCount()).toBe(1);
    const second = request(100, [put('b', 'x', 'B')]);
    const failed = temp.vos.runBatch([() => {
      temp.vos.dtx.prepare(second);
      throw new Error('after prepare');
    }]);
    expect(failed[0]?.ok).toBe(false);
    expect(temp.vos.dtx.intent(second.txid)).toBeUndefined();
    expect(temp.vos.dtx.writeBlocker({ ...OBJ, dkey: key('b') })).toBeUndefined();
  });

  it('aggregation stays below prepared intents; prepares below the aggregated range restart', () => {
    const tx = request(100, [put('a', 'x', 'A')]);
    temp.vos.dtx.prepare(tx);
    putSingle(temp.vos, { dkey: 'k', akey: 'x', epoch: 50, value: 'v1' });
    putSingle(temp.vos, { dkey: 'k', akey: 'x', epoch: 150, value: 'v2' });
    temp.vos.aggregate({ retained: [], upTo: ep(1000) });
    expect(getText(temp.vos, { dkey: 'k', akey: 'x', epoch: 60 })).toBe('v1');
    expect(derOf(() => temp.vos.dtx.prepare(request(90, [put('z', 'x', 'Z')])))).toBe(Der.TX_RESTART);
    temp.vos.dtx.finish(tx.txid, 'commit');
    expect(getText(temp.vos, { dkey: 'a', akey: 'x', epoch: 100 })).toBe('A');
  });

  it('a layout version 1 store (before DTX) -> upgraded in place at open, data kept', () => {
    putSingle(temp.vos, { dkey: 'a', akey: 'x', epoch: 10, value: 'v1-data' });
    temp.vos.close();
    const db = new Database(path.join(temp.dir, 'vos.sqlite'));
    db.exec("DROP TABLE dtx_intents; DROP TABLE dtx_decisions; DELETE FROM meta WHERE key = 'rts_bound'; UPDATE meta SET ival = 1 WHERE key = 'layout_version'");
    db.close();
    const vos = temp.reopen();
    expect(getText(vos, { dkey: 'a', akey: 'x', epoch: EPOCH_MAX })).toBe('v1-data');
    expect(vos.dtx.prepare(request(100, [put('b', 'x', 'B')]))).toBe('prepared');
    expect(vos.dtx.readStampLowWater()).toBe(0);
  });

  it('container destroy drops its intents', () => {
    temp.vos.dtx.prepare(request(100, [put('a', 'x', 'A')]));
    temp.vos.destroyContainer(TEST_CONT);
    expect(temp.vos.dtx.intentCount()).toBe(0);
  });
});
