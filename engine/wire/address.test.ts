import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from './address.js';

describe('engine addresses', () => {
  it('host:port and [v6]:port -> host and port; junk -> throws', () => {
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(() => parseHostPort('localhost')).toThrow();
    expect(() => parseHostPort('h:99999')).toThrow();
  });

  it('formatting brackets an IPv6 host, and parses back', () => {
    expect(formatHostPort('::1', 8080)).toBe('[::1]:8080');
    expect(parseHostPort(formatHostPort('10.0.0.2', 7))).toEqual({ host: '10.0.0.2', port: 7 });
  });
});
