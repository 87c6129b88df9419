/**
 * Aggregation driver: walks objects -> dkeys -> akeys, applies aggregate-plan.ts decisions (delete hidden
 * versions, write merged extents, drop punches nothing needs, drop empty key rows) and frees their space.
 * Incremental: with a `limit` it stops after about that many versions and resumes at the same dkey on the
 * next call with the same retained epochs, whatever its upTo (other retained epochs restart the walk).
 * Must run inside one write transaction per call. Contract: no write may later arrive at an epoch <= upTo
 * (see README.md).
 * Like DAOS, which aggregates only the epoch range written since its last pass, a walk skips the objects
 * nothing was written to or punched in since a complete walk: once a walk that began at upTo U has
 * visited every object, an object whose max_epoch is <= U stays as aggregated as it can be for any later
 * upTo (its versions are all <= U, by the contract above) until the retained epochs change. Without this,
 * an idle target re-examined its whole store every pass.
 */
import type Database from 'better-sqlite3';
import { Der, EngineError } from '../wire/errors.js';
import { LIST_SCAN_ROWS } from './constants.js';
import type { VosContext } from './context.js';
import { coverFromLists, planAkey, planPunchRemoval, type MergeRun } from './aggregate-plan.js';
import type { AggregateOptions, AggregateResult } from './operation.js';
import {
  AkeyKind,
  PunchLevel,
  VersionKind,
  type AkeyRowLayout,
  type DkeyId,
  type ObjectId,
  type PunchRowLayout,
  type VersionMetaLayout,
  type VersionRowLayout,
} from './schema.js';
import type { Stamp } from './stamp.js';

interface AggregationCursor {
  key: string;
  /** upTo of the call that began this walk. */
  startUpTo: number;
  objectId: ObjectId | undefined;
  after: Buffer | null;
}

/** What the last complete walk established: with retained epochs `key`, objects with max_epoch <= upTo are done. */
interface CleanFloor {
  key: string;
  upTo: number;
}

interface PassTotals {
  versionsRemoved: number;
  bytesFreed: number;
  examined: number;
}

export class Aggregator {
  private cursor: AggregationCursor | null = null;
  private clean: CleanFloor | null = null;
  private readonly objectHasOlder: Database.Statement<[number, number, number, number], { seq: number }>;

  constructor(private readonly context: VosContext) {
    this.objectHasOlder = context.db.prepare(
      `SELECT v.seq FROM dkeys d JOIN akeys a ON a.dkey = d.id JOIN versions v ON v.akey = a.id
       WHERE d.obj = ? AND v.epoch <= ? AND (v.epoch < ? OR v.seq < ?) LIMIT 1`);
  }

  /** Forgets the resume point and what earlier walks established (after a rollback or a container destroy). */
  reset(): void {
    this.cursor = null;
    this.clean = null;
  }

  run(options: AggregateOptions): AggregateResult {
    const points = evaluationPoints(options);
    const upTo = points[points.length - 1]!;
    const budget = options.limit ?? Infinity;
    // Resume across calls while the retained epochs stay the same. upTo moves on with the clock at every
    // call; keying on it restarted every pass at the first object, so a target with more versions than
    // one pass examines never reached the rest. Each object is aggregated on its own, so objects after
    // the cursor can take the newer upTo; those before it get it on the next round.
    const key = points.slice(0, -1).join(',');
    if (this.clean !== null && this.clean.key !== key) this.clean = null;
    const cleanUpTo = this.clean?.upTo ?? -1;
    if (this.cursor === null || this.cursor.key !== key) {
      this.cursor = { key, startUpTo: upTo, objectId: this.context.keys.nextObjectId(0, cleanUpTo), after: null };
    }
    const cursor = this.cursor;
    const totals: PassTotals = { versionsRemoved: 0, bytesFreed: 0, examined: 0 };
    const pass = new AggregationPass(this.context, points, upTo, totals, this.objectHasOlder);
    while (cursor.objectId !== undefined) {
      const objectId = cursor.objectId;
      const objectPunches = this.context.punches.upTo(PunchLevel.object, objectId, upTo);
      for (;;) {
        const rows = this.context.keys.dkeysAfter(objectId, cursor.after, LIST_SCAN_ROWS);
        for (const row of rows) {
          pass.aggregateDkey(row.id, objectPunches);
          cursor.after = row.key;
          if (totals.examined >= budget) return this.finish(totals, false);
        }
        if (rows.length < LIST_SCAN_ROWS) break;
      }
      pass.finishObject(objectId, objectPunches);
      cursor.objectId = this.context.keys.nextObjectId(objectId, cleanUpTo);
      cursor.after = null;
    }
    this.cursor = null;
    this.clean = { key, upTo: Math.max(cursor.startUpTo, cleanUpTo) };
    return this.finish(totals, true);
  }

  private finish(totals: PassTotals, done: boolean): AggregateResult {
    if (totals.versionsRemoved > 0) this.context.seq.persistFloor();
    return { versionsRemoved: totals.versionsRemoved, rowsExamined: totals.examined, bytesFreed: totals.bytesFreed, done };
  }
}

/** Retained epochs below upTo, then upTo; ascending and unique. DER_INVAL on bad options. */
export function evaluationPoints(options: AggregateOptions): number[] {
  const valid = (epoch: number): boolean => Number.isSafeInteger(epoch) && epoch >= 0;
  if (!valid(options.upTo) || !Array.isArray(options.retained) || !options.retained.every(valid)) {
    throw new EngineError(Der.INVAL, 'bad aggregation epochs');
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new EngineError(Der.INVAL, 'aggregation limit must be a positive integer');
  }
  const below = [...new Set(options.retained.filter((epoch) => epoch < options.upTo))].sort((a, b) => a - b);
  return [...below, options.upTo];
}

/** One call's work; holds the totals. */
class AggregationPass {
  constructor(
    private readonly context: VosContext,
    private readonly points: readonly number[],
    private readonly upTo: number,
    private readonly totals: PassTotals,
    private readonly objectHasOlder: Database.Statement<[number, number, number, number], { seq: number }>,
  ) {}

  aggregateDkey(dkeyId: DkeyId, objectPunches: readonly Stamp[]): void {
    const { keys, punches, versions } = this.context;
    const dkeyPunches = punches.upTo(PunchLevel.dkey, dkeyId, this.upTo);
    let after: Buffer | null = null;
    for (;;) {
      const rows = keys.akeyRowsAfter(dkeyId, after, LIST_SCAN_ROWS);
      for (const row of rows) this.aggregateAkey(row, [objectPunches, dkeyPunches]);
      if (rows.length < LIST_SCAN_ROWS) break;
      after = rows[rows.length - 1]!.key;
    }
    this.removePunches(dkeyPunches, (punch) => {
      let akeyAfter: Buffer | null = null;
      for (;;) {
        const rows = keys.akeysAfter(dkeyId, akeyAfter, LIST_SCAN_ROWS);
        if (rows.some((row) => versions.hasOlderThan(row.id, punch))) return true;
        if (rows.length < LIST_SCAN_ROWS) return false;
        akeyAfter = rows[rows.length - 1]!.key;
      }
    });
    if (!keys.hasAkeys(dkeyId) && !punches.hasAny(PunchLevel.dkey, dkeyId)) keys.removeDkey(dkeyId);
  }

  finishObject(objectId: ObjectId, objectPunches: PunchRowLayout[]): void {
    this.removePunches(objectPunches, (punch) =>
      this.objectHasOlder.get(objectId, punch.epoch, punch.epoch, punch.seq) !== undefined);
    const { keys, punches } = this.context;
    if (!keys.hasDkeys(objectId) && !punches.hasAny(PunchLevel.object, objectId)) keys.removeObject(objectId);
  }

  private aggregateAkey(row: AkeyRowLayout, parentPunches: ReadonlyArray<readonly Stamp[]>): void {
    const { keys, punches, versions } = this.context;
    const akeyPunches = punches.upTo(PunchLevel.akey, row.id, this.upTo);
    const rows = versions.metaUpTo(row.id, this.upTo);
    this.totals.examined += rows.length + 1;
    if (rows.length > 0) {
      const lists = [...parentPunches, akeyPunches];
      const plan = planAkey({
        array: row.kind === AkeyKind.array,
        recordSize: row.rsize,
        versions: rows,
        points: this.points,
        coverAt: (point) => coverFromLists(lists, point),
      });
      for (const merge of plan.merges) this.writeMerged(row, merge);
      for (const version of plan.remove) {
        this.totals.bytesFreed += versions.remove(version);
        this.totals.versionsRemoved += 1;
      }
    }
    this.removePunches(akeyPunches, (punch) => versions.hasOlderThan(row.id, punch));
    if (!versions.hasAny(row.id) && !punches.hasAny(PunchLevel.akey, row.id)) keys.removeAkey(row.id);
  }

  /** Writes one merged extent from its pieces (sources are deleted by the caller). */
  private writeMerged(row: AkeyRowLayout, merge: MergeRun<VersionMetaLayout>): void {
    const { versions } = this.context;
    const data = Buffer.alloc((merge.hi - merge.lo) * row.rsize);
    const loaded = new Map<VersionMetaLayout, VersionRowLayout>();
    for (const piece of merge.pieces) {
      let source = loaded.get(piece.source);
      if (source === undefined) {
        source = versions.withPayload(piece.source);
        loaded.set(piece.source, source);
      }
      const lengthBytes = (piece.hi - piece.lo) * row.rsize;
      versions.readPayload(source, (piece.lo - source.lo) * row.rsize, lengthBytes, data, (piece.lo - merge.lo) * row.rsize);
    }
    const before = this.context.space.dataBytes();
    versions.insert({ akeyId: row.id, epoch: merge.epoch, kind: VersionKind.extent, lo: merge.lo, hi: merge.hi, data });
    this.totals.bytesFreed -= this.context.space.dataBytes() - before;
  }

  private removePunches(list: PunchRowLayout[], hasOlderVersion: (punch: PunchRowLayout) => boolean): void {
    for (const punch of planPunchRemoval(list, this.points, hasOlderVersion)) {
      this.context.punches.remove(punch.seq);
      this.totals.versionsRemoved += 1;
    }
  }
}
