/**
 * Bounded LRU of object layouts keyed by (oid, pool map version), for the client I/O path, where the same
 * objects are laid out again and again. Never holds more than its capacity; evicts the least recently used
 * entry. A layout is valid only for the map version it was computed from, so entries of older versions are
 * simply never hit again and age out. Does not decide when a map is stale (the client's retry wrapper does).
 */
import assert from 'node:assert/strict';
import type { PoolMap, PoolMapVersion } from '../pool-map/pool-map.js';
import { OID_BYTES, type Oid } from './oid.js';
import { computeLayout, type ObjectLayout } from './placement.js';

/** Default capacity. At ~1 KiB per small layout this bounds the cache to tens of MiB. */
export const LAYOUT_CACHE_ENTRIES_MAX = 65_536;

/** Scratch for splitting an oid into 16-bit units without BigInt arithmetic; used synchronously only. */
const oidUnits = new DataView(new ArrayBuffer(OID_BYTES));

/**
 * A compact string key: the oid's 128 bits as 8 UTF-16 code units, then the version. Cheaper than
 * printing the BigInts, and unambiguous because the oid part has a fixed length.
 */
function cacheKey(oid: Oid, version: PoolMapVersion): string {
  oidUnits.setBigUint64(0, oid.hi);
  oidUnits.setBigUint64(8, oid.lo);
  const units = oidUnits;
  return (
    String.fromCharCode(units.getUint16(0), units.getUint16(2), units.getUint16(4), units.getUint16(6)) +
    String.fromCharCode(units.getUint16(8), units.getUint16(10), units.getUint16(12), units.getUint16(14)) +
    version
  );
}

export class LayoutCache {
  readonly capacity: number;
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  readonly #entries = new Map<string, ObjectLayout>();

  constructor(capacity: number = LAYOUT_CACHE_ENTRIES_MAX) {
    assert.ok(Number.isInteger(capacity) && capacity >= 1 && capacity <= LAYOUT_CACHE_ENTRIES_MAX, 'layout cache capacity out of range');
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached layout of `oid` for map `version`, or undefined; a hit makes the entry most recent. */
  get(oid: Oid, version: PoolMapVersion): ObjectLayout | undefined {
    const key = cacheKey(oid, version);
    const layout = this.#entries.get(key);
    if (layout !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, layout);
    }
    return layout;
  }

  /** Stores `layout` under its own (oid, version), evicting the least recently used entry when full. */
  set(layout: ObjectLayout): void {
    const key = cacheKey(layout.oid, layout.version);
    this.#entries.delete(key);
    this.#entries.set(key, layout);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /**
   * The layout of `oid` under `map`, from the cache or computed and cached. Errors of computeLayout
   * (DER_INVAL) propagate and nothing is cached.
   */
  layout(map: PoolMap, oid: Oid): ObjectLayout {
    const cached = this.get(oid, map.version);
    if (cached !== undefined) return cached;
    const layout = computeLayout(map, oid);
    this.set(layout);
    return layout;
  }

  clear(): void {
    this.#entries.clear();
  }
}
