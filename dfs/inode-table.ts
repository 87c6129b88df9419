/**
 * Inode numbers and open-object accounting. st_ino is derived from the oid alone (DAOS dfuse:
 * (hi & 0xffffffff) XOR (lo << 32), mod 2^64), so it is stable across mounts and the same for every path
 * to an object; it is unique while `lo` stays below 2^32 (4 G objects per container). The root (userHi 1,
 * lo 0) is inode 1. The table counts the handles open on each object, bounded by OPEN_OBJECTS_MAX
 * (ENFILE beyond), and remembers, while any handle on an object is open, that this mount has started
 * writing it (first-write.ts: handles read before that still carry the unwritten mark). It caches
 * nothing else and never keeps objects alive (remove punches regardless).
 */
import { type Oid, oidToString } from '../engine/client/index.js';
import { OPEN_OBJECTS_MAX } from './constants.js';
import { fsFail } from './errors.js';

export type Ino = bigint & { readonly __brand: 'Ino' };

const U32 = 0xffff_ffffn;
const U64 = 0xffff_ffff_ffff_ffffn;

/** The inode number of the object `oid`. */
export function inoOfOid(oid: Oid): Ino {
  return (((oid.hi & U32) ^ (oid.lo << 32n)) & U64) as Ino;
}

export class InodeTable {
  readonly #open = new Map<string, number>();
  /** Objects with open handles that this mount writes: the clearing of their unwritten mark. */
  readonly #written = new Map<string, Promise<void>>();
  #handles = 0;

  /** Counts one more handle on `oid`; ENFILE when the mount holds OPEN_OBJECTS_MAX handles. */
  acquire(oid: Oid): void {
    if (this.#handles >= OPEN_OBJECTS_MAX) fsFail('ENFILE', `${OPEN_OBJECTS_MAX} object handles open`);
    const key = oidToString(oid);
    this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
    this.#handles++;
  }

  /** Drops one handle on `oid` (the caller checked the handle was open). */
  release(oid: Oid): void {
    const key = oidToString(oid);
    const count = this.#open.get(key) ?? 0;
    if (count <= 1) {
      this.#open.delete(key);
      this.#written.delete(key);
    } else this.#open.set(key, count - 1);
    if (count > 0) this.#handles--;
  }

  /**
   * The clearing of `oid`'s unwritten mark, started with `clear` unless this mount started it before;
   * remembered while handles on `oid` are open (a failed clearing is forgotten, so it is tried again).
   */
  markWritten(oid: Oid, clear: () => Promise<void>): Promise<void> {
    const key = oidToString(oid);
    const known = this.#written.get(key);
    if (known !== undefined) return known;
    const clearing = clear();
    if (!this.#open.has(key)) return clearing;
    this.#written.set(key, clearing);
    clearing.catch(() => {
      if (this.#written.get(key) === clearing) this.#written.delete(key);
    });
    return clearing;
  }

  /** This mount has started writing `oid` (and has handles on it open). */
  isWritten(oid: Oid): boolean {
    return this.#written.has(oidToString(oid));
  }

  /** Handles open on `oid`. */
  openCount(oid: Oid): number {
    return this.#open.get(oidToString(oid)) ?? 0;
  }

  /** Handles open on the whole mount. */
  get handleCount(): number {
    return this.#handles;
  }
}
