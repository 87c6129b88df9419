/**
 * 128-bit object ids. Layout of `hi` (DAOS): bits 63..56 object type, 55..48 redundancy kind,
 * 47..32 number of redundancy groups, 31..0 user bits; `lo` is 64 user bits, unique per container
 * (allocated in ranges by the container service). On the wire and at rest an oid is 16 bytes, hi then lo,
 * big-endian, so byte order equals numeric order.
 */
import assert from 'node:assert/strict';
import { type ObjClass, groupSizeOfKind } from './object-class.js';

export interface Oid {
  readonly hi: bigint;
  readonly lo: bigint;
}

/** Object types (DAOS numbering). KV objects here keep dkeys/akeys in lexical order. */
export enum ObjType {
  MULTI_LEXICAL = 7,
  ARRAY_BYTE = 13,
}

const U32 = 0xffff_ffffn;
const U64 = 0xffff_ffff_ffff_ffffn;
export const OID_BYTES = 16;

export interface OidFields {
  readonly type: ObjType;
  readonly cls: ObjClass;
  /** Real group count (resolveGroupCount); fixed for the object's life. */
  readonly groupCount: number;
  /** 32 user bits of hi. */
  readonly userHi: number;
  /** 64 user bits. */
  readonly lo: bigint;
}

export function makeOid(fields: OidFields): Oid {
  assert.ok(fields.groupCount >= 1 && fields.groupCount <= 0xffff, 'group count out of range');
  assert.ok(Number.isInteger(fields.userHi) && fields.userHi >= 0 && fields.userHi <= 0xffff_ffff, 'userHi out of range');
  assert.ok(fields.lo >= 0n && fields.lo <= U64, 'lo out of range');
  const hi =
    (BigInt(fields.type) << 56n) |
    (BigInt(fields.cls.kind) << 48n) |
    (BigInt(fields.groupCount) << 32n) |
    BigInt(fields.userHi);
  return { hi, lo: fields.lo };
}

export function oidType(oid: Oid): number {
  return Number((oid.hi >> 56n) & 0xffn);
}

export function oidKind(oid: Oid): number {
  return Number((oid.hi >> 48n) & 0xffn);
}

export function oidGroupCount(oid: Oid): number {
  return Number((oid.hi >> 32n) & 0xffffn);
}

export function oidGroupSize(oid: Oid): number {
  return groupSizeOfKind(oidKind(oid));
}

export function oidUserHi(oid: Oid): number {
  return Number(oid.hi & U32);
}

export function oidToBytes(oid: Oid): Buffer {
  const bytes = Buffer.allocUnsafe(OID_BYTES);
  bytes.writeBigUInt64BE(oid.hi, 0);
  bytes.writeBigUInt64BE(oid.lo, 8);
  return bytes;
}

export function oidFromBytes(bytes: Uint8Array): Oid {
  assert.equal(bytes.length, OID_BYTES, 'oid must be 16 bytes');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { hi: view.readBigUInt64BE(0), lo: view.readBigUInt64BE(8) };
}

/** Each Oid's text, made once: handles' oids are keys of several maps on every request (~200 ns a conversion). */
const oidTexts = new WeakMap<Oid, string>();

/** `<hi hex>.<lo hex>`, 16 digits each, as DAOS prints oids. */
export function oidToString(oid: Oid): string {
  let text = oidTexts.get(oid);
  if (text === undefined) {
    text = `${oid.hi.toString(16).padStart(16, '0')}.${oid.lo.toString(16).padStart(16, '0')}`;
    oidTexts.set(oid, text);
  }
  return text;
}

export function oidFromString(text: string): Oid {
  const match = /^([0-9a-f]{1,16})\.([0-9a-f]{1,16})$/i.exec(text);
  if (match === null) throw new RangeError(`not an oid: ${JSON.stringify(text)}`);
  return { hi: BigInt(`0x${match[1]}`), lo: BigInt(`0x${match[2]}`) };
}

export function oidEquals(a: Oid, b: Oid): boolean {
  return a.hi === b.hi && a.lo === b.lo;
}
