/**
 * The engine side of resync (reintegration), registered on every engine:
 *   RESYNC_PUSH   scan this engine's VOS targets of the pool for records newer than `sinceEpoch` and send
 *                 the ones the rejoining rank must hold, in arrival order, with RESYNC_INGEST;
 *   RESYNC_INGEST apply such records to one local target as one shard (VOS ingest is idempotent).
 * A record is sent when, under the map given (the rejoining rank UP), the record's shard is a healthy
 * shard on this target, its group (dkeyGroup of its dkey; an object punch belongs to its shard's group)
 * has a shard on the rejoining rank, and this engine is the lowest-ranked healthy member of the group, so
 * exactly one engine sends each group's records. Never changes the pool map or the service state.
 */
import assert from 'node:assert/strict';
import { poolMapFromBody } from '../../client/map-body.js';
import { RPC_TIMEOUT_MS, VALUE_BYTES_MAX } from '../../constants.js';
import { LayoutCache } from '../../placement/layout-cache.js';
import { oidFromBytes } from '../../placement/oid.js';
import { dkeyGroup, groupShards, type ObjectLayout } from '../../placement/placement.js';
import type { PoolMap } from '../../pool-map/pool-map.js';
import type { VosRecord, VosTarget } from '../../vos/index.js';
import { vosLimits } from '../../vos/index.js';
import { asEpoch } from '../../wire/epoch.js';
import { Der, EngineError } from '../../wire/errors.js';
import { RESYNC_INGEST, RESYNC_PUSH, RESYNC_RECORDS_PER_RPC_MAX, type VosRecordBody } from '../../wire/rpc/resync.js';
import type { HandlerRegistry } from '../registry.js';
import type { EngineServices } from '../services.js';
import { RESYNC_EXPORT_RECORDS_MAX, RESYNC_INGEST_BYTES_SOFT_MAX, RESYNC_INGEST_RECORDS_MAX } from './constants.js';
import type { RankCaller } from './fanout.js';

/** Distinct objects counted per push (the count is a progress figure; past this it stops growing). */
const OBJECTS_COUNTED_MAX = 1 << 20;

assert.ok(RESYNC_EXPORT_RECORDS_MAX <= vosLimits.EXPORT_RECORDS_MAX);
assert.ok(RESYNC_INGEST_RECORDS_MAX <= RESYNC_RECORDS_PER_RPC_MAX && RESYNC_RECORDS_PER_RPC_MAX <= vosLimits.INGEST_RECORDS_MAX);
assert.ok(RESYNC_INGEST_BYTES_SOFT_MAX <= VALUE_BYTES_MAX, 'a batch holds at most max(soft cap, one value)');

function payloadBytes(record: VosRecord): number {
  if (record.kind === 'single') return record.value.length;
  if (record.kind === 'array') return record.data?.length ?? 0;
  return 0;
}

/** Records bound for one shard of the rejoining rank. */
interface IngestBatch {
  readonly target: number;
  readonly shard: number;
  records: VosRecord[];
  bytes: number;
}

/** One RESYNC_PUSH run: routes records of every local target to per-shard batches and sends them. */
class ResyncPusher {
  readonly objects = new Set<string>();
  records = 0;
  private readonly batches = new Map<string, IngestBatch>();
  private readonly layouts = new LayoutCache();

  constructor(
    private readonly options: { pool: string; self: number; rejoining: number; map: PoolMap; caller: RankCaller },
  ) {}

  async scan(targets: readonly VosTarget[], sinceEpoch: number): Promise<void> {
    for (let index = 0; index < targets.length; index++) {
      let cursor: Buffer | null = null;
      do {
        const page = targets[index]!.exportSince({ sinceEpoch: asEpoch(sinceEpoch), cursor, limit: RESYNC_EXPORT_RECORDS_MAX });
        for (const record of page.records) await this.route(record, index);
        cursor = page.cursor;
      } while (cursor !== null);
    }
    for (const batch of this.batches.values()) await this.flush(batch);
  }

  /** Adds `record` (read from local target `index`) to the batch of each rejoining shard it belongs to. */
  private async route(record: VosRecord, index: number): Promise<void> {
    const layout = this.layoutOf(record.oid);
    if (layout === undefined) return;
    const mine = layout.shards.find((shard) => shard.shard === record.shard && shard.rank === this.options.self && shard.target === index);
    if (mine === undefined || mine.status !== 'healthy') return;
    // A record under a dkey of another group is a leftover of an older layout: its owner group sends it.
    if (record.kind !== 'punchObject' && dkeyGroup(record.dkey, layout.groupCount) !== mine.group) return;
    const members = groupShards(layout, mine.group);
    const healthy = members.filter((shard) => shard.status === 'healthy' && shard.rank !== this.options.rejoining);
    if (Math.min(...healthy.map((shard) => shard.rank)) !== this.options.self) return;
    for (const destination of members.filter((shard) => shard.rank === this.options.rejoining)) {
      await this.add(destination.target, destination.shard, record);
    }
  }

  private layoutOf(oid: Buffer): ObjectLayout | undefined {
    try {
      return this.layouts.layout(this.options.map, oidFromBytes(oid));
    } catch (error) {
      // An oid the map cannot place (more fault domains than the pool has) holds nothing to resync.
      if (error instanceof EngineError && error.der === Der.INVAL) return undefined;
      throw error;
    }
  }

  private async add(target: number, shard: number, record: VosRecord): Promise<void> {
    const key = `${target}/${shard}`;
    let batch = this.batches.get(key);
    if (batch === undefined) {
      batch = { target, shard, records: [], bytes: 0 };
      this.batches.set(key, batch);
    }
    const bytes = payloadBytes(record);
    if (batch.records.length > 0 && batch.bytes + bytes > RESYNC_INGEST_BYTES_SOFT_MAX) await this.flush(batch);
    batch.records.push(record);
    batch.bytes += bytes;
    this.records += 1;
    if (this.objects.size < OBJECTS_COUNTED_MAX) this.objects.add(`${record.cont}/${record.oid.toString('hex')}`);
    if (batch.records.length >= RESYNC_INGEST_RECORDS_MAX) await this.flush(batch);
  }

  private async flush(batch: IngestBatch): Promise<void> {
    if (batch.records.length === 0) return;
    const records = batch.records;
    batch.records = [];
    batch.bytes = 0;
    const { pool, rejoining, caller } = this.options;
    await caller.call(rejoining, RESYNC_INGEST, { pool, target: batch.target, shard: batch.shard, records }, RPC_TIMEOUT_MS);
  }
}

/** Records as VOS takes them: the wire checked every field; only the epoch gets its brand back. */
function recordsFromBody(records: VosRecordBody[]): VosRecord[] {
  return records.map((record): VosRecord => ({ ...record, epoch: asEpoch(record.epoch) }));
}

export function registerResyncHandlers(services: EngineServices, caller: RankCaller, registry: HandlerRegistry): void {
  registry.register(RESYNC_PUSH, async (request) => {
    const targets = services.vosTargets(request.pool);
    if (targets === undefined) throw new EngineError(Der.NONEXIST, `pool ${request.pool} has no targets on rank ${services.rank}`);
    const pusher = new ResyncPusher({
      pool: request.pool, self: services.rank, rejoining: request.rank, map: poolMapFromBody(request.map), caller,
    });
    services.log.info({ pool: request.pool, rejoining: request.rank, sinceEpoch: request.sinceEpoch }, 'resync scan started');
    await pusher.scan(targets, request.sinceEpoch);
    services.log.info({ pool: request.pool, rejoining: request.rank, objects: pusher.objects.size, records: pusher.records }, 'resync scan done');
    return { objects: pusher.objects.size, records: pusher.records };
  });

  registry.register(RESYNC_INGEST, (request) => {
    const vos = services.vosTargets(request.pool)?.[request.target];
    if (vos === undefined) throw new EngineError(Der.NONEXIST, `no target ${request.target} of pool ${request.pool} on rank ${services.rank}`);
    vos.ingest(recordsFromBody(request.records), { shard: request.shard });
    return {};
  });
}
