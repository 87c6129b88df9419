/**
 * What object I/O needs from the pool and container handles, as interfaces, so object code depends on
 * neither handle class (and tests can see exactly what an object touches). PoolHandle implements PoolIo;
 * ContHandle builds one ObjectIoContext, shared by every object handle it opens.
 */
import type { Logger } from '../log.js';
import type { Oid } from '../placement/oid.js';
import type { ObjectLayout } from '../placement/placement.js';
import type { Rank } from '../pool-map/pool-map.js';
import type { Epoch, Hlc } from '../wire/epoch.js';
import type { LocalBlobFiles } from './local-blobs.js';
import type { MapSource, Recovery } from './retry.js';
import type { RpcTransport } from './transport.js';

export interface PoolIo extends MapSource {
  readonly uuid: string;
  readonly log: Logger;
  /** The process clock (clock.ts) that issues update epochs. */
  readonly hlc: Hlc;
  /** The layout of `oid` under the current map (cached per oid and map version). */
  layout(oid: Oid): ObjectLayout;
  /** The transport to the engine of `rank` in the current map. */
  transportFor(rank: Rank): RpcTransport;
  /** How much this client wants to read replicas from `rank`, higher first (read-affinity.ts). */
  readonly readPreference: (rank: Rank) => number;
  /** The blob files of engines on this host, for placed fetch answers; absent: local reads are off. */
  readonly localBlobs?: LocalBlobFiles;
}

export interface ObjectIoContext {
  readonly pool: PoolIo;
  readonly contUuid: string;
  /** Opened at a snapshot: updates and punches fail with Der.NO_PERM. */
  readonly readOnly: boolean;
  /** Default epoch of reads: EPOCH_MAX, or the snapshot's epoch. */
  readonly readEpoch: Epoch;
  /** Recovery wrappers applied around every object operation (retry.ts). */
  readonly recoveries: readonly Recovery[];
}
