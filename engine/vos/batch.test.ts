import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Der, isEngineError } from '../wire/errors.js';
import type { UpdateOp } from './operation.js';
import { OBJ, ep, getSingle, getText, key, openTempTarget, putSingle, type TempTarget } from './test-harness.js';

let temp: TempTarget;
beforeEach(() => {
  temp = openTempTarget();
});
afterEach(() => temp.cleanup());

function single(dkey: string, value: Buffer | string, epoch: number, extra: Partial<UpdateOp> = {}): UpdateOp {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return { ...OBJ, dkey: key(dkey), epoch: ep(epoch), iods: [{ akey: key('a'), type: 'single', value: data }], ...extra };
}

describe('vos runBatch', () => {
  it('runBatch: a failing op leaves no trace and the others commit, results in order', () => {
    putSingle(temp.vos, { dkey: 'taken', akey: 'a', epoch: 1, value: 'old' });
    const results = temp.vos.runBatch<string>([
      () => { temp.vos.update(single('x', 'one', 2)); return 'first'; },
      () => { temp.vos.update(single('taken', 'new', 2, { dkeyCond: 'insert' })); return 'never'; },
      () => {
        temp.vos.update(single('partial', 'half', 2));
        temp.vos.update(single('partial2', Buffer.alloc(8192, 7), 2));
        throw new Error('boom after writing');
      },
      () => { temp.vos.update(single('y', 'two', 2)); return 'last'; },
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false, false, true]);
    expect(results[0]).toEqual({ ok: true, value: 'first' });
    expect(results[3]).toEqual({ ok: true, value: 'last' });
    const second = results[1]!;
    expect(!second.ok && isEngineError(second.error, Der.EXIST)).toBe(true);
    expect(getText(temp.vos, { dkey: 'x', akey: 'a', epoch: 2 })).toBe('one');
    expect(getText(temp.vos, { dkey: 'y', akey: 'a', epoch: 2 })).toBe('two');
    expect(getText(temp.vos, { dkey: 'taken', akey: 'a', epoch: 2 })).toBe('old');
    expect(getText(temp.vos, { dkey: 'partial', akey: 'a', epoch: 2 })).toBeNull();
    expect(getSingle(temp.vos, { dkey: 'partial2', akey: 'a', epoch: 2 })).toBeNull();
    expect(temp.vos.usage().dataBytes).toBe('old'.length + 'one'.length + 'two'.length);
  });

  it('runBatch: a lone failing op (no savepoint) leaves no trace; the next batch writes', () => {
    const used = temp.vos.usage().dataBytes;
    const [result] = temp.vos.runBatch<string>([() => {
      temp.vos.update(single('lone', Buffer.alloc(8192, 1), 2));
      throw new Error('boom after writing');
    }]);
    expect(result?.ok).toBe(false);
    expect(getSingle(temp.vos, { dkey: 'lone', akey: 'a', epoch: 2 })).toBeNull();
    expect(temp.vos.usage().dataBytes).toBe(used);
    expect(temp.vos.runBatch([() => temp.vos.update(single('lone', 'ok', 3))])).toEqual([{ ok: true, value: undefined }]);
    expect(getText(temp.vos, { dkey: 'lone', akey: 'a', epoch: 3 })).toBe('ok');
  });

  it('runBatch: blob space of a rolled-back op is reused by the next write', () => {
    temp.vos.runBatch([() => { temp.vos.update(single('big', Buffer.alloc(8192, 1), 1)); throw new Error('undo'); }]);
    const afterFailure = temp.vos.usage();
    expect(afterFailure.dataBytes).toBe(0);
    temp.vos.update(single('big', Buffer.alloc(8192, 2), 2));
    expect(temp.vos.usage().blobFileBytes).toBe(afterFailure.blobFileBytes);
    expect(getSingle(temp.vos, { dkey: 'big', akey: 'a', epoch: 2 })!.equals(Buffer.alloc(8192, 2))).toBe(true);
  });

  it('runBatch: space freed inside a batch is not reused before the batch commits', () => {
    temp.vos.update(single('big', Buffer.alloc(65536, 1), 1));
    temp.vos.update(single('big', Buffer.alloc(65536, 2), 2));
    const sizeBefore = temp.vos.usage().blobFileBytes;
    const results = temp.vos.runBatch([
      () => temp.vos.aggregate({ retained: [], upTo: ep(2) }),
      () => temp.vos.update(single('other', Buffer.alloc(65536, 3), 3)),
    ]);
    expect(results.every((result) => result.ok)).toBe(true);
    // The freed 64 KiB was pending, so the new value extended the file.
    expect(temp.vos.usage().blobFileBytes).toBe(sizeBefore + 65536);
    temp.vos.update(single('third', Buffer.alloc(65536, 4), 4));
    expect(temp.vos.usage().blobFileBytes).toBe(sizeBefore + 65536);
    expect(getSingle(temp.vos, { dkey: 'big', akey: 'a', epoch: 4 })!.equals(Buffer.alloc(65536, 2))).toBe(true);
    expect(getSingle(temp.vos, { dkey: 'other', akey: 'a', epoch: 4 })!.equals(Buffer.alloc(65536, 3))).toBe(true);
    expect(getSingle(temp.vos, { dkey: 'third', akey: 'a', epoch: 4 })!.equals(Buffer.alloc(65536, 4))).toBe(true);
  });

  it('runBatch: fetches inside a batch see earlier ops of the same batch', () => {
    const results = temp.vos.runBatch<unknown>([
      () => temp.vos.update(single('d', 'v', 1)),
      () => getText(temp.vos, { dkey: 'd', akey: 'a', epoch: 1 }),
    ]);
    expect(results[1]).toEqual({ ok: true, value: 'v' });
  });

  it('runBatch: 20,000 small single-value updates in batches of 64 (rate is logged)', () => {
    const total = 20_000;
    const value = Buffer.alloc(64, 0x42);
    const started = process.hrtime.bigint();
    for (let i = 0; i < total; i += 64) {
      const ops = [];
      for (let j = i; j < Math.min(total, i + 64); j++) {
        const dkey = Buffer.from(`file-${j % 500}`);
        const akey = Buffer.from(`attr-${j}`);
        ops.push(() => temp.vos.update({ ...OBJ, dkey, epoch: ep(1 + j), iods: [{ akey, type: 'single', value }] }));
      }
      const results = temp.vos.runBatch(ops);
      expect(results.every((result) => result.ok)).toBe(true);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`vos: ${total} updates of 64 B in batches of 64: ${Math.round(total / seconds)} updates/s`);
    expect(getSingle(temp.vos, { dkey: 'file-7', akey: 'attr-19507', epoch: total })!.equals(value)).toBe(true);
  });

  it('a shard looked up while absent is found once written, also after a rolled-back write and a destroy', () => {
    const absent = { ...OBJ, shard: 9 };
    const read = (epoch: number): string | null => getText(temp.vos, { ref: absent, dkey: 'k', akey: 'a', epoch });
    expect(temp.vos.queryMaxEpoch(absent)).toBe(0);
    expect(read(5)).toBeNull();
    temp.vos.runBatch([() => { temp.vos.update({ ...single('k', 'lost', 2), shard: 9 }); throw new Error('undo'); }]);
    expect(read(5)).toBeNull();
    expect(temp.vos.queryMaxEpoch(absent)).toBe(0);
    temp.vos.update({ ...single('k', 'kept', 3), shard: 9 });
    expect(read(5)).toBe('kept');
    expect(temp.vos.queryMaxEpoch(absent)).toBe(3);
    temp.vos.destroyContainer(OBJ.cont);
    expect(read(5)).toBeNull();
    temp.vos.update({ ...single('k', 'again', 4), shard: 9 });
    expect(read(5)).toBe('again');
  });
});
