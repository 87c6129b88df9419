/**
 * The per-object core shared by object operations: the object's layout under the current pool map (kept
 * on the handle while the map version holds, else from the pool's layout cache), the addressing fields of
 * a shard RPC, sending one RPC to one shard (failures become ShardErrors naming the rank), and reading
 * from one healthy shard of a group with fail-over to the others on UNREACH/TIMEDOUT.
 * It never retries on a new map; that is the recovery wrappers' job (retry.ts).
 */
import { SHARDS_PER_COLLECTIVE_MAX } from '../constants.js';
import { OID_BYTES, type Oid, oidGroupCount, oidToBytes } from '../placement/oid.js';
import { type ObjectLayout, type ShardLocation, dkeyGroup, groupShards } from '../placement/placement.js';
import { Der, EngineError } from '../wire/errors.js';
import type { RpcDef } from '../wire/rpc-def.js';
import type { ObjectAddressBody } from '../wire/rpc/common.js';
import type { CollectiveAddressBody } from '../wire/rpc/obj.js';
import type { ObjectIoContext } from './io-context.js';
import { partsByRank } from './rank-parts.js';
import { ReadBatch } from './read-affinity.js';
import { isUnreachable, toShardError } from './shard-error.js';
import { readShard, readShards } from './shard-choice.js';

/** The fields every object RPC starts with (engine/wire/rpc/common.ts objectAddress). */
export type ShardAddress = ObjectAddressBody;

/** The fields a collective object RPC starts with (engine/wire/rpc/obj.ts collectiveAddress). */
export type CollectiveAddress = CollectiveAddressBody;

/** One collective RPC: the shards it names (all on one rank, in the order of its answers) and its body. */
export interface CollectiveCall<Req> {
  readonly shards: readonly ShardLocation[];
  readonly request: Req;
}

export class ObjectCore {
  readonly context: ObjectIoContext;
  readonly oid: Oid;
  readonly oidBytes: Buffer;
  readonly groupCount: number;
  private cached: ObjectLayout | undefined = undefined;

  constructor(context: ObjectIoContext, oid: Oid) {
    this.context = context;
    this.oid = oid;
    this.oidBytes = oidToBytes(oid);
    this.groupCount = oidGroupCount(oid);
    if (this.oidBytes.length !== OID_BYTES || this.groupCount < 1) throw new EngineError(Der.INVAL, 'object id names no redundancy group');
  }

  /** The layout under the pool's current map. */
  layout(): ObjectLayout {
    const version = this.context.pool.map.version;
    if (this.cached === undefined || this.cached.version !== version) this.cached = this.context.pool.layout(this.oid);
    return this.cached;
  }

  /** The shards of the group holding `dkey`, under the current layout. */
  dkeyShards(dkey: Uint8Array): { layout: ObjectLayout; shards: readonly ShardLocation[] } {
    const layout = this.layout();
    return { layout, shards: groupShards(layout, dkeyGroup(dkey, layout.groupCount)) };
  }

  address(layout: ObjectLayout, shard: ShardLocation): ShardAddress {
    // Spelled out, not spread: every RPC assembles one, and spreads cost 7 % of a KV get's client CPU.
    return { pool: this.context.pool.uuid, cont: this.context.contUuid, mapVersion: layout.version, oid: this.oidBytes, target: shard.target, shard: shard.shard };
  }

  /** `body` completed with the addressing fields of `shard` (the one place a shard request is assembled). */
  request<Req extends ShardAddress>(layout: ObjectLayout, shard: ShardLocation, body: Omit<Req, keyof ShardAddress>): Req {
    // Omit<Req, K> & ShardAddress is Req; TypeScript cannot see that for a generic Req.
    return Object.assign(this.address(layout, shard), body) as Req;
  }

  /**
   * `shards` grouped by rank into collective requests (at most SHARDS_PER_COLLECTIVE_MAX shards each),
   * each `body` completed with the addressing fields; ranks in first-seen order, shards in given order.
   */
  collective<Req extends CollectiveAddress>(layout: ObjectLayout, shards: readonly ShardLocation[], body: Omit<Req, keyof CollectiveAddress>): CollectiveCall<Req>[] {
    return partsByRank(shards, (shard) => shard.rank, SHARDS_PER_COLLECTIVE_MAX).map((part) => {
      const address: CollectiveAddress = {
        pool: this.context.pool.uuid, cont: this.context.contUuid, mapVersion: layout.version, oid: this.oidBytes,
        shards: part.map((shard) => ({ target: shard.target, shard: shard.shard })),
      };
      // Omit<Req, K> & CollectiveAddress is Req; TypeScript cannot see that for a generic Req.
      return { shards: part, request: Object.assign(address, body) as Req };
    });
  }

  /** The healthy shard of a group a read starts with (the one readGroup tries first), or, in `batch`, the one the batch gives it. */
  readShard(shards: readonly ShardLocation[], batch?: ReadBatch): ShardLocation {
    if (batch === undefined) return readShard(shards, this.context.pool.readPreference);
    const shard = readShard(shards, batch.preference);
    batch.picked(shard.rank);
    return shard;
  }

  /** A batch of reads of many groups (read-affinity.ts ReadBatch). */
  readBatch(groups: number): ReadBatch {
    return new ReadBatch(this.context.pool.readPreference, groups, this.context.pool.map.ranks.length);
  }

  /** One RPC to one shard (or, collective, to the rank of `shard`); an EngineError comes back as a ShardError naming the shard's rank. */
  async send<Req, Res>(def: RpcDef<Req, Res>, shard: ShardLocation, request: Req): Promise<Res> {
    try {
      return await this.context.pool.transportFor(shard.rank).call(def, request);
    } catch (error) {
      throw toShardError(error, shard.rank, shard.shard);
    }
  }

  /**
   * `body` sent to one healthy shard of the group (addressed per shard), failing over to the next healthy
   * shard when one is unreachable or times out. Throws the last such error when all fail, any other
   * error at once, DATA_LOSS when the group has no healthy shard. `localBody`, if given, goes instead of
   * `body` to a shard whose engine runs on this host (RpcTransport.localDir).
   */
  async readGroup<Req extends ShardAddress, Res>(
    def: RpcDef<Req, Res>,
    layout: ObjectLayout,
    shards: readonly ShardLocation[],
    body: Omit<Req, keyof ShardAddress>,
    localBody?: Omit<Req, keyof ShardAddress>,
  ): Promise<Res> {
    const order = readShards(shards, this.context.pool.readPreference);
    let lastError: unknown;
    for (const shard of order) {
      const chosen = localBody !== undefined && this.context.pool.transportFor(shard.rank).localDir !== undefined ? localBody : body;
      try {
        return await this.send(def, shard, this.request<Req>(layout, shard, chosen));
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }
}
