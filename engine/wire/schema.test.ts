import { describe, expect, it } from 'vitest';
import { decode, encode } from './codec.js';
import { Der, EngineError } from './errors.js';
import { OBJ_FETCH, OBJ_UPDATE } from './rpc/obj.js';
import { t } from './schema.js';

function protoError(run: () => unknown): EngineError {
  try {
    run();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

const address = { pool: '11111111-2222-3333-4444-555555555555', cont: '11111111-2222-3333-4444-666666666666', mapVersion: 1, target: 0, oid: Buffer.alloc(16), shard: 0 };

describe('wire schema', () => {
  it('obj_update: valid body survives a msgpack round trip and validation', () => {
    const body = { ...address, dkey: Buffer.from('d'), epoch: 2 ** 50 + 7, iods: [
      { type: 'single', akey: Buffer.from('a'), value: Buffer.from('hello') },
      { type: 'array', akey: Buffer.from('0'), recordSize: 1, extents: [{ index: 4, count: 3 }], data: Buffer.from('xyz') },
    ] };
    const checked = OBJ_UPDATE.request.check(decode(encode(body)), '');
    expect(checked.epoch).toBe(2 ** 50 + 7);
    expect(checked.iods[0]).toEqual({ type: 'single', akey: Buffer.from('a'), value: Buffer.from('hello') });
    expect(Buffer.isBuffer(checked.dkey)).toBe(true);
  });

  it('obj_update: unknown field -> DER_PROTO naming the field', () => {
    const error = protoError(() => OBJ_UPDATE.request.check({ ...address, dkey: Buffer.from('d'), epoch: 1, iods: [], extra: 1 }, ''));
    expect(error.der).toBe(Der.PROTO);
    expect(error.message).toContain('extra');
  });

  it('obj_update: oversized key, wrong types and bad variants -> DER_PROTO', () => {
    const cases: unknown[] = [
      { ...address, dkey: Buffer.alloc(64 * 1024 + 1), epoch: 1, iods: [] },
      { ...address, dkey: 'not-bytes', epoch: 1, iods: [] },
      { ...address, dkey: Buffer.from('d'), epoch: -1, iods: [] },
      { ...address, dkey: Buffer.from('d'), epoch: 1.5, iods: [] },
      { ...address, dkey: Buffer.from('d'), epoch: 1, iods: [{ type: 'bogus', akey: Buffer.from('a') }] },
      { ...address, oid: Buffer.alloc(15), dkey: Buffer.from('d'), epoch: 1, iods: [] },
      { ...address, dkey: Buffer.alloc(0), epoch: 1, iods: [] },
      null,
      [1, 2, 3],
    ];
    for (const body of cases) expect(protoError(() => OBJ_UPDATE.request.check(body, '')).der).toBe(Der.PROTO);
  });

  it('optional: nil from msgpack reads as absent', () => {
    const checked = OBJ_FETCH.request.check(decode(encode({ ...address, dkey: Buffer.from('d'), epoch: 1, iods: [], dkeyCond: undefined })), '');
    expect('dkeyCond' in checked).toBe(false);
  });

  it('array: length cap enforced', () => {
    expect(protoError(() => t.array(t.uint(), 2).check([1, 2, 3], 'xs')).message).toContain('xs');
  });
});
