/**
 * The pools this engine holds targets for, and their storage under `<dir>/pools/<pool uuid>/`:
 *   pool.json      target count, per-target capacity and the reclaim property, written last by a create
 *                  (its presence = created)
 *   map.json       the newest pool map this engine knows
 *   retained.json  snapshot epochs per container that aggregation must keep readable
 *   tgt-<i>/       one VosTarget per target
 * Invariants: every file write is atomic and durable (durable-file.ts); a pool is visible to requests only
 * after its pool.json exists, so a crash mid-create leaves nothing that ever acknowledged a write; a
 * destroyed pool's directory is first renamed into `pools/.trash-*`, so a crash mid-destroy never leaves
 * a half-deleted pool that restart would reopen.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_READ_LEASE_MS } from '../constants.js';
import type { Logger } from '../log.js';
import type { PoolMap } from '../pool-map/pool-map.js';
import { VosTarget } from '../vos/index.js';
import { Der, EngineError } from '../wire/errors.js';
import { RECLAIM_DEFAULT, type ReclaimPolicy } from '../wire/rpc/pool.js';
import { fsyncDirectory, readJsonIfExists, writeJsonAtomic } from './durable-file.js';
import { isPoolMapLayout, isPoolRecordLayout, isRetainedLayout, type PoolRecordLayout } from './layout.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRASH_PREFIX = '.trash-';

/** One local pool: its targets (index = target index), newest map, and retained snapshot epochs. */
export interface LocalPool {
  readonly uuid: string;
  readonly dir: string;
  readonly targets: readonly VosTarget[];
  readonly capacityBytesPerTarget: number;
  /** When background aggregation may run (aggregation.ts). */
  readonly reclaim: ReclaimPolicy;
  /** Object RPCs addressed to the pool since the engine started (aggregation's measure of idleness). */
  ioCount: number;
  map: PoolMap;
  /** Container uuid -> snapshot epochs (sorted, unique). */
  readonly retained: Map<string, readonly number[]>;
}

function targetDir(poolDir: string, index: number): string {
  return join(poolDir, `tgt-${index}`);
}

function openTargets(poolDir: string, record: PoolRecordLayout, log: Logger): VosTarget[] {
  const targets: VosTarget[] = [];
  try {
    for (let index = 0; index < record.targets; index++) {
      const dir = targetDir(poolDir, index);
      mkdirSync(dir, { recursive: true });
      const capacityBytes = record.capacityBytesPerTarget > 0 ? record.capacityBytesPerTarget : undefined;
      targets.push(VosTarget.open({ dir, capacityBytes, logger: log.child({ target: index }), localReadLeaseMs: LOCAL_READ_LEASE_MS }));
    }
  } catch (error) {
    for (const target of targets) target.close();
    throw error;
  }
  return targets;
}

/** A pool as its pool.json describes it, with its open targets (no I/O counted yet). */
function localPool(
  uuid: string, dir: string, record: PoolRecordLayout, targets: VosTarget[], map: PoolMap, retained: Map<string, readonly number[]>,
): LocalPool {
  return {
    uuid, dir, targets, capacityBytesPerTarget: record.capacityBytesPerTarget, reclaim: record.reclaim ?? RECLAIM_DEFAULT, ioCount: 0,
    map, retained,
  };
}

export class LocalPools {
  private readonly pools = new Map<string, LocalPool>();
  private readonly root: string;

  constructor(engineDir: string, private readonly log: Logger) {
    this.root = join(engineDir, 'pools');
  }

  /** Reopens every pool found on disk and removes leftovers of interrupted destroys. */
  openAll(): void {
    mkdirSync(this.root, { recursive: true });
    for (const entry of readdirSync(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name.startsWith(TRASH_PREFIX)) {
        rmSync(join(this.root, entry.name), { recursive: true, force: true });
      } else if (UUID_PATTERN.test(entry.name)) {
        this.openExisting(entry.name);
      }
    }
  }

  get(uuid: string): LocalPool | undefined {
    return this.pools.get(uuid);
  }

  getOrThrow(uuid: string): LocalPool {
    const pool = this.pools.get(uuid);
    if (pool === undefined) throw new EngineError(Der.NONEXIST, `pool ${uuid} has no targets on this engine`);
    return pool;
  }

  list(): string[] {
    return [...this.pools.keys()];
  }

  all(): LocalPool[] {
    return [...this.pools.values()];
  }

  /**
   * Creates the pool's targets, or, if it exists, keeps it (same targets, same capacity) and records the
   * map if newer. Idempotent, so the pool service may resend it.
   */
  create(uuid: string, options: { targets: number; capacityBytesPerTarget: number; map: PoolMap; reclaim?: ReclaimPolicy }): LocalPool {
    if (!UUID_PATTERN.test(uuid)) throw new EngineError(Der.INVAL, `pool id ${JSON.stringify(uuid)} is not a uuid`);
    const existing = this.pools.get(uuid);
    if (existing !== undefined) {
      this.setMap(uuid, options.map);
      return existing;
    }
    const dir = join(this.root, uuid);
    mkdirSync(dir, { recursive: true });
    const found = readJsonIfExists(join(dir, 'pool.json'));
    const record: PoolRecordLayout = isPoolRecordLayout(found)
      ? found
      : { uuid, targets: options.targets, capacityBytesPerTarget: options.capacityBytesPerTarget, reclaim: options.reclaim ?? RECLAIM_DEFAULT };
    const targets = openTargets(dir, record, this.log);
    writeJsonAtomic(join(dir, 'map.json'), options.map);
    writeJsonAtomic(join(dir, 'pool.json'), record);
    fsyncDirectory(this.root);
    const pool = localPool(uuid, dir, record, targets, options.map, new Map());
    this.pools.set(uuid, pool);
    this.log.info({ pool: uuid, targets: targets.length, mapVersion: options.map.version }, 'pool created');
    return pool;
  }

  /** Closes and deletes the pool's targets. A pool that is not local is a no-op (destroy is idempotent). */
  destroy(uuid: string): void {
    const pool = this.pools.get(uuid);
    this.pools.delete(uuid);
    if (pool !== undefined) for (const target of pool.targets) target.close();
    const dir = join(this.root, uuid);
    const trash = join(this.root, `${TRASH_PREFIX}${uuid}-${Date.now()}`);
    try {
      renameSync(dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    fsyncDirectory(this.root);
    rmSync(trash, { recursive: true, force: true });
    if (pool !== undefined) this.log.info({ pool: uuid }, 'pool destroyed');
  }

  /** Records `map` (durably) if newer than the pool's; returns whether it was. */
  setMap(uuid: string, map: PoolMap): boolean {
    const pool = this.getOrThrow(uuid);
    if (map.version <= pool.map.version) return false;
    writeJsonAtomic(join(pool.dir, 'map.json'), map);
    pool.map = map;
    this.log.debug({ pool: uuid, mapVersion: map.version }, 'pool map updated');
    return true;
  }

  /** Replaces a container's retained snapshot epochs (durably); an empty list forgets the container. */
  setRetained(uuid: string, cont: string, epochs: readonly number[]): void {
    const pool = this.getOrThrow(uuid);
    const sorted = [...new Set(epochs)].sort((left, right) => left - right);
    if (sorted.length === 0) pool.retained.delete(cont);
    else pool.retained.set(cont, sorted);
    writeJsonAtomic(join(pool.dir, 'retained.json'), Object.fromEntries(pool.retained));
  }

  /** Every retained epoch of every container of the pool, sorted (aggregation keeps them all readable). */
  retainedUnion(uuid: string): number[] {
    const pool = this.getOrThrow(uuid);
    const union = new Set<number>();
    for (const epochs of pool.retained.values()) for (const epoch of epochs) union.add(epoch);
    return [...union].sort((left, right) => left - right);
  }

  /** Closes every target of every pool (engine shutdown). */
  closeAll(): void {
    for (const pool of this.pools.values()) {
      for (const target of pool.targets) {
        try {
          target.close();
        } catch (error) {
          this.log.error({ pool: pool.uuid, err: error }, 'closing a target failed');
        }
      }
    }
    this.pools.clear();
  }

  private openExisting(uuid: string): void {
    const dir = join(this.root, uuid);
    const record = readJsonIfExists(join(dir, 'pool.json'));
    if (!isPoolRecordLayout(record)) {
      // A create that crashed before pool.json: it never served a request; a resent create completes it.
      this.log.warn({ pool: uuid }, 'skipping pool directory without pool.json (interrupted create)');
      return;
    }
    const map = readJsonIfExists(join(dir, 'map.json'));
    if (!isPoolMapLayout(map)) throw new Error(`pool ${uuid}: missing or malformed map.json`);
    const retainedFile = readJsonIfExists(join(dir, 'retained.json')) ?? {};
    if (!isRetainedLayout(retainedFile)) throw new Error(`pool ${uuid}: malformed retained.json`);
    const targets = openTargets(dir, record, this.log);
    const retained = new Map<string, readonly number[]>(Object.entries(retainedFile));
    this.pools.set(uuid, localPool(uuid, dir, record, targets, map, retained));
    this.log.info({ pool: uuid, targets: targets.length, mapVersion: map.version }, 'pool opened');
  }
}
