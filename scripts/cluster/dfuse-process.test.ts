import { describe, expect, it } from 'vitest';
import { AnnouncementReader } from './dfuse-process.js';

describe('dfuse announcement', () => {
  it('the pretty-printed object is found among other lines Node flags print (--trace-gc), before and after it', () => {
    const reader = new AnnouncementReader();
    const printed = [
      '[4242:0x5d1e]      31 ms: Scavenge 4.1 (5.0) -> 3.6 (6.0) MB, 0.62 / 0.00 ms  (average mu = 1.000) allocation failure;',
      '{',
      '  "event": "mounted",',
      '  "metrics": "127.0.0.1:40001"',
      '}',
      '[4242:0x5d1e]      90 ms: Scavenge 5.2 (7.0) -> 4.4 (8.0) MB, 0.70 / 0.00 ms',
    ];
    const answers = printed.map((line) => reader.push(line));
    expect(answers.filter((answer) => answer !== undefined)).toEqual([{ event: 'mounted', metrics: '127.0.0.1:40001' }]);
    expect(answers[4]).toEqual({ event: 'mounted', metrics: '127.0.0.1:40001' });
  });

  it('a line "}" outside an object, or an object that does not parse, announces nothing; the next object does', () => {
    const reader = new AnnouncementReader();
    expect(reader.push('}')).toBeUndefined();
    for (const line of ['{', '  "event": ', '}']) expect(reader.push(line)).toBeUndefined();
    for (const line of ['{', '  "event": "mounted"']) expect(reader.push(line)).toBeUndefined();
    expect(reader.push('}')).toEqual({ event: 'mounted' });
  });
});
