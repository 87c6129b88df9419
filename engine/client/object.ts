/**
 * ObjectHandle: the object API of one object (DAOS daos_obj_*): update, fetch, punch, key listing with
 * anchors (object-list.ts), max-key query. Placement is computed locally from the oid and the pool map; a
 * dkey picks its redundancy group; writes reach every writable replica (replication.ts), reads one healthy
 * replica with fail-over (object-core.ts). Every operation runs inside the container's recovery wrappers
 * (stale map -> refresh, unreachable engine -> report + new layout), with its epoch fixed up front so a
 * retry rewrites the same version. Around those, conflicts with transactions are waited out
 * (retryingConflicts): INPROGRESS backs off and retries; a write whose caller did not fix its epoch takes
 * a fresh one after INPROGRESS or TX_RESTART, so it lands above the transaction it met.
 * Handles are cheap; they hold no server-side state and need no close.
 * Errors: EngineError — NO_PERM (write through a read-only handle), EXIST/NONEXIST (conditions),
 * DATA_LOSS (no healthy replica), UNREACH/TIMEDOUT/STALE once retries are exhausted, INPROGRESS or
 * TX_RESTART once the conflict wait is over, INVAL, PROTO.
 */
import { performance } from 'node:perf_hooks';
import type { Oid } from '../placement/oid.js';
import type { Epoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import { OBJ_COLL_PUNCH, OBJ_COLL_UPDATE, OBJ_FETCH, fetchArrayBytes, OBJ_PUNCH, OBJ_UPDATE, type FetchIodBody, type FetchValueBody, type RecordMatchBody, type UpdateIodBody } from '../wire/rpc/obj.js';
import type { RpcRequest } from '../wire/rpc-def.js';
import { type ListAnchor, anchorPassed, splitAnchors } from './anchor.js';
import type { ObjectIoContext } from './io-context.js';
import { LOCAL_READ_BYTES_MIN, type LocalBlobFiles } from './local-blobs.js';
import { PlacedBytes } from './placed-bytes.js';
import { ObjectCore, type ShardAddress } from './object-core.js';
import { type KeyList, type KeyValueList, type MaxKey, listAkeys, listDkeyValues, listDkeys, queryMax } from './object-list.js';
import { type GroupWrite, type WriteState, newWriteState, writeGroup } from './replication.js';
import { writeShards } from './shard-choice.js';
import { settleInOrder } from './bounded-parallel.js';
import { fixedEpochConflicts, retrying, retryingConflicts, writeConflicts } from './retry.js';
import { type ShardLocation, dkeyGroup, groupShards } from '../placement/placement.js';
import { SHARDS_PER_COLLECTIVE_MAX, VALUE_BYTES_MAX } from '../constants.js';

export type { KeyList, KeyValueList, MaxKey } from './object-list.js';
export type { ListAnchor } from './anchor.js';

type Body<D> = Omit<RpcRequest<D>, keyof ShardAddress>;
type UpdateBody = Body<typeof OBJ_UPDATE>;
type PunchBody = Body<typeof OBJ_PUNCH>;

export interface UpdateOptions {
  readonly dkey: Buffer;
  readonly iods: UpdateIodBody[];
  /** 'insert': fail with EXIST if the dkey exists; 'update': fail with NONEXIST if it does not. */
  readonly dkeyCond?: 'insert' | 'update';
  /** The same conditions per akey of the update. */
  readonly akeyCond?: 'insert' | 'update';
  /**
   * Write only while this array akey of the dkey holds these records; otherwise fail with NONEXIST and
   * write nothing (compare-and-update: change a key that was read without reading it again).
   */
  readonly ifMatch?: RecordMatchBody;
  /** Default: a new epoch from the process clock. */
  readonly epoch?: Epoch;
}

/** One dkey's part of updateMany. */
export interface DkeyUpdate {
  readonly dkey: Buffer;
  readonly iods: UpdateIodBody[];
}

/** An answer to an array iod; PROTO for anything else. */
function arrayValue(value: FetchValueBody): FetchValueBody & { type: 'array' } {
  if (value.type !== 'array') throw new EngineError(Der.PROTO, 'array fetch answered without array data');
  return value;
}

export interface FetchOptions {
  readonly dkey: Buffer;
  readonly iods: FetchIodBody[];
  /** 'exists': fail with NONEXIST when the dkey does not exist (instead of returning empty values). */
  readonly dkeyCond?: 'exists';
  /** Default: the handle's read epoch (EPOCH_MAX, or the snapshot's). */
  readonly epoch?: Epoch;
  /** Set by transactions (tx.ts): the reading transaction's id, so the engine records the read. */
  readonly txid?: Buffer;
}

export interface PunchOptions {
  /** Absent: punch the whole object (every shard of every group). */
  readonly dkey?: Buffer;
  /** With dkey: punch only these akeys. */
  readonly akeys?: Buffer[];
  /** With dkey: fail with NONEXIST if the dkey (or akeys) does not exist. */
  readonly ifExists?: boolean;
  /**
   * With dkey: punch only while this array akey of the dkey holds these records; otherwise fail with
   * NONEXIST and punch nothing (compare-and-punch: remove a key only while it holds what was read).
   */
  readonly ifMatch?: RecordMatchBody;
  readonly epoch?: Epoch;
}

export class ObjectHandle {
  readonly oid: Oid;
  readonly #core: ObjectCore;
  readonly #context: ObjectIoContext;

  constructor(context: ObjectIoContext, oid: Oid) {
    this.oid = oid;
    this.#context = context;
    this.#core = new ObjectCore(context, oid);
  }

  /** Redundancy groups of the object (fixed for its life). */
  get groupCount(): number {
    return this.#core.groupCount;
  }

  /** A new epoch from the process clock (for callers that group several operations at one epoch). */
  nextEpoch(): Epoch {
    return this.#context.pool.hlc.now();
  }

  /**
   * Writes the iods under `dkey` at one epoch on every writable replica; resolves with that epoch (a
   * fresh one if a transaction's conflict made the write start over, unless `options.epoch` fixed it).
   */
  async update(options: UpdateOptions): Promise<Epoch> {
    this.assertWritable();
    const conditional = options.dkeyCond !== undefined || options.akeyCond !== undefined || options.ifMatch !== undefined;
    const state = newWriteState();
    return retryingConflicts(writeConflicts(options.epoch, this.#context.pool.hlc), async (epoch) => {
      const plain: UpdateBody = { dkey: options.dkey, epoch, iods: options.iods };
      const body: UpdateBody = conditional ? { ...plain } : plain;
      if (options.dkeyCond !== undefined) body.dkeyCond = options.dkeyCond;
      if (options.akeyCond !== undefined) body.akeyCond = options.akeyCond;
      if (options.ifMatch !== undefined) body.ifMatch = options.ifMatch;
      await retrying(this.#context.recoveries, () => {
        const { layout, shards } = this.#core.dkeyShards(options.dkey);
        const write: GroupWrite<RpcRequest<typeof OBJ_UPDATE>> = { def: OBJ_UPDATE, layout, shards, body, plainBody: conditional ? plain : undefined };
        return writeGroup(this.#core, write, state);
      });
      return epoch;
    });
  }

  /**
   * Writes several dkeys' iods at one epoch (a dkey named twice must not have overlapping extents), every writable replica of each,
   * in one collective RPC per engine (more when one would name over SHARDS_PER_COLLECTIVE_MAX updates or
   * carry over VALUE_BYTES_MAX of data); resolves with the epoch, as update() does. Unconditional only.
   * A failure fails the whole batch; retries rewrite all of it at the same epoch, so some dkeys may be
   * written once a failure is reported, as with separate updates.
   */
  async updateMany(updates: readonly DkeyUpdate[], options: { epoch?: Epoch } = {}): Promise<Epoch> {
    this.assertWritable();
    return retryingConflicts(writeConflicts(options.epoch, this.#context.pool.hlc), async (epoch) => {
      await retrying(this.#context.recoveries, () => this.updateManyAttempt(updates, epoch));
      return epoch;
    });
  }

  /**
   * Reads the iods under `dkey` from one healthy replica; values come back in iod order. A large read from
   * an engine on this host asks for a placed answer and reads the bytes in place (local-blobs.ts), asking
   * again for the bytes if that cannot be done.
   */
  async fetch(options: FetchOptions): Promise<FetchValueBody[]> {
    const { values, sentAtMs, blobs } = await this.#fetchMaybePlaced(options);
    if (blobs === undefined || !values.some((value) => value.type === 'array' && value.blob !== undefined)) return values;
    return (await blobs.resolve(values, sentAtMs)) ?? (await this.#fetchOnce(options, false)).values;
  }

  /**
   * fetch of array iods only, whose bytes may stay where the engine keeps them: file parts of a PlacedBytes
   * must be read by its readBy (a few seconds), or fetched again. `filled` as in FetchValueBody.
   */
  async fetchPlaced(options: FetchOptions): Promise<Array<{ bytes: PlacedBytes; filled: number | undefined }>> {
    if (options.iods.some((iod) => iod.type !== 'array')) throw new EngineError(Der.INVAL, 'fetchPlaced reads array iods only');
    const { values, sentAtMs, blobs } = await this.#fetchMaybePlaced(options);
    const placed = values.map(arrayValue).map((value) => ({
      bytes: value.blob === undefined ? PlacedBytes.of(value.data) : blobs?.place(value, sentAtMs), filled: value.filled,
    }));
    if (placed.every((value): value is { bytes: PlacedBytes; filled: number | undefined } => value.bytes !== undefined)) return placed;
    // A place that cannot be read here: the whole answer again, as bytes (never a mix of two reads).
    return (await this.#fetchOnce(options, false)).values.map(arrayValue).map((value) => ({ bytes: PlacedBytes.of(value.data), filled: value.filled }));
  }

  /** One fetch, asking for a placed answer when local reads are on and it is large; with the time it left. */
  async #fetchMaybePlaced(options: FetchOptions): Promise<{ values: FetchValueBody[]; sentAtMs: number; blobs: LocalBlobFiles | undefined }> {
    const blobs = this.#context.pool.localBlobs;
    const placed = blobs?.wanted === true && fetchArrayBytes(options.iods) >= LOCAL_READ_BYTES_MIN;
    const sentAtMs = performance.now();
    const { values } = await this.#fetchOnce(options, placed);
    return { values, sentAtMs, blobs: placed ? blobs : undefined };
  }

  #fetchOnce(options: FetchOptions, placed: boolean): Promise<{ values: FetchValueBody[] }> {
    const body: Body<typeof OBJ_FETCH> = { dkey: options.dkey, epoch: options.epoch ?? this.#context.readEpoch, iods: options.iods };
    if (options.dkeyCond !== undefined) body.dkeyCond = options.dkeyCond;
    if (options.txid !== undefined) body.tx = options.txid;
    // Placed answers only from engines on this host (the engine also checks that the call came on its UNIX socket).
    const localBody = placed ? { ...body, placed: true } : undefined;
    return retryingConflicts(fixedEpochConflicts(body.epoch as Epoch), () => retrying(this.#context.recoveries, () => {
      const { layout, shards } = this.#core.dkeyShards(options.dkey);
      return this.#core.readGroup(OBJ_FETCH, layout, shards, body, localBody);
    }));
  }

  /** Punches the object, a dkey, or akeys of a dkey, at one epoch; resolves with that epoch (see update). */
  async punch(options: PunchOptions = {}): Promise<Epoch> {
    this.assertWritable();
    if (options.dkey === undefined && (options.akeys !== undefined || options.ifExists === true || options.ifMatch !== undefined)) {
      throw new EngineError(Der.INVAL, 'akeys, ifExists and ifMatch need a dkey');
    }
    const conditional = options.ifExists === true || options.ifMatch !== undefined;
    const state = newWriteState();
    return retryingConflicts(writeConflicts(options.epoch, this.#context.pool.hlc), async (epoch) => {
      const plain: PunchBody = { epoch };
      if (options.dkey !== undefined) plain.dkey = options.dkey;
      if (options.akeys !== undefined) plain.akeys = options.akeys;
      // The conditions go to the group's leader only; the other replicas apply what it accepted.
      const body: PunchBody = conditional ? { ...plain } : plain;
      if (options.ifExists === true) body.ifExists = true;
      if (options.ifMatch !== undefined) body.ifMatch = options.ifMatch;
      await retrying(this.#context.recoveries, () => this.punchAttempt(options.dkey, { body, plain, conditional }, state));
      return epoch;
    });
  }

  /** Up to `limit` dkeys from `anchor` (default: the start), group after group; see anchor.ts. `txid`: as in fetch. */
  listDkeys(options: { anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer }): Promise<KeyList> {
    return listDkeys(this.#core, options);
  }

  /**
   * listDkeys that also fetches `iods` under every dkey listed (and, with `akeysMax`, lists each one's akeys),
   * in the same RPCs and at the same epoch: `values[i]` answers `keys[i]` as `fetch` would, `akeys[i]` are
   * its akeys or null past akeysMax (a directory's entries with their inodes and xattr names).
   */
  listDkeyValues(options: { iods: FetchIodBody[]; akeysMax?: number; anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer }): Promise<KeyValueList> {
    return listDkeyValues(this.#core, options);
  }

  /** Up to `limit` akeys of `dkey` from `anchor` (default: the start). */
  listAkeys(options: { dkey: Buffer; anchor?: ListAnchor; limit: number; epoch?: Epoch; txid?: Buffer }): Promise<KeyList> {
    return listAkeys(this.#core, options);
  }

  /** One anchor per redundancy group, each pinned to its group, for listing the object in parallel. */
  splitAnchors(): ListAnchor[] {
    return splitAnchors(this.#core.groupCount);
  }

  /** True when a listing of this object now at `anchor` has gone past the place of `dkey` (anchor.ts). */
  anchorPassed(anchor: ListAnchor, dkey: Buffer): boolean {
    return anchorPassed(anchor, dkey, this.#core.groupCount);
  }

  /**
   * The greatest dkey (byte order) holding `akey`, and the end of that akey's highest extent there; with
   * the object's newest epoch. `akey` null asks for that epoch alone, which costs the engines no key search.
   */
  queryMax(options: { akey: Buffer | null; epoch?: Epoch; txid?: Buffer }): Promise<MaxKey> {
    return queryMax(this.#core, options);
  }

  /** One attempt of a punch: the dkey's group, or every group for an object punch. */
  private punchAttempt(
    dkey: Buffer | undefined,
    bodies: { body: PunchBody; plain: PunchBody; conditional: boolean },
    state: WriteState,
  ): Promise<void> {
    if (dkey !== undefined) {
      const { layout, shards } = this.#core.dkeyShards(dkey);
      return writeGroup(this.#core, { def: OBJ_PUNCH, layout, shards, body: bodies.body, plainBody: bodies.conditional ? bodies.plain : undefined }, state);
    }
    return this.punchEveryShard(bodies.body.epoch);
  }

  /**
   * An object punch: every writable shard of every group, one collective RPC per engine (DAOS
   * obj_coll_punch); succeeds once all of them acknowledged, else throws the first failure.
   */
  private async punchEveryShard(epoch: number): Promise<void> {
    const layout = this.#core.layout();
    const shards = Array.from({ length: layout.groupCount }, (_, group) => writeShards(groupShards(layout, group))).flat();
    const calls = this.#core.collective<RpcRequest<typeof OBJ_COLL_PUNCH>>(layout, shards, { epoch });
    await settleInOrder(calls.map((call) => this.#core.send(OBJ_COLL_PUNCH, call.shards[0]!, call.request)));
  }

  /** One attempt of updateMany: the updates dealt to the engines holding their groups' writable replicas. */
  private async updateManyAttempt(updates: readonly DkeyUpdate[], epoch: number): Promise<void> {
    const layout = this.#core.layout();
    type Call = { first: ShardLocation; request: RpcRequest<typeof OBJ_COLL_UPDATE>; bytes: number };
    const open = new Map<number, Call>();
    const calls: Call[] = [];
    for (const update of updates) {
      const bytes = update.iods.reduce((sum, iod) => sum + (iod.type === 'single' ? iod.value.length : iod.data?.length ?? 0), 0);
      for (const shard of writeShards(groupShards(layout, dkeyGroup(update.dkey, layout.groupCount)))) {
        let call = open.get(shard.rank);
        if (call === undefined || call.request.updates.length >= SHARDS_PER_COLLECTIVE_MAX || (call.bytes > 0 && call.bytes + bytes > VALUE_BYTES_MAX)) {
          const { pool, cont, mapVersion, oid } = this.#core.address(layout, shard);
          call = { first: shard, request: { pool, cont, mapVersion, oid, epoch, updates: [] }, bytes: 0 };
          open.set(shard.rank, call);
          calls.push(call);
        }
        call.request.updates.push({ target: shard.target, shard: shard.shard, dkey: update.dkey, iods: update.iods });
        call.bytes += bytes;
      }
    }
    await settleInOrder(calls.map((call) => this.#core.send(OBJ_COLL_UPDATE, call.first, call.request)));
  }

  private assertWritable(): void {
    if (this.#context.readOnly) throw new EngineError(Der.NO_PERM, 'container handle is read-only (opened at a snapshot)');
  }
}
