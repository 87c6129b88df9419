import { describe, expect, it } from 'vitest';
import { decodeAnswer, decodeCall, encodeAnswer, encodeCall, FrameReader } from './channel.js';

describe('rpc_channel frames', () => {
  it('a body in parts frames as the same bytes as in one Buffer; frames cut anywhere read back whole', () => {
    const parts = [Buffer.from('head'), Buffer.alloc(5000, 7), Buffer.from('tail')];
    const call = encodeCall(42, 'obj_update', parts);
    expect(call.equals(encodeCall(42, 'obj_update', [Buffer.concat(parts)]))).toBe(true);
    const answer = encodeAnswer(43, 409, [Buffer.from('x'), Buffer.from('yz')]);
    const stream = Buffer.concat([call, answer]);
    const reader = new FrameReader(1 << 20);
    const payloads: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 7) {
      reader.push(stream.subarray(at, at + 7));
      for (let payload = reader.next(); payload !== undefined; payload = reader.next()) payloads.push(payload);
    }
    expect(payloads).toHaveLength(2);
    const decoded = decodeCall(payloads[0]!);
    expect([decoded.id, decoded.opcode, decoded.body.equals(Buffer.concat(parts))]).toEqual([42, 'obj_update', true]);
    const back = decodeAnswer(payloads[1]!);
    expect([back.id, back.status, back.body.toString()]).toEqual([43, 409, 'xyz']);
  });
});
