import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX } from '../wire/epoch.js';
import { Der, isEngineError } from '../wire/errors.js';
import type { VosRecord } from './record.js';
import { OBJ, ep, getArray, getText, key, listAll, openTempTarget, putArray, putSingle, type TempTarget } from './test-harness.js';
import type { VosTarget } from './vos-target.js';

let source: TempTarget;
let target: TempTarget;
beforeEach(() => {
  source = openTempTarget();
  target = openTempTarget();
});
afterEach(() => {
  source.cleanup();
  target.cleanup();
});

function exportAll(vos: VosTarget, sinceEpoch: number, limit: number): VosRecord[] {
  const records: VosRecord[] = [];
  let cursor: Buffer | null = null;
  do {
    const page: { records: VosRecord[]; cursor: Buffer | null } = vos.exportSince({ sinceEpoch: ep(sinceEpoch), cursor, limit });
    expect(page.records.length).toBeLessThanOrEqual(limit);
    records.push(...page.records);
    cursor = page.cursor;
  } while (cursor !== null);
  return records;
}

function seedSource(): void {
  putSingle(source.vos, { dkey: 'd1', akey: 'a', epoch: 1, value: 'one' });
  putSingle(source.vos, { dkey: 'd1', akey: 'big', epoch: 2, value: Buffer.alloc(9000, 3) });
  putArray(source.vos, { dkey: 'd2', akey: 'arr', epoch: 3, index: 0, count: 6, data: 'abcdef' });
  putArray(source.vos, { dkey: 'd2', akey: 'arr', epoch: 4, index: 2, count: 2, data: null });
  putSingle(source.vos, { dkey: 'd3', akey: 'a', epoch: 5, value: 'three' });
  source.vos.punch({ ...OBJ, dkey: key('d3'), epoch: ep(5) });
  source.vos.punch({ ...OBJ, dkey: key('d1'), akeys: [key('a')], epoch: ep(6) });
  putSingle(source.vos, { dkey: 'd1', akey: 'a', epoch: 7, value: 'again' });
}

/** What a reader sees at a few epochs, for comparing two targets. */
function view(vos: VosTarget, ref = OBJ): unknown {
  return [1, 3, 4, 5, 6, 7, EPOCH_MAX].map((epoch) => ({
    dkeys: listAll(vos, { epoch, ref }),
    d1a: getText(vos, { dkey: 'd1', akey: 'a', epoch, ref }),
    big: getArrayOrSingle(vos, epoch, ref),
    arr: getArray(vos, { dkey: 'd2', akey: 'arr', epoch, index: 0, count: 6, ref }).toString('hex'),
    d3: getText(vos, { dkey: 'd3', akey: 'a', epoch, ref }),
  }));
}

function getArrayOrSingle(vos: VosTarget, epoch: number, ref = OBJ): string | null {
  const [value] = vos.fetch({ ...ref, dkey: key('d1'), epoch: ep(epoch), iods: [{ akey: key('big'), type: 'single' }] });
  return value?.type === 'single' ? value.value?.toString('hex') ?? null : 'wrong';
}

describe('vos resync', () => {
  it('exportSince: pages with a cursor return every record once, in arrival order', () => {
    seedSource();
    const whole = exportAll(source.vos, 0, 1000);
    expect(whole.map((record) => `${record.kind}@${record.epoch}`)).toEqual([
      'single@1', 'single@2', 'array@3', 'array@4', 'single@5', 'punchDkey@5', 'punchAkey@6', 'single@7',
    ]);
    expect(exportAll(source.vos, 0, 3)).toEqual(whole);
    expect(exportAll(source.vos, 4, 2).map((record) => record.epoch)).toEqual([5, 5, 6, 7]);
    const arrayPunch = whole[3];
    expect(arrayPunch).toMatchObject({ kind: 'array', recordSize: 1, extent: { index: 2, count: 2 }, data: null });
  });

  it('ingest: rebuilds the same view on another target, under the caller-given shard', () => {
    seedSource();
    target.vos.ingest(exportAll(source.vos, 0, 3), { shard: 5 });
    expect(view(target.vos, { ...OBJ, shard: 5 })).toEqual(view(source.vos));
    expect(listAll(target.vos, { epoch: EPOCH_MAX })).toEqual([]);
    expect(target.vos.queryMaxEpoch({ ...OBJ, shard: 5 })).toBe(7);
  });

  it('ingest: applying the same records twice, or a tail again, changes nothing visible', () => {
    seedSource();
    const records = exportAll(source.vos, 0, 100);
    target.vos.ingest(records, { shard: 0 });
    const once = view(target.vos);
    const usage = target.vos.usage();
    target.vos.ingest(records, { shard: 0 });
    target.vos.ingest(records.slice(0, 5), { shard: 0 });
    expect(view(target.vos)).toEqual(once);
    expect(target.vos.usage().dataBytes).toBe(usage.dataBytes);
  });

  it('ingest: only records after sinceEpoch bring a stale replica up to date', () => {
    seedSource();
    target.vos.ingest(exportAll(source.vos, 0, 100).filter((record) => record.epoch <= 4), { shard: 0 });
    target.vos.ingest(exportAll(source.vos, 4, 100), { shard: 0 });
    expect(view(target.vos)).toEqual(view(source.vos));
  });

  it('ingest: a malformed record -> DER_INVAL and nothing applied', () => {
    const good: VosRecord = { cont: OBJ.cont, oid: OBJ.oid, shard: 0, epoch: ep(1), kind: 'single', dkey: key('d'), akey: key('a'), value: Buffer.from('v') };
    const bad: VosRecord = { ...good, kind: 'array', recordSize: 2, extent: { index: 0, count: 2 }, data: Buffer.from('abc') };
    let der: Der | undefined;
    try {
      target.vos.ingest([good, bad], { shard: 0 });
    } catch (error) {
      der = isEngineError(error) ? error.der : undefined;
    }
    expect(der).toBe(Der.INVAL);
    expect(getText(target.vos, { dkey: 'd', akey: 'a', epoch: 1 })).toBeNull();
  });
});
