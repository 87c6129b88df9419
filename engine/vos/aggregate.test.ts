import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EPOCH_MAX, type Epoch } from '../wire/epoch.js';
import type { ObjectRef, PunchOp, UpdateOp } from './operation.js';
import { ReferenceModel } from './reference-model.js';
import { OBJ, ep, getArray, oidOf, getSingle, getText, key, listAll, openTempTarget, putArray, putSingle, type TempTarget } from './test-harness.js';
import type { VosTarget } from './vos-target.js';

const DKEYS = ['d0', 'd1', 'd2'];
/** akey -> record size; 's' is the single-value akey. 'c' extents reach past MERGE_SMALL_EXTENT_BYTES. */
const ARRAYS: Record<string, number> = { a: 1, b: 1024, c: 16_384 };
const RECORDS = 24;

type Command =
  | { t: 'single'; dkey: number; epoch: number; size: number }
  | { t: 'array'; dkey: number; akey: 'a' | 'b' | 'c'; epoch: number; index: number; count: number; punch: boolean }
  | { t: 'punchObject'; epoch: number }
  | { t: 'punchDkey'; dkey: number; epoch: number }
  | { t: 'punchAkey'; dkey: number; akey: 's' | 'a' | 'b' | 'c'; epoch: number };

function commandArb(epochLo: number, epochHi: number): fc.Arbitrary<Command> {
  const epoch = fc.integer({ min: epochLo, max: epochHi });
  const dkey = fc.integer({ min: 0, max: DKEYS.length - 1 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('single' as const), dkey, epoch, size: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 4096, max: 6000 })) }) },
    { weight: 6, arbitrary: fc.record({
      t: fc.constant('array' as const), dkey, akey: fc.constantFrom('a' as const, 'b' as const, 'c' as const), epoch,
      index: fc.integer({ min: 0, max: RECORDS - 1 }), count: fc.integer({ min: 1, max: 8 }), punch: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('punchObject' as const), epoch }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('punchDkey' as const), dkey, epoch }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('punchAkey' as const), dkey, akey: fc.constantFrom('s' as const, 'a' as const, 'b' as const, 'c' as const), epoch }) },
  );
}

/** Everything observable at one epoch: small values as plain data, array contents as Buffers. */
interface Observation {
  plain: unknown;
  arrays: Buffer[];
}

/** Compares array contents with memcmp (deep equality over 384 KiB buffers is slow and unreadable). */
function expectSame(actual: Observation, expected: Observation, label: string): void {
  expect(actual.plain, label).toEqual(expected.plain);
  expect(actual.arrays.length, label).toBe(expected.arrays.length);
  actual.arrays.forEach((data, index) => {
    if (!data.equals(expected.arrays[index]!)) expect.fail(`${label}: array ${index} differs`);
  });
}

let fill = 0;
function bytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (fill + i * 7) & 0xff;
  fill += 1;
  return out;
}

function toOp(command: Command, ref: ObjectRef): { update?: UpdateOp; punch?: PunchOp } {
  const base = { ...ref, epoch: command.epoch as Epoch };
  switch (command.t) {
    case 'single':
      return { update: { ...base, dkey: key(DKEYS[command.dkey]!), iods: [{ akey: key('s'), type: 'single', value: bytes(command.size) }] } };
    case 'array': {
      const recordSize = ARRAYS[command.akey]!;
      const count = Math.min(command.count, RECORDS - command.index);
      const data = command.punch ? null : bytes(count * recordSize);
      return { update: { ...base, dkey: key(DKEYS[command.dkey]!), iods: [{ akey: key(command.akey), type: 'array', recordSize, extents: [{ index: command.index, count }], data }] } };
    }
    case 'punchObject':
      return { punch: base };
    case 'punchDkey':
      return { punch: { ...base, dkey: key(DKEYS[command.dkey]!) } };
    case 'punchAkey':
      return { punch: { ...base, dkey: key(DKEYS[command.dkey]!), akeys: [key(command.akey)] } };
  }
}

function apply(vos: VosTarget, model: ReferenceModel, command: Command, ref: ObjectRef): void {
  const op = toOp(command, ref);
  if (op.update !== undefined) {
    vos.update(op.update);
    model.update(op.update);
  } else if (op.punch !== undefined) {
    vos.punch(op.punch);
    model.punch(op.punch);
  }
}

/** Everything observable at `epoch` in the store. */
function observeStore(vos: VosTarget, ref: ObjectRef, epoch: number): Observation {
  const arrayData: Buffer[] = [];
  const perDkey = DKEYS.map((dkey) => {
    const [single, ...arrays] = vos.fetch({
      ...ref, dkey: key(dkey), epoch: epoch as Epoch,
      iods: [
        { akey: key('s'), type: 'single' },
        ...Object.entries(ARRAYS).map(([akey, recordSize]) =>
          ({ akey: key(akey), type: 'array' as const, recordSize, extents: [{ index: 0, count: RECORDS }] })),
      ],
    });
    for (const value of arrays) arrayData.push(value.type === 'array' ? value.data : Buffer.alloc(0));
    return {
      single: single?.type === 'single' ? single.value?.toString('hex') ?? null : 'wrong',
      arrayTypes: arrays.map((value) => value.type),
      akeys: listAll(vos, { epoch, dkey, ref, limit: 2 }),
    };
  });
  const maxes = Object.keys(ARRAYS).map((akey) => vos.queryMax({ ...ref, akey: key(akey), epoch: epoch as Epoch }));
  const plain = {
    perDkey,
    dkeys: listAll(vos, { epoch, ref, limit: 2 }),
    maxes: maxes.map((max) => ({ dkey: max.dkey?.toString() ?? null, end: max.end })),
  };
  return { plain, arrays: arrayData };
}

function observeModel(model: ReferenceModel, ref: ObjectRef, epoch: number): Observation {
  const arrays: Buffer[] = [];
  const perDkey = DKEYS.map((dkey) => {
    for (const [akey, recordSize] of Object.entries(ARRAYS)) {
      arrays.push(model.fetchArray(ref, key(dkey), key(akey), epoch, recordSize, 0, RECORDS));
    }
    return {
      single: model.fetchSingle(ref, key(dkey), key('s'), epoch)?.toString('hex') ?? null,
      arrayTypes: Object.keys(ARRAYS).map(() => 'array'),
      akeys: model.listAkeys(ref, key(dkey), epoch).map((k) => k.toString()),
    };
  });
  const maxes = Object.keys(ARRAYS).map((akey) => model.queryMax(ref, key(akey), epoch));
  const plain = {
    perDkey,
    dkeys: model.listDkeys(ref, epoch).map((k) => k.toString()),
    maxes: maxes.map((max) => ({ dkey: max.dkey?.toString() ?? null, end: max.end })),
  };
  return { plain, arrays };
}

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

describe('aggregate: property', () => {
  it('aggregate: reads at retained epochs and at >= upTo are unchanged; later writes and a later walk still agree with the model; a fresh walk finds nothing left', () => {
    const scenario = fc.record({
      before: fc.array(commandArb(1, 20), { minLength: 1, maxLength: 30 }),
      retained: fc.uniqueArray(fc.integer({ min: 1, max: 22 }), { maxLength: 3 }),
      upTo: fc.integer({ min: 1, max: 22 }),
      limit: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      after: fc.array(commandArb(23, 30), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        // A store of its own per run: epochs start again at 1 in every run, and aggregation's contract is
        // that no write arrives at or below an upTo it was called with. Other objects share the store.
        const target = openTempTarget();
        try {
          let vos = target.vos;
          putSingle(vos, { ref: { ...OBJ, shard: 99 }, dkey: 'other', akey: 'a', epoch: 1, value: 'x' });
          const ref = OBJ;
          const model = new ReferenceModel();
          const aggregateAll = (upTo: number): number => {
            let removed = 0;
            for (let calls = 0, done = false; !done; calls++) {
              expect(calls).toBeLessThan(10_000);
              const result = vos.aggregate({ retained: s.retained.map(ep), upTo: ep(upTo), limit: s.limit });
              removed += result.versionsRemoved;
              done = result.done;
            }
            return removed;
          };
          for (const command of s.before) apply(vos, model, command, ref);
          const points = [...s.retained, s.upTo, s.upTo + 1, 22, EPOCH_MAX];
          for (const point of points) expectSame(observeStore(vos, ref, point), observeModel(model, ref, point), `model at ${point}`);
          const before = points.map((point) => observeStore(vos, ref, point));
          aggregateAll(s.upTo);
          points.forEach((point, index) => expectSame(observeStore(vos, ref, point), before[index]!, `aggregated at ${point}`));
          for (const command of s.after) apply(vos, model, command, ref);
          for (const point of [...s.retained, s.upTo, 25, 30, EPOCH_MAX]) {
            expectSame(observeStore(vos, ref, point), observeModel(model, ref, point), `later write at ${point}`);
          }
          // A second walk (objects unchanged since the first are skipped), then a fresh one after a reopen.
          aggregateAll(31);
          for (const point of [...s.retained, 31, EPOCH_MAX]) {
            expectSame(observeStore(vos, ref, point), observeModel(model, ref, point), `second walk at ${point}`);
          }
          vos = target.reopen();
          expect(aggregateAll(31), 'versions a fresh walk still removes').toBe(0);
        } finally {
          target.cleanup();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('aggregate: examples', () => {
  it('aggregate: keeps what a snapshot sees and drops what nothing sees', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 'one' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 2, value: 'two' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 3, value: 'three' });
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 4, value: 'four' });
    const result = temp.vos.aggregate({ retained: [ep(2)], upTo: ep(4) });
    expect(result).toMatchObject({ versionsRemoved: 2, done: true });
    expect(result.bytesFreed).toBe('one'.length + 'three'.length);
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 2 })).toBe('two');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 4 })).toBe('four');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 3 })).toBe('two');
  });

  it('aggregate: merges small adjacent extents and trims overwritten ones without changing reads', () => {
    for (let i = 0; i < 16; i++) putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 1 + i, index: i * 4, count: 4, data: Buffer.alloc(4, 65 + i) });
    const read = (): string => getArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 30, index: 0, count: 64 }).toString('hex');
    const arrayRecords = (): Array<{ index: number; count: number; punch: boolean }> =>
      temp.vos.exportSince({ sinceEpoch: ep(0), cursor: null, limit: 100 }).records.flatMap((record) =>
        record.kind === 'array' ? [{ ...record.extent, punch: record.data === null }] : []);
    const written = read();
    expect(temp.vos.aggregate({ retained: [], upTo: ep(16) }).versionsRemoved).toBe(16);
    expect(read()).toBe(written);
    expect(arrayRecords()).toEqual([{ index: 0, count: 64, punch: false }]);
    putArray(temp.vos, { dkey: 'd', akey: 'a', epoch: 20, index: 2, count: 60, data: null });
    const punched = read();
    expect(temp.vos.aggregate({ retained: [], upTo: ep(25) }).versionsRemoved).toBe(1);
    expect(read()).toBe(punched);
    expect(arrayRecords().sort((x, y) => x.index - y.index)).toEqual([
      { index: 0, count: 2, punch: false },
      { index: 2, count: 60, punch: true },
      { index: 62, count: 2, punch: false },
    ]);
  });

  it('aggregate: a punched dkey with no retained epoch leaves no records behind', () => {
    putSingle(temp.vos, { dkey: 'gone', akey: 'a', epoch: 1, value: 'x' });
    putSingle(temp.vos, { dkey: 'kept', akey: 'a', epoch: 1, value: 'y' });
    temp.vos.punch({ ...OBJ, dkey: key('gone'), epoch: ep(2) });
    temp.vos.aggregate({ retained: [], upTo: ep(3) });
    const records = temp.vos.exportSince({ sinceEpoch: ep(0), cursor: null, limit: 100 }).records;
    expect(records.map((record) => ('dkey' in record ? record.dkey.toString() : record.kind))).toEqual(['kept']);
    expect(listAll(temp.vos, { epoch: 1 })).toEqual(['gone', 'kept'].filter((dkey) => dkey === 'kept'));
  });

  it('aggregate: a punch a snapshot depends on is kept', () => {
    putSingle(temp.vos, { dkey: 'd', akey: 'a', epoch: 1, value: 'x' });
    temp.vos.punch({ ...OBJ, dkey: key('d'), epoch: ep(5) });
    temp.vos.aggregate({ retained: [ep(3)], upTo: ep(10) });
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 3 })).toBe('x');
    expect(getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 10 })).toBeNull();
    expect(listAll(temp.vos, { epoch: 10 })).toEqual([]);
  });

  it('aggregate: with a limit returns done=false until the pass completes', () => {
    for (let d = 0; d < 20; d++) {
      for (let e = 1; e <= 3; e++) putSingle(temp.vos, { dkey: `d${d}`, akey: 'a', epoch: e, value: `v${e}` });
    }
    const results = [];
    let result;
    do {
      result = temp.vos.aggregate({ retained: [], upTo: ep(3), limit: 5 });
      results.push(result);
    } while (!result.done);
    expect(results.length).toBeGreaterThan(3);
    expect(results.reduce((sum, r) => sum + r.versionsRemoved, 0)).toBe(40);
    expect(getText(temp.vos, { dkey: 'd7', akey: 'a', epoch: 3 })).toBe('v3');
  });

  it('aggregate: with a limit and upTo moving on at every call (as the engine calls it) -> the pass still completes', () => {
    for (let d = 0; d < 20; d++) {
      for (let e = 1; e <= 3; e++) putSingle(temp.vos, { dkey: `d${d}`, akey: 'a', epoch: e, value: `v${e}` });
    }
    let removed = 0;
    let calls = 0;
    let result;
    do {
      calls += 1;
      result = temp.vos.aggregate({ retained: [], upTo: ep(3 + calls), limit: 5 });
      removed += result.versionsRemoved;
    } while (!result.done && calls < 100);
    expect(result.done).toBe(true);
    expect(removed).toBe(40);
    expect(getText(temp.vos, { dkey: 'd19', akey: 'a', epoch: 100 })).toBe('v3');
  });

  it('aggregate: after a complete walk only objects written since are examined, until the retained epochs change', () => {
    const ref = (n: number): ObjectRef => ({ ...OBJ, oid: oidOf(100 + n) });
    for (let n = 0; n < 20; n++) {
      for (let e = 1; e <= 3; e++) putSingle(temp.vos, { ref: ref(n), dkey: 'd', akey: 'a', epoch: e, value: `v${e}` });
    }
    const first = temp.vos.aggregate({ retained: [], upTo: ep(5) });
    expect(first).toMatchObject({ versionsRemoved: 40, done: true });
    expect(first.rowsExamined).toBeGreaterThanOrEqual(20 * 4);

    expect(temp.vos.aggregate({ retained: [], upTo: ep(10) })).toMatchObject({ versionsRemoved: 0, rowsExamined: 0, done: true });

    putSingle(temp.vos, { ref: ref(7), dkey: 'd', akey: 'a', epoch: 11, value: 'v11' });
    putSingle(temp.vos, { ref: ref(7), dkey: 'd', akey: 'a', epoch: 12, value: 'v12' });
    const touched = temp.vos.aggregate({ retained: [], upTo: ep(20) });
    expect(touched).toMatchObject({ versionsRemoved: 2, rowsExamined: 4, done: true });
    expect(getText(temp.vos, { ref: ref(7), dkey: 'd', akey: 'a', epoch: 20 })).toBe('v12');
    expect(getText(temp.vos, { ref: ref(8), dkey: 'd', akey: 'a', epoch: 20 })).toBe('v3');

    // A snapshot below upTo is a new evaluation point: every object is walked again.
    expect(temp.vos.aggregate({ retained: [ep(15)], upTo: ep(30) }).rowsExamined).toBeGreaterThanOrEqual(20 * 2);
    expect(temp.vos.aggregate({ retained: [ep(15)], upTo: ep(40) }).rowsExamined).toBe(0);
  });

  it('aggregate: an object written during a walk, after the walk passed it, is aggregated by the next walk', () => {
    const a: ObjectRef = { ...OBJ, oid: oidOf(201) };
    const b: ObjectRef = { ...OBJ, oid: oidOf(202) };
    for (const ref of [a, b]) {
      for (let e = 1; e <= 2; e++) putSingle(temp.vos, { ref, dkey: 'd', akey: 'a', epoch: e, value: `v${e}` });
    }
    // The walk stops after the first object (limit), upTo 10; a write lands above 10 on that object; the
    // walk completes at upTo 20. That object was only aggregated up to 10: it must not count as done at 20.
    expect(temp.vos.aggregate({ retained: [], upTo: ep(10), limit: 1 }).done).toBe(false);
    putSingle(temp.vos, { ref: a, dkey: 'd', akey: 'a', epoch: 15, value: 'v15' });
    let result;
    do result = temp.vos.aggregate({ retained: [], upTo: ep(20) }); while (!result.done);
    const next = temp.vos.aggregate({ retained: [], upTo: ep(30) });
    expect(next.versionsRemoved, 'v2 of the first object, hidden by v15').toBe(1);
    expect(getText(temp.vos, { ref: a, dkey: 'd', akey: 'a', epoch: 30 })).toBe('v15');
  });

  it('aggregate: overwrite + aggregate cycles -> blob file size stops growing', () => {
    const sizes: number[] = [];
    for (let cycle = 1; cycle <= 40; cycle++) {
      putSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: cycle, value: Buffer.alloc(64 * 1024, cycle) });
      putArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: cycle, index: 0, count: 32 * 1024, data: Buffer.alloc(32 * 1024, cycle) });
      temp.vos.aggregate({ retained: [], upTo: ep(cycle) });
      sizes.push(temp.vos.usage().blobFileBytes);
    }
    expect(sizes[39]).toBe(sizes[9]);
    expect(sizes[39]).toBeLessThanOrEqual(4 * 96 * 1024);
    expect(getSingle(temp.vos, { dkey: 'd', akey: 'big', epoch: 40 })!.equals(Buffer.alloc(64 * 1024, 40))).toBe(true);
    expect(getArray(temp.vos, { dkey: 'd', akey: 'arr', epoch: 40, index: 0, count: 32 * 1024 }).equals(Buffer.alloc(32 * 1024, 40))).toBe(true);
    const usage = temp.vos.usage();
    expect(usage.dataBytes).toBe(96 * 1024);
    expect(usage.blobFreeBytes).toBe(usage.blobFileBytes - 96 * 1024);
  });
});
