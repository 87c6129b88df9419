/**
 * Object classes: how many redundancy groups an object has and how many shards a group holds.
 * The class id is stored in the object id (oid.ts), so an object's class and width are fixed for life.
 * Pure data; placement.ts turns (class, groups, pool map) into shard locations.
 */
import { EngineError, Der } from '../wire/errors.js';

export type ObjClassName = 'S1' | 'S2' | 'SX' | 'RP_2G1' | 'RP_3G1' | 'RP_2GX' | 'RP_3GX';

export interface ObjClass {
  readonly name: ObjClassName;
  /** Redundancy kind byte stored in oid.hi bits 55..48 (DAOS: RP_1 = 1, RP_2 = 8, RP_3 = 9). */
  readonly kind: number;
  /** Shards per redundancy group: replicas for RP, 1 for S. */
  readonly groupSize: number;
  /** Fixed number of groups, or 'max' (GX/SX: computed from the pool's targets at oid generation). */
  readonly groups: number | 'max';
}

const KIND_RP_1 = 1;
const KIND_RP_2 = 8;
const KIND_RP_3 = 9;

export const OBJ_CLASSES: Readonly<Record<ObjClassName, ObjClass>> = {
  S1: { name: 'S1', kind: KIND_RP_1, groupSize: 1, groups: 1 },
  S2: { name: 'S2', kind: KIND_RP_1, groupSize: 1, groups: 2 },
  SX: { name: 'SX', kind: KIND_RP_1, groupSize: 1, groups: 'max' },
  RP_2G1: { name: 'RP_2G1', kind: KIND_RP_2, groupSize: 2, groups: 1 },
  RP_3G1: { name: 'RP_3G1', kind: KIND_RP_3, groupSize: 3, groups: 1 },
  RP_2GX: { name: 'RP_2GX', kind: KIND_RP_2, groupSize: 2, groups: 'max' },
  RP_3GX: { name: 'RP_3GX', kind: KIND_RP_3, groupSize: 3, groups: 'max' },
};

export function isObjClassName(name: string): name is ObjClassName {
  return Object.hasOwn(OBJ_CLASSES, name);
}

export function objClassByName(name: string): ObjClass {
  if (!isObjClassName(name)) throw new EngineError(Der.INVAL, `unknown object class ${JSON.stringify(name)}`);
  return OBJ_CLASSES[name];
}

/** The group size for a redundancy kind byte read back from an oid. */
export function groupSizeOfKind(kind: number): number {
  switch (kind) {
    case KIND_RP_1: return 1;
    case KIND_RP_2: return 2;
    case KIND_RP_3: return 3;
    default: throw new EngineError(Der.INVAL, `unknown redundancy kind ${kind}`);
  }
}

/** How many engine losses a class survives (replicas - 1). */
export function classRedundancy(cls: ObjClass): number {
  return cls.groupSize - 1;
}

/**
 * Number of groups a new object of this class gets on a pool with `targetCount` targets in
 * `faultDomainCount` fault domains. GX classes take floor(targets / groupSize), at least 1.
 * Fails with DER_INVAL when a group needs more fault domains than the pool has.
 */
export function resolveGroupCount(cls: ObjClass, targetCount: number, faultDomainCount: number): number {
  if (cls.groupSize > faultDomainCount) {
    throw new EngineError(Der.INVAL, `class ${cls.name} needs ${cls.groupSize} fault domains, pool has ${faultDomainCount}`);
  }
  if (cls.groups !== 'max') return cls.groups;
  return Math.max(1, Math.min(0xffff, Math.floor(targetCount / cls.groupSize)));
}
