/**
 * Pool handles (DAOS daos_pool_connect): connecting finds the pool service leader among the system's
 * engines, fetches the pool's map, properties and service replicas, and keeps the map current — refreshed
 * on demand (stale answers), or replaced by what the service returns after an exclude, reintegrate or
 * unreachable report. Concurrent refreshes and reports of one rank share one RPC. The handle owns its
 * transports only when it created them. Containers are created, listed, opened and destroyed here.
 * Errors: EngineError from the service (NONEXIST for an unknown pool, ...) or UNREACH if no engine answers.
 */
import type { Logger } from '../log.js';
import { LayoutCache } from '../placement/layout-cache.js';
import type { Oid } from '../placement/oid.js';
import type { ObjectLayout } from '../placement/placement.js';
import { type PoolMap, type Rank, rankOf } from '../pool-map/pool-map.js';
import type { SystemFile } from '../system/system-file.js';
import type { Hlc } from '../wire/epoch.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef, RpcResponse } from '../wire/rpc-def.js';
import {
  POOL_CONNECT, POOL_DESTROY, POOL_EXCLUDE, POOL_MAP_GET, POOL_QUERY, POOL_REINTEGRATE, POOL_REPORT_UNREACHABLE, type PoolProps,
} from '../wire/rpc/pool.js';
import { defaultClientLogger } from './client-log.js';
import { clientHlc } from './clock.js';
import { LAYOUT_CACHE_ENTRIES_MAX } from './constants.js';
import { type ContainerCreateOptions, type OpenContainerOptions, ContHandle, createContainer, destroyContainer, listContainers, openContainer } from './container.js';
import { H2TransportPool } from './h2-transport.js';
import type { PoolIo } from './io-context.js';
import { LocalBlobFiles } from './local-blobs.js';
import { poolMapFromBody } from './map-body.js';
import { PoolServiceClient } from './pool-service.js';
import { ReadAffinity } from './read-affinity.js';
import type { RpcTransport, TransportPool } from './transport.js';

export interface ConnectPoolOptions {
  readonly system: SystemFile;
  /** Pool uuid or label. */
  readonly pool: string;
  /** Shared transports; default: a new H2TransportPool owned (and closed) by the handle. */
  readonly transport?: TransportPool;
  readonly log?: Logger;
  /** Engines to read replicas from first, best first (read-affinity.ts); default: engines on this host, then a per-client choice. */
  readonly preferRanks?: readonly Rank[];
}

export type PoolQuery = RpcResponse<typeof POOL_QUERY>;

/** Connects to a pool. The handle must be released with disconnect(). */
export async function connectPool(options: ConnectPoolOptions): Promise<PoolHandle> {
  const log = options.log ?? defaultClientLogger();
  const owned = options.transport === undefined;
  const transports = options.transport ?? new H2TransportPool({ log });
  const svc = new PoolServiceClient({ system: options.system, transports, log });
  try {
    const answer = await svc.call(POOL_CONNECT, { pool: options.pool });
    const map = poolMapFromBody(answer.map);
    svc.learn({ svcRanks: answer.svcRanks, map });
    return new PoolHandle({ answer, map, svc, transports, owned, log, ...(options.preferRanks === undefined ? {} : { preferRanks: options.preferRanks }) });
  } catch (error) {
    if (owned) await transports.close();
    throw error;
  }
}

interface PoolHandleInit {
  readonly answer: RpcResponse<typeof POOL_CONNECT>;
  readonly map: PoolMap;
  readonly svc: PoolServiceClient;
  readonly transports: TransportPool;
  readonly owned: boolean;
  readonly log: Logger;
  readonly preferRanks?: readonly Rank[];
}

export class PoolHandle implements PoolIo {
  readonly uuid: string;
  readonly label: string;
  readonly props: PoolProps;
  readonly log: Logger;
  readonly hlc: Hlc = clientHlc;
  readonly transports: TransportPool;
  readonly localBlobs: LocalBlobFiles | undefined = LocalBlobFiles.enabled() ? new LocalBlobFiles(() => this.#localEngineDirs()) : undefined;
  svcRanks: readonly number[];
  #map: PoolMap;
  readonly #svc: PoolServiceClient;
  readonly #owned: boolean;
  readonly #layouts = new LayoutCache(LAYOUT_CACHE_ENTRIES_MAX);
  /** Transport per rank for the current map; cleared when the map changes. */
  readonly #rankTransports = new Map<number, RpcTransport>();
  #refreshing: Promise<PoolMap> | undefined = undefined;
  readonly #reporting = new Map<number, Promise<PoolMap>>();
  #disconnected = false;
  readonly #affinity: ReadAffinity;
  readonly readPreference = (rank: Rank): number => this.#affinity.preference(rank);

  constructor(init: PoolHandleInit) {
    this.uuid = init.answer.uuid;
    this.label = init.answer.label;
    this.props = init.answer.props;
    this.svcRanks = init.answer.svcRanks;
    this.#map = init.map;
    this.#svc = init.svc;
    this.transports = init.transports;
    this.#owned = init.owned;
    this.log = init.log;
    this.#affinity = new ReadAffinity({
      ...(init.preferRanks === undefined ? {} : { preferRanks: init.preferRanks }),
      isLocal: (rank) => this.transportFor(rank).localDir !== undefined,
      callsInFlight: (rank) => this.transportFor(rank).callsInFlight,
    });
  }

  /** The newest pool map this handle knows. */
  get map(): PoolMap {
    return this.#map;
  }

  /** Sends a pool/container service RPC to the service leader (finding it as needed). */
  svcCall<Req, Res>(def: RpcDef<Req, Res>, request: Req): Promise<Res> {
    if (this.#disconnected) return Promise.reject(new EngineError(Der.NO_HDL, `pool ${this.label} is disconnected`));
    return this.#svc.call(def, request);
  }

  layout(oid: Oid): ObjectLayout {
    return this.#layouts.layout(this.#map, oid);
  }

  transportFor(rank: Rank): RpcTransport {
    let transport = this.#rankTransports.get(rank);
    if (transport === undefined) {
      const entry = rankOf(this.#map, rank);
      if (entry === undefined) throw new EngineError(Der.INVAL, `rank ${rank} is not in pool map version ${this.#map.version}`);
      transport = this.transports.get(entry.address);
      this.#rankTransports.set(rank, transport);
    }
    return transport;
  }

  /** The directories of the map's engines that this process reaches by their UNIX sockets. */
  *#localEngineDirs(): Iterable<string> {
    for (const entry of this.#map.ranks) {
      const dir = this.transportFor(entry.rank).localDir;
      if (dir !== undefined) yield dir;
    }
  }

  /** Fetches the map from the service unless the handle already has `minVersion`; returns the newest map. */
  refreshMap(minVersion?: number): Promise<PoolMap> {
    if (minVersion !== undefined && this.#map.version >= minVersion) return Promise.resolve(this.#map);
    this.#refreshing ??= this.svcCall(POOL_MAP_GET, { pool: this.uuid })
      .then((answer) => this.adoptMap(answer.map))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Reports an engine that did not answer; the service may exclude it. Returns the map afterwards. */
  reportUnreachable(rank: Rank): Promise<PoolMap> {
    let pending = this.#reporting.get(rank);
    if (pending === undefined) {
      this.log.info({ pool: this.uuid, rank, mapVersion: this.#map.version }, 'reporting unreachable engine');
      pending = this.svcCall(POOL_REPORT_UNREACHABLE, { pool: this.uuid, rank, mapVersion: this.#map.version })
        .then((answer) => this.adoptMap(answer.map))
        .finally(() => this.#reporting.delete(rank));
      this.#reporting.set(rank, pending);
    }
    return pending;
  }

  /** Pool state: map, space per target, redundancy, rebuild progress. */
  async query(): Promise<PoolQuery> {
    const answer = await this.svcCall(POOL_QUERY, { pool: this.uuid });
    this.adoptMap(answer.map);
    this.svcRanks = answer.svcRanks;
    return answer;
  }

  /** Excludes every target of `rank` (administrative); returns the new map. */
  async exclude(rank: number): Promise<PoolMap> {
    return this.adoptMap((await this.svcCall(POOL_EXCLUDE, { pool: this.uuid, rank })).map);
  }

  /** Starts reintegrating `rank`; returns the new map. */
  async reintegrate(rank: number): Promise<PoolMap> {
    return this.adoptMap((await this.svcCall(POOL_REINTEGRATE, { pool: this.uuid, rank })).map);
  }

  /** Destroys the pool (force: even with containers or connections) and disconnects this handle. */
  async destroy(options: { force?: boolean } = {}): Promise<void> {
    await this.svcCall(POOL_DESTROY, options.force === true ? { pool: this.uuid, force: true } : { pool: this.uuid });
    await this.disconnect();
  }

  createContainer(options: ContainerCreateOptions = {}): ReturnType<typeof createContainer> {
    return createContainer(this, options);
  }

  /** Opens a container by uuid or label, optionally read-only at a snapshot (name or epoch). */
  openContainer(name: string, options: OpenContainerOptions = {}): Promise<ContHandle> {
    return openContainer(this, name, options);
  }

  destroyContainer(name: string, options: { force?: boolean } = {}): Promise<void> {
    return destroyContainer(this, name, options);
  }

  listContainers(): ReturnType<typeof listContainers> {
    return listContainers(this);
  }

  /** Releases the handle; closes the transports if the handle created them. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.#disconnected) return;
    this.#disconnected = true;
    this.#layouts.clear();
    this.#rankTransports.clear();
    this.localBlobs?.close();
    if (this.#owned) await this.transports.close();
  }

  /** Takes `body` as the current map if it is newer; returns the current map. */
  private adoptMap(body: Parameters<typeof poolMapFromBody>[0]): PoolMap {
    if (body.version > this.#map.version) {
      const map = poolMapFromBody(body);
      this.log.debug({ pool: this.uuid, from: this.#map.version, to: map.version }, 'pool map updated');
      this.#map = map;
      this.#rankTransports.clear();
      this.#svc.learn({ map });
    }
    return this.#map;
  }
}
