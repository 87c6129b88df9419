import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { Rank } from '../pool-map/pool-map.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import type { TxDecision } from '../wire/rpc/tx.js';
import type { TxPlan } from './tx-plan.js';
import {
  OutcomeUnknownError, type TxProtocolContext, chooseFailure, decideAndFinish, prepareAll,
} from './tx-protocol.js';

interface Sent { readonly opcode: string; readonly rank: number; readonly target: number; readonly decision?: TxDecision; readonly forget?: boolean }

/** Engines as a table of answers: `answer(opcode, rank)` returns a response or throws. */
class FakeEngines {
  readonly sent: Sent[] = [];
  decided: TxDecision | undefined = undefined;
  constructor(readonly answer: (opcode: string, rank: number, attempt: number) => unknown = () => ({})) {}

  readonly rpc = {
    call: async <Req, Res>(def: RpcDef<Req, Res>, rank: Rank, request: Req): Promise<Res> => {
      const body = request as { target: number; decision?: TxDecision; forget?: boolean };
      const attempt = this.sent.filter((sent) => sent.opcode === def.opcode && sent.rank === rank).length;
      this.sent.push({
        opcode: def.opcode, rank, target: body.target,
        ...(body.decision === undefined ? {} : { decision: body.decision }), ...(body.forget === true ? { forget: true } : {}),
      });
      await Promise.resolve();
      const answer = this.answer(def.opcode, rank, attempt);
      if (answer instanceof Error) throw answer;
      if (def.opcode === 'tx_decide') {
        this.decided ??= body.decision;
        return { decision: (answer as { decision?: TxDecision }).decision ?? this.decided } as Res;
      }
      return answer as Res;
    },
  };

  count(opcode: string, decision?: TxDecision): number {
    return this.sent.filter((sent) => sent.opcode === opcode && (decision === undefined || sent.decision === decision)).length;
  }
}

const plan: TxPlan = {
  mapVersion: 2,
  coordinator: { rank: 0 as Rank, target: 1 },
  participants: [0, 1, 2].map((rank) => ({ rank: rank as Rank, target: 1, ops: [] })),
};

function context(engines: FakeEngines, decideWaitMs = 200): TxProtocolContext {
  return {
    rpc: engines.rpc,
    id: { pool: 'p', cont: 'c', txid: Buffer.alloc(16, 1), epoch: 1000 as Epoch },
    log: createLogger('tx-protocol-test', { level: 'silent' }),
    limits: { rpcsInFlight: 2, decideWaitMs, abortTimeoutMs: 100 },
  };
}

async function commit(engines: FakeEngines, decideWaitMs?: number): Promise<void> {
  const ctx = context(engines, decideWaitMs);
  await prepareAll(ctx, plan);
  const { applied } = await decideAndFinish(ctx, plan);
  await applied;
}

describe('tx protocol', () => {
  it('commit: prepare all, decide commit at the coordinator, commit message to all', async () => {
    const engines = new FakeEngines();
    await commit(engines);
    expect(engines.count('tx_prepare')).toBe(3);
    expect(engines.sent.filter((sent) => sent.opcode === 'tx_decide')).toEqual([{ opcode: 'tx_decide', rank: 0, target: 1, decision: 'commit' }]);
    expect(engines.count('tx_commit', 'commit')).toBe(3);
    const commits = engines.sent.filter((sent) => sent.opcode === 'tx_commit');
    expect(commits.at(-1), 'the coordinator last, told to forget the decision').toEqual({ opcode: 'tx_commit', rank: 0, target: 1, decision: 'commit', forget: true });
    expect(commits.filter((sent) => sent.forget === true)).toHaveLength(1);
  });

  it('commit: a participant missed its commit message -> the coordinator keeps the decision (no forget)', async () => {
    const engines = new FakeEngines((opcode, rank) => (opcode === 'tx_commit' && rank === 2 ? new EngineError(Der.UNREACH, 'gone') : {}));
    await commit(engines);
    expect(engines.count('tx_commit', 'commit')).toBe(3);
    expect(engines.sent.filter((sent) => sent.forget === true)).toEqual([]);
  });

  it('commit: a prepare conflict -> abort recorded, prepared ones told, TX_RESTART thrown', async () => {
    const engines = new FakeEngines((opcode, rank) => (opcode === 'tx_prepare' && rank === 0 ? new EngineError(Der.TX_RESTART) : {}));
    await expect(commit(engines)).rejects.toMatchObject({ der: Der.TX_RESTART });
    expect(engines.count('tx_decide', 'commit')).toBe(0);
    expect(engines.count('tx_decide', 'abort')).toBe(1);
    // Two in flight: ranks 0 and 1 started together; rank 0 failed first, so rank 2 never started.
    expect(engines.count('tx_prepare')).toBe(2);
    expect(engines.sent.filter((sent) => sent.opcode === 'tx_commit').map((sent) => [sent.rank, sent.decision])).toEqual([[1, 'abort']]);
  });

  it('commit: an unreachable participant may have prepared -> it is told to abort too', async () => {
    const engines = new FakeEngines((opcode, rank) => (opcode === 'tx_prepare' && rank === 0 ? new EngineError(Der.UNREACH) : {}));
    await expect(commit(engines)).rejects.toMatchObject({ der: Der.UNREACH });
    expect(engines.sent.filter((sent) => sent.opcode === 'tx_commit').map((sent) => sent.rank).sort()).toEqual([0, 1]);
  });

  it('commit: the coordinator already recorded abort -> TX_RESTART, participants told abort', async () => {
    const engines = new FakeEngines((opcode) => (opcode === 'tx_decide' ? { decision: 'abort' } : {}));
    await expect(commit(engines)).rejects.toMatchObject({ der: Der.TX_RESTART });
    expect(engines.count('tx_commit', 'abort')).toBe(3);
    expect(engines.count('tx_commit', 'commit')).toBe(0);
    expect(engines.sent.filter((sent) => sent.forget === true), 'an abort is never forgotten').toEqual([]);
  });

  it('commit: coordinator unreachable for a while -> decide asked again, same decision, commit', async () => {
    const engines = new FakeEngines((opcode, _rank, attempt) => (opcode === 'tx_decide' && attempt < 3 ? new EngineError(Der.UNREACH) : {}));
    await commit(engines, 5_000);
    expect(engines.count('tx_decide', 'commit')).toBe(4);
    expect(engines.count('tx_commit', 'commit')).toBe(3);
  });

  it('commit: coordinator unreachable past the decide wait -> OutcomeUnknownError (TIMEDOUT)', async () => {
    const engines = new FakeEngines((opcode) => (opcode === 'tx_decide' ? new EngineError(Der.UNREACH) : {}));
    const failure = await commit(engines, 100).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(OutcomeUnknownError);
    expect(failure).toMatchObject({ der: Der.TIMEDOUT });
    expect(engines.count('tx_commit')).toBe(0);
  });

  it('commit: coordinator refuses the decision -> abort recorded instead, its error thrown', async () => {
    const engines = new FakeEngines((opcode, _rank, attempt) => (opcode === 'tx_decide' && attempt === 0 ? new EngineError(Der.NONEXIST) : {}));
    await expect(commit(engines)).rejects.toMatchObject({ der: Der.NONEXIST });
    expect(engines.count('tx_decide', 'abort')).toBe(1);
    expect(engines.count('tx_commit', 'abort')).toBe(3);
  });

  it('failure choice: condition before TX_RESTART before transport errors', () => {
    const unreach = new EngineError(Der.UNREACH);
    const restart = new EngineError(Der.TX_RESTART);
    const exist = new EngineError(Der.EXIST);
    expect(chooseFailure([unreach, restart])).toBe(restart);
    expect(chooseFailure([unreach, restart, exist])).toBe(exist);
    expect(chooseFailure([unreach])).toBe(unreach);
  });
});
