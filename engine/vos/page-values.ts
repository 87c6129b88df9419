/**
 * The values and akeys of a whole page of dkeys, a statement per iod extent and one for the akeys,
 * whatever the page's length. Fetching and listing key by key (fetch.ts, list.ts) costs 8 to 12
 * statements per dkey (its id, each akey's row, covers, versions, each akey's newest version): a
 * directory page of 1,024 entries listed with their inodes and xattr names spent ~33 µs of engine time
 * per entry crossing from JavaScript into sqlite. Here sqlite joins the page's dkey ids (a JSON array
 * read with json_each) with their akeys and versions and applies the visibility rule itself, as
 * visible-dkeys.ts does for the page:
 *
 *   a version v of akey a under dkey d counts at E  ⟺  v is at or below E and ordered after every punch
 *   at or below E of the object, of d and of a (survivesPunches; objects never punched skip it).
 *
 * Results equal fetch.ts's and list.ts's for each dkey: an akey is listed when some version of it counts
 * (the newest at or below E survives its cover exactly then); a single value is its newest version at or
 * below E when that one survives; an array is painted from the extents that survive. Read-only.
 */
import type Database from 'better-sqlite3';
import type { VosContext } from './context.js';
import { checkIodKind, emptyValue, readArray } from './fetch.js';
import type { FetchIod, FetchValue } from './operation.js';
import { AkeyKind, type AkeyKindCode, type DkeyId, type VersionRowLayout } from './schema.js';
import { type PunchForms, allForCover, punchForms } from './visible-dkeys.js';
import type { Cover } from './visibility.js';

/** A row of the page's dkeys joined with one akey and (maybe) one of its versions; `i` is the dkey's index in the page. */
interface AkeyVersionRow extends Omit<VersionRowLayout, 'seq'> {
  i: number;
  akind: AkeyKindCode;
  rsize: number;
  /** null: the akey has no version that counts. */
  seq: VersionRowLayout['seq'] | null;
}

const PAGE_AKEY = 'FROM json_each(@ids) j JOIN akeys a ON a.dkey = j.value';
const VERSION_COLUMNS = 'j.key AS i, a.kind AS akind, a.rsize, v.seq, v.epoch, v.kind, v.lo, v.hi, v.inl, v.boff, v.blen';

interface PageParams {
  /** The page's dkey ids, a JSON array. */
  ids: string;
  epoch: number;
}

export class PageValues {
  private readonly akeys: PunchForms<PageParams & { limit: number }, { i: number; key: Buffer }>;
  private readonly extents: PunchForms<PageParams & { akey: Buffer; lo: number; hi: number }, AkeyVersionRow>;
  private readonly singles: PunchForms<PageParams & { akey: Buffer }, AkeyVersionRow>;

  constructor(db: Database.Database) {
    this.akeys = punchForms(db, 'j.value', (punched) => `SELECT i, key FROM (
        SELECT j.key AS i, a.akey AS key, row_number() OVER (PARTITION BY j.key ORDER BY a.akey) AS n ${PAGE_AKEY}
        WHERE EXISTS (SELECT 1 FROM versions v WHERE v.akey = a.id AND v.epoch <= @epoch ${punched}))
      WHERE n <= @limit ORDER BY i, key`);
    this.extents = punchForms(db, 'j.value', (punched) => `SELECT ${VERSION_COLUMNS} ${PAGE_AKEY} AND a.akey = @akey
      LEFT JOIN versions v ON v.akey = a.id AND v.epoch <= @epoch AND v.lo < @hi AND v.hi > @lo ${punched}`);
    this.singles = punchForms(db, 'j.value', (punched) => `SELECT ${VERSION_COLUMNS} ${PAGE_AKEY} AND a.akey = @akey
      LEFT JOIN versions v ON v.seq = (SELECT seq FROM versions WHERE akey = a.id AND epoch <= @epoch ORDER BY epoch DESC, seq DESC LIMIT 1)
        ${punched}`);
  }

  /** For each dkey of the page, its first `limit` akeys visible at `epoch`, in byte order. */
  akeysOf(dkeyIds: readonly DkeyId[], cover: Cover, epoch: number, limit: number): Buffer[][] {
    const lists = dkeyIds.map((): Buffer[] => []);
    for (const row of allForCover(this.akeys, cover, { ids: JSON.stringify(dkeyIds), epoch, limit })) lists[row.i]!.push(row.key);
    return lists;
  }

  /** For each dkey of the page, the values of `iods` at `epoch`, as fetch.ts would read them. DER_INVAL on a kind mismatch. */
  fetch(context: VosContext, dkeyIds: readonly DkeyId[], cover: Cover, epoch: number, iods: readonly FetchIod[]): FetchValue[][] {
    const ids = JSON.stringify(dkeyIds);
    const values = dkeyIds.map((): FetchValue[] => []);
    for (const iod of iods) {
      if (iod.type === 'single') {
        const rows = byDkey(dkeyIds.length, allForCover(this.singles, cover, { ids, epoch, akey: iod.akey }));
        for (let i = 0; i < dkeyIds.length; i += 1) values[i]!.push(singleValue(context, rows[i]?.[0], iod));
        continue;
      }
      const perExtent = iod.extents.map((extent) => byDkey(dkeyIds.length, allForCover(this.extents, cover, { ids, epoch, akey: iod.akey, lo: extent.index, hi: extent.index + extent.count })));
      for (let i = 0; i < dkeyIds.length; i += 1) {
        const akey = perExtent[0]![i]?.[0];
        if (akey === undefined || akey.akind === AkeyKind.unset) {
          values[i]!.push(emptyValue(iod));
          continue;
        }
        checkIodKind({ kind: akey.akind, rsize: akey.rsize }, iod);
        values[i]!.push(readArray(context, iod.recordSize, iod.extents, (_lo, _hi, extent) => versionsOf(perExtent[extent]![i] ?? [])));
      }
    }
    return values;
  }
}

/** Rows grouped by the dkey's index in the page (undefined: the dkey has no such akey). */
function byDkey(count: number, rows: AkeyVersionRow[]): Array<AkeyVersionRow[] | undefined> {
  const groups = new Array<AkeyVersionRow[] | undefined>(count);
  for (const row of rows) (groups[row.i] ??= []).push(row);
  return groups;
}

function versionsOf(rows: AkeyVersionRow[]): VersionRowLayout[] {
  return rows.flatMap((row) => (row.seq === null ? [] : [row as VersionRowLayout]));
}

function singleValue(context: VosContext, row: AkeyVersionRow | undefined, iod: FetchIod): FetchValue {
  if (row === undefined || row.akind === AkeyKind.unset) return emptyValue(iod);
  checkIodKind({ kind: row.akind, rsize: row.rsize }, iod);
  return { type: 'single', value: row.seq === null ? null : context.versions.payload(row as VersionRowLayout) };
}
