import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildUniformPoolMap } from '../../pool-map/build.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { RpcDef } from '../../wire/rpc-def.js';
import { SVC_COLLECT, SVC_PUSH, type SvcStateBody } from '../../wire/rpc/svc.js';
import type { RankCaller } from './fanout.js';
import { Replica, type ReplicaHost } from './replica.js';
import { SvcStore } from './svc-store.js';
import { derOf } from './test-cluster.js';
import { toMapBody } from './svc-state.js';

const POOL = '11111111-2222-4333-8444-555555555555';
const log = pino({ level: 'silent' });

function initialState(): SvcStateBody {
  return {
    uuid: POOL, label: 'p', props: { rdFac: 2, spaceRbPercent: 5, selfHeal: 'exclude' }, svcRanks: [0, 1, 2],
    map: toMapBody(buildUniformPoolMap({ rankCount: 3, targetsPerRank: 1 })), capacityBytesPerTarget: 0, containers: {},
    autoExcluded: [], resyncs: [], createdMs: 0, term: 1, seq: 1,
  };
}

/** Three replicas wired to each other in memory; `down` ranks answer UNREACH. */
class Group implements RankCaller {
  readonly replicas: Replica[] = [];
  readonly down = new Set<number>();
  readonly roles: string[] = [];

  constructor(readonly dir: string) {
    for (let rank = 0; rank < 3; rank++) this.replicas.push(this.open(rank));
  }

  open(rank: number): Replica {
    const store = new SvcStore(join(this.dir, `r${rank}`));
    const loaded = store.loadAll().replicas[0];
    const host: ReplicaHost = {
      rank, log, caller: this, store,
      roleChanged: (replica) => this.roles.push(`${rank}:${replica.isLeader ? 'leader' : 'follower'}`),
    };
    const replica = new Replica(host, loaded ?? { promisedTerm: 0, state: initialState() });
    if (loaded === undefined) replica.acceptPush({ term: 1, leader: 0, state: initialState() });
    return replica;
  }

  async call<Req, Res>(rank: number, def: RpcDef<Req, Res>, request: Req): Promise<Res> {
    await Promise.resolve();
    if (this.down.has(rank)) throw new EngineError(Der.UNREACH, `rank ${rank} down`);
    const body = structuredClone(request) as unknown;
    if (def.opcode === SVC_PUSH.opcode) {
      this.replicas[rank]!.acceptPush(SVC_PUSH.request.check(body, ''));
      return {} as Res;
    }
    if (def.opcode === SVC_COLLECT.opcode) {
      const { term, candidate } = SVC_COLLECT.request.check(body, '');
      return this.replicas[rank]!.collect(term, candidate) as Res;
    }
    throw new Error(`unexpected ${def.opcode}`);
  }
}

describe('replica (Raft-lite)', () => {
  let dir: string;
  let group: Group;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsdaos-replica-'));
    group = new Group(dir);
    group.replicas[0]!.assumeInitialLeadership();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('commit: reaches every live replica; acknowledged with one follower down', async () => {
    const [leader, one, two] = group.replicas;
    group.down.add(2);
    await leader!.commit((draft) => {
      draft.label = 'renamed';
    });
    expect(one!.state).toMatchObject({ label: 'renamed', term: 1, seq: 2 });
    expect(two!.state.seq).toBe(1);
  });

  it('commit: no majority -> TIMEDOUT and the leader steps down; mutate errors change nothing', async () => {
    const leader = group.replicas[0]!;
    expect(await derOf(leader.commit(() => {
      throw new EngineError(Der.EXIST, 'no');
    }))).toBe(Der.EXIST);
    expect(leader.state.seq).toBe(1);
    group.down.add(1).add(2);
    expect(await derOf(leader.commit(() => undefined))).toBe(Der.TIMEDOUT);
    expect(leader.isLeader).toBe(false);
    expect(await derOf(leader.commit(() => undefined))).toBe(Der.NOTLEADER);
  });

  it('election: the candidate adopts the newest state of a majority; the old leader steps down and its pushes are refused', async () => {
    const [leader, one, two] = group.replicas;
    group.down.add(2);
    await leader!.commit((draft) => {
      draft.label = 'newest';
    });
    group.down.clear();
    expect(await two!.campaign()).toBe(true);
    expect(two!.state).toMatchObject({ label: 'newest', term: 2, seq: 2 });
    expect(leader!.isLeader).toBe(false);
    expect(one!.leaderHint).toBe(2);
    expect(() => one!.acceptPush({ term: 1, leader: 0, state: initialState() })).toThrow(EngineError);
    expect(await derOf(leader!.commit(() => undefined))).toBe(Der.NOTLEADER);
  });

  it('election: a lone replica cannot win; a stale term is bumped past the newest promise', async () => {
    const [, one, two] = group.replicas;
    group.down.add(0).add(2);
    for (let attempt = 0; attempt < 3; attempt++) expect(await one!.campaign()).toBe(false);
    expect(one!.term).toBe(4);
    group.down.clear();
    expect(await two!.campaign()).toBe(true);
    expect(two!.term).toBe(5);
    expect(one!.leaderHint).toBe(2);
  });

  it('restart: promised term and state come back from disk', async () => {
    await group.replicas[0]!.commit((draft) => {
      draft.label = 'durable';
    });
    const reopened = group.open(1);
    expect(reopened.state).toMatchObject({ label: 'durable', seq: 2 });
    expect(reopened.term).toBe(1);
    expect(reopened.isLeader).toBe(false);
  });
});
