import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { objClassByName } from '../placement/object-class.js';
import { ObjType, type Oid, makeOid } from '../placement/oid.js';
import { computeLayout } from '../placement/placement.js';
import { buildUniformPoolMap } from '../pool-map/build.js';
import type { PoolMap, Rank } from '../pool-map/pool-map.js';
import { EPOCH_MAX, type Epoch, Hlc, asEpoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import type { ObjectIoContext, PoolIo } from './io-context.js';
import type { RpcTransport } from './transport.js';
import { Tx } from './tx.js';
import { runTx, txBackoffMs } from './tx-run.js';
import { TX_BACKOFF_MS_MAX, TX_BUFFER_BYTES_MAX, TX_OPS_MAX } from './constants.js';

interface Call { readonly opcode: string; readonly body: Record<string, unknown> }

/** A pool whose every engine answers from one in-memory table: fetch finds "stored-<dkey>", the rest is {}. */
function fakeContext(options: { readOnly?: boolean; fail?: (opcode: string) => Error | undefined } = {}): { context: ObjectIoContext; calls: Call[] } {
  const calls: Call[] = [];
  const map: PoolMap = buildUniformPoolMap({ rankCount: 3, targetsPerRank: 2 });
  const transport: RpcTransport = {
    address: 'fake',
    callsInFlight: 0,
    async call<Req, Res>(def: RpcDef<Req, Res>, request: Req): Promise<Res> {
      const body = request as Record<string, unknown>;
      calls.push({ opcode: def.opcode, body });
      const failure = options.fail?.(def.opcode);
      if (failure !== undefined) throw failure;
      if (def.opcode === 'obj_fetch') {
        const dkey = (body['dkey'] as Buffer).toString();
        const iods = body['iods'] as unknown[];
        return { values: iods.map(() => ({ type: 'single', value: Buffer.from(`stored-${dkey}`) })) } as Res;
      }
      if (def.opcode === 'obj_list_dkeys') return { keys: [Buffer.from('s1'), Buffer.from('s2')], anchor: null } as Res;
      if (def.opcode === 'tx_decide') return { decision: body['decision'] } as Res;
      return {} as Res;
    },
    close: async () => undefined,
  };
  const pool: PoolIo = {
    uuid: '00000000-0000-4000-8000-000000000001',
    log: createLogger('tx-test', { level: 'silent' }),
    hlc: new Hlc(),
    map,
    layout: (oid: Oid) => computeLayout(map, oid),
    transportFor: () => transport,
    readPreference: () => 0,
    refreshMap: async () => map,
    reportUnreachable: async () => map,
  };
  const readOnly = options.readOnly ?? false;
  return {
    calls,
    context: { pool, contUuid: '00000000-0000-4000-8000-000000000002', readOnly, readEpoch: readOnly ? asEpoch(77) : EPOCH_MAX, recoveries: [] },
  };
}

const kvOid = makeOid({ type: ObjType.MULTI_LEXICAL, cls: objClassByName('RP_3G1'), groupCount: 1, userHi: 3, lo: 9n });

describe('tx', () => {
  it('tx read: own put wins without an RPC; other keys read at the tx epoch with the txid', async () => {
    const { context, calls } = fakeContext();
    const tx = new Tx(context);
    const kv = tx.kv(kvOid);
    kv.put('mine', Buffer.from('new'));
    expect((await kv.get('mine'))?.toString()).toBe('new');
    expect(calls).toEqual([]);
    expect((await kv.get('other'))?.toString()).toBe('stored-other');
    expect(calls.map((call) => [call.opcode, call.body['epoch'], call.body['tx']])).toEqual([['obj_fetch', tx.epoch, tx.txid]]);
    kv.remove('other');
    expect(await kv.get('other')).toBeNull();
    expect((await kv.keys()).map(String)).toEqual(['s1', 's2', 'mine']);
  });

  it('tx commit: prepares every replica (3), decides at the first, commits in the background', async () => {
    const { context, calls } = fakeContext();
    const tx = new Tx(context);
    tx.kv(kvOid).put('k', Buffer.from('v'), { cond: 'insert' });
    await tx.commit();
    await tx.applied();
    expect(tx.state).toBe('committed');
    expect(calls.map((call) => call.opcode)).toEqual(['tx_prepare', 'tx_prepare', 'tx_prepare', 'tx_decide', 'tx_commit', 'tx_commit', 'tx_commit']);
    const conditioned = calls.filter((call) => call.opcode === 'tx_prepare' && (call.body['ops'] as Array<{ dkeyCond?: string }>)[0]!.dkeyCond === 'insert');
    expect(conditioned).toHaveLength(1);
  });

  it('tx commit: nothing written -> no RPC; snapshot tx: writes -> NO_PERM, reads untagged at the snapshot', async () => {
    const plain = fakeContext();
    await new Tx(plain.context).commit();
    expect(plain.calls).toEqual([]);
    const snap = fakeContext({ readOnly: true });
    const tx = new Tx(snap.context);
    expect(tx.readOnly).toBe(true);
    expect(() => tx.kv(kvOid).put('k', Buffer.from('v'))).toThrow(expect.objectContaining({ der: Der.NO_PERM }));
    await tx.kv(kvOid).get('k');
    expect(snap.calls.map((call) => [call.body['epoch'], call.body['tx']])).toEqual([[77, undefined]]);
  });

  it('tx state: commit twice -> INVAL; restart after abort -> new epoch and id, empty buffer', async () => {
    const { context } = fakeContext({ fail: (opcode) => (opcode === 'tx_prepare' ? new EngineError(Der.TX_RESTART) : undefined) });
    const tx = new Tx(context);
    tx.kv(kvOid).put('k', Buffer.from('v'));
    await expect(tx.commit()).rejects.toMatchObject({ der: Der.TX_RESTART });
    expect(tx.state).toBe('aborted');
    await expect(tx.commit()).rejects.toMatchObject({ der: Der.INVAL });
    const [epoch, txid] = [tx.epoch, tx.txid];
    tx.restart();
    expect(tx.state).toBe('open');
    expect(tx.epoch).toBeGreaterThan(epoch);
    expect(tx.txid.equals(txid)).toBe(false);
    expect((await tx.kv(kvOid).get('k'))?.toString()).toBe('stored-k');
  });

  it('tx commit: a participant does not answer its prepare -> its engine reported, TX_RESTART (nothing committed)', async () => {
    const { context, calls } = fakeContext({ fail: (opcode) => (opcode === 'tx_prepare' ? new EngineError(Der.UNREACH, 'connection refused') : undefined) });
    const reported: number[] = [];
    const pool = { ...context.pool, reportUnreachable: async (rank: Rank) => { reported.push(rank); return context.pool.map; } };
    const tx = new Tx({ ...context, pool });
    tx.kv(kvOid).put('k', Buffer.from('v'));
    await expect(tx.commit()).rejects.toMatchObject({ der: Der.TX_RESTART });
    expect(tx.state).toBe('aborted');
    expect(reported).toHaveLength(1);
    expect(calls.filter((call) => call.opcode === 'tx_decide').map((call) => call.body['decision'])).toEqual(['abort']);
    // runTx takes it as a conflict: a fresh transaction, on the map the report left.
    let attempts = 0;
    const { context: healthy } = fakeContext();
    await runTx(async () => new Tx(attempts === 0 ? { ...context, pool } : healthy), async (fresh) => {
      attempts += 1;
      fresh.kv(kvOid).put('k', Buffer.from('v'));
    });
    expect(attempts).toBe(2);
  });

  it('tx limits: too many operations -> OVERFLOW; bad key -> INVAL', () => {
    const tx = new Tx(fakeContext().context);
    expect(() => tx.update(kvOid, { dkey: Buffer.alloc(0), iods: [{ type: 'single', akey: Buffer.from('v'), value: Buffer.alloc(1) }] }))
      .toThrow(expect.objectContaining({ der: Der.INVAL }));
    for (let index = 0; index < TX_OPS_MAX; index++) tx.kv(kvOid).put(`k${index}`, Buffer.alloc(1));
    expect(() => tx.kv(kvOid).put('one-more', Buffer.alloc(1))).toThrow(expect.objectContaining({ der: Der.OVERFLOW }));
    const big = new Tx(fakeContext().context);
    expect(() => big.kv(kvOid).put('huge', Buffer.alloc(TX_BUFFER_BYTES_MAX + 1))).toThrow(expect.objectContaining({ der: Der.OVERFLOW }));
  });
});

describe('runTx', () => {
  it('runTx: TX_RESTART twice -> third fresh transaction commits; result returned', async () => {
    const { context } = fakeContext();
    const epochs: Epoch[] = [];
    const result = await runTx(async () => new Tx(context), async (tx) => {
      epochs.push(tx.epoch);
      if (epochs.length < 3) throw new EngineError(Der.TX_RESTART);
      return 'done';
    });
    expect(result).toBe('done');
    expect(new Set(epochs).size).toBe(3);
  });

  it('runTx: other errors at once; retries bounded by retriesMax', async () => {
    const { context } = fakeContext();
    let runs = 0;
    await expect(runTx(async () => new Tx(context), async () => { runs++; throw new EngineError(Der.EXIST); })).rejects.toMatchObject({ der: Der.EXIST });
    expect(runs).toBe(1);
    runs = 0;
    await expect(runTx(async () => new Tx(context), async () => { runs++; throw new EngineError(Der.INPROGRESS); }, { retriesMax: 2 }))
      .rejects.toMatchObject({ der: Der.INPROGRESS });
    expect(runs).toBe(3);
  });

  it('backoff: grows per attempt, capped, jitter within 50-100 %', () => {
    expect(txBackoffMs(1, () => 1)).toBeLessThan(txBackoffMs(4, () => 1));
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(txBackoffMs(attempt, () => 0.999)).toBeLessThanOrEqual(TX_BACKOFF_MS_MAX);
      expect(txBackoffMs(attempt, () => 0)).toBeGreaterThanOrEqual(Math.min(TX_BACKOFF_MS_MAX, 2 ** attempt) / 2 / 2);
    }
    expect(txBackoffMs(100, () => 0)).toBe(TX_BACKOFF_MS_MAX / 2);
  });
});
