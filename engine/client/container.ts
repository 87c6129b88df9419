/**
 * Container handles (DAOS daos_cont_*): create/open/list/destroy through the pool service, properties,
 * user attributes, snapshots, object id allocation, and object handles (raw, KV, byte array). A handle
 * opened at a snapshot reads at the snapshot's epoch and is read-only: every write through it (object
 * updates and punches, snapshots, attributes, oid allocation) fails with Der.NO_PERM. Transactions over
 * the container's objects start here (txOpen, runTx; tx.ts). The handle holds no server-side state;
 * closing it is a no-op kept for symmetry.
 */
import type { ObjClassName } from '../placement/object-class.js';
import type { ObjType, Oid } from '../placement/oid.js';
import { EPOCH_MAX, type Epoch, asEpoch } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcRequest, RpcResponse } from '../wire/rpc-def.js';
import {
  CONT_ALLOC_OIDS, CONT_CREATE, CONT_DEL_ATTR, CONT_DESTROY, CONT_LIST, CONT_QUERY, CONT_SET_ATTR, CONT_SNAP_CREATE,
  CONT_SNAP_DESTROY, CONT_SNAP_LIST, type ContInfo, type ContProps, type SnapshotBody,
} from '../wire/rpc/cont.js';
import { ArrayObject } from './array.js';
import type { ObjectIoContext } from './io-context.js';
import { KvObject } from './kv.js';
import { ObjectHandle } from './object.js';
import { type PunchManyOptions, punchMany } from './multi-punch.js';
import { type MaxKeyQuery, queryMaxMany } from './multi-query.js';
import type { MaxKey } from './object-list.js';
import { OidAllocator } from './oid-allocator.js';
import type { PoolHandle } from './pool.js';
import { backoffOnBusy, refreshOnDataLoss, refreshOnStale, reportOnUnreachable } from './retry.js';
import type { Tx } from './tx.js';
import { type RunTxOptions, type TxOpenOptions, openTx, runTx } from './tx-run.js';

export interface ContainerCreateOptions {
  readonly uuid?: string;
  readonly label?: string;
  readonly props?: Partial<ContProps>;
  readonly attrs?: Record<string, string>;
}

export interface OpenContainerOptions {
  /** Open read-only at this snapshot (by name, or by its epoch). */
  readonly snapshot?: string | number;
}

export type ContainerSummary = RpcResponse<typeof CONT_LIST>['containers'][number];

export async function createContainer(pool: PoolHandle, options: ContainerCreateOptions): Promise<ContInfo> {
  const request: RpcRequest<typeof CONT_CREATE> = { pool: pool.uuid };
  if (options.uuid !== undefined) request.uuid = options.uuid;
  if (options.label !== undefined) request.label = options.label;
  if (options.props !== undefined) request.props = options.props;
  if (options.attrs !== undefined) request.attrs = options.attrs;
  return pool.svcCall(CONT_CREATE, request);
}

export async function listContainers(pool: PoolHandle): Promise<ContainerSummary[]> {
  return (await pool.svcCall(CONT_LIST, { pool: pool.uuid })).containers;
}

export async function destroyContainer(pool: PoolHandle, name: string, options: { force?: boolean }): Promise<void> {
  await pool.svcCall(CONT_DESTROY, options.force === true ? { pool: pool.uuid, cont: name, force: true } : { pool: pool.uuid, cont: name });
}

export async function openContainer(pool: PoolHandle, name: string, options: OpenContainerOptions): Promise<ContHandle> {
  const info = await pool.svcCall(CONT_QUERY, { pool: pool.uuid, cont: name });
  if (options.snapshot === undefined) return new ContHandle(pool, info, undefined);
  const wanted = options.snapshot;
  const snapshot = info.snapshots.find((entry) => (typeof wanted === 'string' ? entry.name === wanted : entry.epoch === wanted));
  if (snapshot === undefined) throw new EngineError(Der.NONEXIST, `container ${name} has no snapshot ${String(wanted)}`);
  return new ContHandle(pool, info, snapshot);
}

export class ContHandle {
  readonly uuid: string;
  readonly label: string | undefined;
  readonly props: ContProps;
  /** User attributes as of open (getAttrs() asks the service again). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly readOnly: boolean;
  /** EPOCH_MAX, or the snapshot's epoch. */
  readonly readEpoch: Epoch;
  readonly pool: PoolHandle;
  readonly #context: ObjectIoContext;
  readonly #oids: OidAllocator;

  constructor(pool: PoolHandle, info: ContInfo, snapshot: SnapshotBody | undefined) {
    this.pool = pool;
    this.uuid = info.uuid;
    this.label = info.label;
    this.props = info.props;
    this.attrs = info.attrs;
    this.readOnly = snapshot !== undefined;
    this.readEpoch = snapshot === undefined ? EPOCH_MAX : asEpoch(snapshot.epoch);
    this.#context = {
      pool,
      contUuid: info.uuid,
      readOnly: this.readOnly,
      readEpoch: this.readEpoch,
      recoveries: [refreshOnStale(pool), reportOnUnreachable(pool, pool.log), refreshOnDataLoss(pool), backoffOnBusy()],
    };
    this.#oids = new OidAllocator(async (count) => pool.svcCall(CONT_ALLOC_OIDS, { pool: pool.uuid, cont: this.uuid, count }));
  }

  private get ref(): { pool: string; cont: string } {
    return { pool: this.pool.uuid, cont: this.uuid };
  }

  /** Fresh container info (props, attrs, snapshots) from the service. */
  info(): Promise<ContInfo> {
    return this.pool.svcCall(CONT_QUERY, this.ref);
  }

  async snapshots(): Promise<SnapshotBody[]> {
    return (await this.pool.svcCall(CONT_SNAP_LIST, this.ref)).snapshots;
  }

  /** Takes a snapshot (named, or named by the service); its epoch is above every write seen before. */
  async createSnapshot(name?: string): Promise<SnapshotBody> {
    this.assertWritable();
    return this.pool.svcCall(CONT_SNAP_CREATE, name === undefined ? this.ref : { ...this.ref, name });
  }

  async destroySnapshot(nameOrEpoch: string | number): Promise<void> {
    this.assertWritable();
    const which = typeof nameOrEpoch === 'string' ? { name: nameOrEpoch } : { epoch: nameOrEpoch };
    await this.pool.svcCall(CONT_SNAP_DESTROY, { ...this.ref, ...which });
  }

  async setAttrs(attrs: Record<string, string>): Promise<void> {
    this.assertWritable();
    await this.pool.svcCall(CONT_SET_ATTR, { ...this.ref, attrs });
  }

  /** The named attributes that exist (all of them without `names`); missing names are simply absent. */
  async getAttrs(names?: readonly string[]): Promise<Record<string, string>> {
    const { attrs } = await this.info();
    if (names === undefined) return attrs;
    const picked: Record<string, string> = {};
    for (const name of names) if (Object.hasOwn(attrs, name)) picked[name] = attrs[name]!;
    return picked;
  }

  async delAttrs(names: readonly string[]): Promise<void> {
    this.assertWritable();
    await this.pool.svcCall(CONT_DEL_ATTR, { ...this.ref, names: [...names] });
  }

  /** A new object id, unique in the container; class default: the container's `oclass` property. */
  async allocOid(options: { type: ObjType; oclass?: ObjClassName | undefined }): Promise<Oid> {
    this.assertWritable();
    return this.#oids.allocate({ type: options.type, oclass: options.oclass ?? this.props.oclass, map: this.pool.map });
  }

  /** The object API on `oid` (no RPC; objects exist once written). */
  object(oid: Oid): ObjectHandle {
    return new ObjectHandle(this.#context, oid);
  }

  /**
   * queryMax of many objects at once, in query order: one RPC per engine holding their shards (a
   * directory listing's sizes), not one per object and engine.
   */
  queryMaxMany(queries: readonly MaxKeyQuery[], options: { epoch?: Epoch } = {}): Promise<MaxKey[]> {
    return queryMaxMany(this.#context, queries, options);
  }

  /**
   * Punches many objects whole at once (DFS's reaper of removed entries): one RPC per engine holding their
   * shards, not one per object and engine; `ifStored` spares the shards that hold nothing of their object.
   * Resolves with the punches' epoch.
   */
  punchMany(oids: readonly Oid[], options: PunchManyOptions = {}): Promise<Epoch> {
    this.assertWritable();
    return punchMany(this.#context, oids, options);
  }

  /** A key-value view of a MULTI_LEXICAL object. */
  kv(oid: Oid): KvObject {
    return new KvObject(this.object(oid));
  }

  /** A byte-array view of an ARRAY_BYTE object; chunk size default: the container's `chunkSizeBytes`. */
  array(oid: Oid, options: { chunkSizeBytes?: number } = {}): ArrayObject {
    return new ArrayObject(this.object(oid), options.chunkSizeBytes ?? this.props.chunkSizeBytes);
  }

  /**
   * A new transaction at a fresh epoch, or read-only at a snapshot (name or epoch; always so on a handle
   * opened at a snapshot). Nothing is sent until it reads or commits. NONEXIST: unknown snapshot name.
   */
  txOpen(options: TxOpenOptions = {}): Promise<Tx> {
    return openTx(this.#context, () => this.snapshots(), options);
  }

  /**
   * Runs fn in a transaction and commits it; on TX_RESTART (or INPROGRESS) backs off and runs fn again
   * in a fresh one, at most `retriesMax` times (default TX_RETRIES_MAX). Other errors are thrown at once.
   */
  runTx<T>(fn: (tx: Tx) => Promise<T>, options: RunTxOptions = {}): Promise<T> {
    return runTx(() => this.txOpen(options), fn, options);
  }

  /** No server-side state to release; kept so callers can treat handles uniformly. */
  async close(): Promise<void> {}

  private assertWritable(): void {
    if (this.readOnly) throw new EngineError(Der.NO_PERM, `container ${this.label ?? this.uuid} is open read-only at a snapshot`);
  }
}
