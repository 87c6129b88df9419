/**
 * What an engine offers the services running inside it (object handlers, engine admin, pool service,
 * resync, aggregation). engine.ts implements it; services depend only on this interface, so each can be
 * read and tested on its own.
 */
import type { TransportPool } from '../client/transport.js';
import type { Logger } from '../log.js';
import type { PoolMap, Rank } from '../pool-map/pool-map.js';
import type { SystemFile } from '../system/system-file.js';
import type { Hlc } from '../wire/epoch.js';
import type { ReclaimPolicy } from '../wire/rpc/pool.js';
import type { VosTarget } from '../vos/index.js';

export interface TargetUsage {
  readonly index: number;
  readonly capacityBytes: number;
  readonly usedBytes: number;
}

export interface EngineServices {
  readonly rank: Rank;
  /** The engine's storage directory. */
  readonly dir: string;
  readonly log: Logger;
  readonly hlc: Hlc;
  /** Targets this engine creates for each pool. */
  readonly targetCount: number;
  /** Engine-to-engine RPCs (replica forwarding, resync, pool service replication). */
  readonly peers: TransportPool;
  /** The system file, re-read when it changed on disk. */
  system(): SystemFile;
  /** Pools this engine has targets for. */
  localPools(): string[];
  /** Creates (idempotently) this engine's targets for a pool and records the map. */
  /** `reclaim` absent: 'lazy'. */
  createLocalPool(pool: string, capacityBytesPerTarget: number, map: PoolMap, reclaim?: ReclaimPolicy): void;
  destroyLocalPool(pool: string): void;
  /** The newest pool map this engine knows for a pool (persisted across restarts). */
  poolMap(pool: string): PoolMap | undefined;
  /** Records a map if it is newer than the one held; returns whether it was. */
  setPoolMap(pool: string, map: PoolMap): boolean;
  /** The VOS of each local target of a pool (index = target index); undefined if the pool is not local. */
  vosTargets(pool: string): readonly VosTarget[] | undefined;
  poolUsage(pool: string): TargetUsage[];
  destroyContainer(pool: string, cont: string): void;
  /** Snapshot epochs of a container that aggregation must keep readable. */
  setRetainedEpochs(pool: string, cont: string, epochs: readonly number[]): void;
  /** Registers cleanup run on shutdown, before the stores close. */
  onShutdown(cleanup: () => Promise<void>): void;
}
