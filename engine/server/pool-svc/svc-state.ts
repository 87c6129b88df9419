/**
 * Pure helpers over the replicated pool service state (SvcStateBody, engine/wire/rpc/svc.ts): ordering of
 * states, majorities, container lookup, and the conversion of a branded PoolMap to the plain body the
 * state stores and sends (the other way is engine/client/map-body.ts). No I/O.
 */
import type { PoolMap, TargetState } from '../../pool-map/pool-map.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { PoolMapBody } from '../../wire/rpc/common.js';
import type { ContRecord, SvcStateBody } from '../../wire/rpc/svc.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/** A plain, mutable copy of a map for the wire and the state. */
export function toMapBody(map: PoolMap): PoolMapBody {
  return {
    version: map.version,
    ranks: map.ranks.map((entry) => ({
      rank: entry.rank,
      faultDomain: entry.faultDomain,
      address: entry.address,
      targets: entry.targets.map((target) => ({ index: target.index, state: target.state, fseq: target.fseq })),
    })),
  };
}

/** Negative, zero or positive as `a` is older than, as new as, or newer than `b`: term first, then seq. */
export function compareStates(a: Pick<SvcStateBody, 'term' | 'seq'>, b: Pick<SvcStateBody, 'term' | 'seq'>): number {
  return a.term !== b.term ? a.term - b.term : a.seq - b.seq;
}

/** Replicas that must hold a state before it is acknowledged: a strict majority. */
export function majorityOf(replicaCount: number): number {
  return Math.floor(replicaCount / 2) + 1;
}

/**
 * The state of a rank's targets (all targets of a rank change together here); undefined for a rank that
 * is not in the map.
 */
export function rankState(map: PoolMapBody, rank: number): TargetState | undefined {
  return map.ranks.find((entry) => entry.rank === rank)?.targets[0]?.state;
}

export function isRankExcluded(map: PoolMapBody, rank: number): boolean {
  const state = rankState(map, rank);
  return state === 'DOWN' || state === 'DOWNOUT';
}

/** Whether the map's data redundancy is reduced: some target is DOWN or still reintegrating (UP). */
export function isDegraded(map: PoolMapBody): boolean {
  return map.ranks.some((entry) => entry.targets.some((target) => target.state === 'DOWN' || target.state === 'UP'));
}

/** Whether some target is reintegrating (UP): the only state a resync runs for. */
export function isReintegrating(map: PoolMapBody): boolean {
  return map.ranks.some((entry) => entry.targets.some((target) => target.state === 'UP'));
}

/** Whether `name` (uuid or label) names this pool. */
export function namesPool(state: Pick<SvcStateBody, 'uuid' | 'label'>, name: string): boolean {
  return state.uuid === name || state.label === name;
}

export interface FoundContainer {
  readonly uuid: string;
  readonly record: ContRecord;
}

/** The container named by uuid or label, or undefined. */
export function findContainer(state: SvcStateBody, name: string): FoundContainer | undefined {
  const byUuid = state.containers[name];
  if (byUuid !== undefined) return { uuid: name, record: byUuid };
  for (const [uuid, record] of Object.entries(state.containers)) {
    if (record.label === name) return { uuid, record };
  }
  return undefined;
}

export function findContainerOrThrow(state: SvcStateBody, name: string): FoundContainer {
  const found = findContainer(state, name);
  if (found === undefined) throw new EngineError(Der.NONEXIST, `no container ${JSON.stringify(name)} in pool ${state.uuid}`);
  return found;
}

/** The pending resync of a rank (it is UP, or was UP when it failed again), if any. */
export function pendingResyncOf(state: SvcStateBody, rank: number): number | undefined {
  return state.resyncs.find((entry) => entry.rank === rank)?.sinceEpoch;
}
