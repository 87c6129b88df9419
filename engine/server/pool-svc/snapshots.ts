/**
 * Container snapshots (named epochs), served by the pool service leader. A snapshot's epoch is greater
 * than the HLC of every live engine of the pool when it is taken (each is pinged; max + 1), and every
 * engine is then moved past it (ENGINE_PING carrying the epoch), so later writes land above it. After each
 * change every engine gets the container's snapshot epochs (ENGINE_CONT_SNAPSHOTS) so that aggregation
 * keeps them readable; a rank that was down gets them again when it is reintegrated (pushSnapshotLists).
 */
import { SNAPSHOTS_PER_CONT_MAX } from '../../constants.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { RpcRequest } from '../../wire/rpc-def.js';
import { CONT_SNAP_CREATE, CONT_SNAP_DESTROY, CONT_SNAP_LIST, type SnapshotBody } from '../../wire/rpc/cont.js';
import { ENGINE_CONT_SNAPSHOTS, ENGINE_PING } from '../../wire/rpc/engine.js';
import type { SvcStateBody } from '../../wire/rpc/svc.js';
import type { HandlerRegistry } from '../registry.js';
import { FANOUT_TIMEOUT_MS, PING_TIMEOUT_MS } from './constants.js';
import { callSettled } from './fanout.js';
import type { Replica } from './replica.js';
import type { PoolService } from './service.js';
import { findContainerOrThrow, isRankExcluded } from './svc-state.js';

function liveRanks(state: SvcStateBody): number[] {
  return state.map.ranks.map((entry) => entry.rank).filter((rank) => !isRankExcluded(state.map, rank));
}

/** An epoch above every live engine's clock (and this engine's), observed locally. */
async function snapshotEpoch(svc: PoolService, replica: Replica): Promise<number> {
  const others = liveRanks(replica.state).filter((rank) => rank !== svc.rank);
  const pings = await callSettled(svc.caller, others, ENGINE_PING, () => ({}), PING_TIMEOUT_MS);
  let newest: number = svc.services.hlc.now();
  for (const answer of pings.ok.values()) newest = Math.max(newest, answer.hlc);
  const epoch = newest + 1;
  svc.services.hlc.observe(epoch);
  return epoch;
}

/**
 * Sends a container's snapshot epochs to `ranks` (default: every rank of the pool), with the newest
 * snapshot epoch for their clocks. Best effort: ranks that do not answer get them at reintegration.
 */
export async function pushSnapshotList(svc: PoolService, state: SvcStateBody, cont: string, ranks?: readonly number[]): Promise<void> {
  const record = state.containers[cont];
  const epochs = record === undefined ? [] : record.snapshots.map((snapshot) => snapshot.epoch);
  const targets = ranks ?? state.map.ranks.map((entry) => entry.rank);
  const newest = epochs.length === 0 ? undefined : Math.max(...epochs);
  const [pushed] = await Promise.all([
    callSettled(svc.caller, targets, ENGINE_CONT_SNAPSHOTS, () => ({ pool: state.uuid, cont, epochs }), FANOUT_TIMEOUT_MS),
    newest === undefined ? undefined : callSettled(svc.caller, targets, ENGINE_PING, () => ({ hlc: newest }), FANOUT_TIMEOUT_MS),
  ]);
  if (pushed.failed.size > 0) svc.log.debug({ pool: state.uuid, cont, unreached: [...pushed.failed.keys()] }, 'snapshot list not pushed everywhere');
}

/** Every container's snapshot list, to one rank (reintegration). */
export async function pushSnapshotLists(svc: PoolService, state: SvcStateBody, rank: number): Promise<void> {
  for (const cont of Object.keys(state.containers)) await pushSnapshotList(svc, state, cont, [rank]);
}

async function createSnapshot(svc: PoolService, request: RpcRequest<typeof CONT_SNAP_CREATE>): Promise<SnapshotBody> {
  const replica = await svc.leaderReplica(request.pool);
  findContainerOrThrow(replica.state, request.cont);
  const epoch = await snapshotEpoch(svc, replica);
  const { uuid, snapshot } = await replica.commit((draft) => {
    const found = findContainerOrThrow(draft, request.cont);
    const name = request.name ?? String(epoch);
    const { snapshots } = found.record;
    if (snapshots.some((entry) => entry.name === name)) throw new EngineError(Der.EXIST, `snapshot ${JSON.stringify(name)} exists`);
    if (snapshots.length >= SNAPSHOTS_PER_CONT_MAX) throw new EngineError(Der.NOSPACE, `a container holds at most ${SNAPSHOTS_PER_CONT_MAX} snapshots`);
    const created: SnapshotBody = { name, epoch, createdMs: Date.now() };
    snapshots.push(created);
    snapshots.sort((left, right) => left.epoch - right.epoch);
    return { uuid: found.uuid, snapshot: created };
  });
  await pushSnapshotList(svc, replica.state, uuid);
  svc.log.info({ pool: replica.uuid, cont: uuid, ...snapshot }, 'snapshot created');
  return snapshot;
}

async function destroySnapshot(svc: PoolService, request: RpcRequest<typeof CONT_SNAP_DESTROY>): Promise<void> {
  if (request.name === undefined && request.epoch === undefined) throw new EngineError(Der.INVAL, 'name a snapshot by name or epoch');
  const replica = await svc.leaderReplica(request.pool);
  const uuid = await replica.commit((draft) => {
    const found = findContainerOrThrow(draft, request.cont);
    const matches = (snapshot: SnapshotBody): boolean =>
      (request.name === undefined || snapshot.name === request.name) && (request.epoch === undefined || snapshot.epoch === request.epoch);
    const kept = found.record.snapshots.filter((snapshot) => !matches(snapshot));
    if (kept.length === found.record.snapshots.length) throw new EngineError(Der.NONEXIST, 'no such snapshot');
    found.record.snapshots = kept;
    return found.uuid;
  });
  await pushSnapshotList(svc, replica.state, uuid);
}

export function registerSnapshotHandlers(svc: PoolService, registry: HandlerRegistry): void {
  registry.register(CONT_SNAP_CREATE, (request) => createSnapshot(svc, request));

  registry.register(CONT_SNAP_LIST, async (request) => {
    const { state } = await svc.leaderReplica(request.pool);
    return { snapshots: findContainerOrThrow(state, request.cont).record.snapshots };
  });

  registry.register(CONT_SNAP_DESTROY, async (request) => {
    await destroySnapshot(svc, request);
    return {};
  });
}
