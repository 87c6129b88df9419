/**
 * Picks a transport implementation by name, for CLIs and benchmarks that let the user choose:
 * 'h2' (node:http2 session, the default and the faster one for small RPCs) or 'undici' (undici h2c).
 */
import type { Logger } from '../log.js';
import { H2TransportPool } from './h2-transport.js';
import type { TransportPool } from './transport.js';
import { UndiciTransportPool } from './undici-transport.js';

export type TransportName = 'h2' | 'undici';

export const TRANSPORT_NAMES: readonly TransportName[] = ['h2', 'undici'];

export function isTransportName(name: string): name is TransportName {
  return (TRANSPORT_NAMES as readonly string[]).includes(name);
}

export function createTransportPool(name: TransportName = 'h2', options: { log?: Logger } = {}): TransportPool {
  switch (name) {
    case 'h2': return new H2TransportPool(options);
    case 'undici': return new UndiciTransportPool(options);
  }
}
