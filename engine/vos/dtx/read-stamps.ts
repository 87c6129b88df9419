/**
 * Read timestamps (rts) of one target: for each key read inside a transaction, the largest epoch it was
 * read at, so a later write below that epoch restarts instead of changing what the reader saw.
 * Three bounded LRU maps: dkey reads (fetch, list akeys), object-level reads (list dkeys, query max), and
 * per object the largest read anywhere in it (what an object punch must stay above). An evicted entry
 * raises the low-water mark, which answers for every key without an entry, so eviction only ever makes the
 * checks more conservative, never less.
 * Restarts: the maps are memory only. Every recorded rts is first covered by a durable bound (meta
 * `rts_bound`, raised RTS_BOUND_AHEAD_EPOCHS at a time, in the reader's own sqlite transaction, so before
 * its answer leaves), and the low-water mark starts at that bound when the target opens: after a crash no
 * write can land below a read served before it. A target that never served a transactional read has bound 0.
 */
import { EPOCH_MAX } from '../../wire/epoch.js';
import { MetaKey, type MetaTable } from '../schema.js';
import type { UndoLog } from '../undo-log.js';
import type { DkeyConflictKey, ObjectConflictKey } from './conflict-key.js';

export interface ReadStampLimits {
  /** Entries per map before the least recently read is evicted into the low-water mark. */
  readonly entriesMax: number;
  /** How far above a recorded rts the durable bound is set, so it is rewritten rarely. */
  readonly boundAheadEpochs: number;
}

export class ReadStamps {
  private readonly dkeys = new Map<DkeyConflictKey, number>();
  private readonly objects = new Map<ObjectConflictKey, number>();
  private readonly below = new Map<ObjectConflictKey, number>();
  private lowWater: number;
  private bound: number;

  constructor(
    private readonly meta: MetaTable,
    private readonly undo: UndoLog,
    private readonly limits: ReadStampLimits,
  ) {
    this.bound = meta.read(MetaKey.rtsBound);
    this.lowWater = this.bound;
  }

  /** The low-water mark: the rts of every key without its own entry. */
  lowWaterMark(): number {
    return this.lowWater;
  }

  /** True while no transactional read was ever recorded here (nor before a restart): every stamp is 0. */
  isEmpty(): boolean {
    return this.lowWater === 0 && this.below.size === 0;
  }

  /** A transactional read of one dkey at `epoch` (fetch, list akeys). */
  recordDkey(object: ObjectConflictKey, dkey: DkeyConflictKey, epoch: number): void {
    if (!this.recordable(epoch)) return;
    this.persistBound(epoch);
    this.raise(this.dkeys, dkey, epoch);
    this.raise(this.below, object, epoch);
  }

  /** A transactional read of the whole object shard at `epoch` (list dkeys, query max). */
  recordObject(object: ObjectConflictKey, epoch: number): void {
    if (!this.recordable(epoch)) return;
    this.persistBound(epoch);
    this.raise(this.objects, object, epoch);
    this.raise(this.below, object, epoch);
  }

  /** What a write to one dkey must not go below: its own reads and whole-object reads. */
  dkeyStamp(object: ObjectConflictKey, dkey: DkeyConflictKey): number {
    return Math.max(this.lowWater, this.dkeys.get(dkey) ?? 0, this.objects.get(object) ?? 0);
  }

  /** What a write to the whole object (a punch) must not go below: any read in it. */
  objectStamp(object: ObjectConflictKey): number {
    return Math.max(this.lowWater, this.below.get(object) ?? 0);
  }

  /** Reads at EPOCH_MAX ("newest") are not snapshots; recording them would block every later write. */
  private recordable(epoch: number): boolean {
    return epoch > 0 && epoch < EPOCH_MAX;
  }

  private raise<K>(map: Map<K, number>, key: K, epoch: number): void {
    const previous = map.get(key);
    map.delete(key);
    map.set(key, Math.max(previous ?? 0, epoch));
    if (map.size <= this.limits.entriesMax) return;
    const oldest = map.entries().next().value;
    if (oldest === undefined) return;
    map.delete(oldest[0]);
    this.lowWater = Math.max(this.lowWater, oldest[1]);
  }

  /** Makes sure the durable bound covers `epoch`; written in the caller's transaction (undone with it). */
  private persistBound(epoch: number): void {
    if (epoch <= this.bound) return;
    const previous = this.bound;
    this.bound = Math.min(EPOCH_MAX - 1, epoch + this.limits.boundAheadEpochs);
    this.meta.write(MetaKey.rtsBound, this.bound);
    this.undo.push(() => {
      this.bound = previous;
    });
  }
}
