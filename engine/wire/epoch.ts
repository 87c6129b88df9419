/**
 * Epochs and the hybrid logical clock (HLC) that issues them.
 *
 * An epoch is a JS number (exact below 2^53): (milliseconds since 2020-01-01) * 2^12 + logical counter.
 * That keeps epochs plain numbers (fast, sqlite INTEGER, msgpack uint64/float64) until the year 2089.
 * The clock is monotonic per process and is merged with every epoch seen from a peer, so causally later
 * operations always get larger epochs. EPOCH_MAX reads "now" (newest visible version).
 */
import assert from 'node:assert/strict';

export type Epoch = number & { readonly __brand: 'Epoch' };

export const EPOCH_BASE_MS = Date.UTC(2020, 0, 1);
export const EPOCH_LOGICAL_BITS = 12;
const LOGICAL_SPAN = 2 ** EPOCH_LOGICAL_BITS;

/** Reads at EPOCH_MAX see the newest version of everything. */
export const EPOCH_MAX = Number.MAX_SAFE_INTEGER as Epoch;
export const EPOCH_ZERO = 0 as Epoch;

export function asEpoch(value: number): Epoch {
  assert.ok(Number.isSafeInteger(value) && value >= 0, `epoch out of range: ${value}`);
  return value as Epoch;
}

export function epochFromMs(ms: number): Epoch {
  return Math.max(0, Math.floor(ms - EPOCH_BASE_MS)) * LOGICAL_SPAN as Epoch;
}

export function epochToMs(epoch: Epoch): number {
  return Math.floor(epoch / LOGICAL_SPAN) + EPOCH_BASE_MS;
}

/** A hybrid logical clock: never goes backwards, tracks wall time, absorbs remote epochs. */
export class Hlc {
  private last: number;
  private readonly wallMs: () => number;

  constructor(wallMs: () => number = Date.now) {
    this.wallMs = wallMs;
    this.last = epochFromMs(wallMs());
  }

  /** A new epoch, strictly greater than every epoch issued or observed before. */
  now(): Epoch {
    const physical = epochFromMs(this.wallMs());
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last as Epoch;
  }

  /** Merge an epoch seen from a peer so that later local epochs are greater. */
  observe(remote: number): void {
    if (remote > this.last && remote < EPOCH_MAX) this.last = remote;
  }

  /** The newest epoch issued or observed, without advancing. */
  peek(): Epoch {
    return this.last as Epoch;
  }
}
