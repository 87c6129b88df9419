import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { installSignalHandlers } from './signals.js';

describe('signals', () => {
  it('signal -> close then exit 0; second signal while closing -> exit 1', async () => {
    const codes: number[] = [];
    let release: () => void = () => undefined;
    let closes = 0;
    const engine = {
      log: pino({ level: 'silent' }),
      close: () => {
        closes += 1;
        return new Promise<void>((resolve) => (release = resolve));
      },
    };
    const uninstall = installSignalHandlers(engine, { signals: ['SIGUSR2'], exit: (code) => codes.push(code) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(codes).toEqual([1]);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(codes).toEqual([1, 0]);
      expect(closes).toBe(1);
    } finally {
      uninstall();
    }
  });

  it('close failure -> exit 1', async () => {
    const codes: number[] = [];
    const engine = { log: pino({ level: 'silent' }), close: () => Promise.reject(new Error('boom')) };
    const uninstall = installSignalHandlers(engine, { signals: ['SIGUSR2'], exit: (code) => codes.push(code) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((resolve) => setImmediate(resolve));
      expect(codes).toEqual([1]);
    } finally {
      uninstall();
    }
  });
});
