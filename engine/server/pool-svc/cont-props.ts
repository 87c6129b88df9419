/**
 * Container property defaults and checks, at CONT_CREATE. Defaults follow the project's reference notes
 * (DAOS 2.8 roadmap): POSIX layout, 1 MiB chunks, crc64 checksums over 32 KiB with server verification,
 * redundancy factor from the pool, and object classes from the redundancy factor:
 *   rdFac 0 -> S1 (default and directories), SX (files)
 *   rdFac 1 -> RP_2G1 (default and directories), RP_2GX (files)
 *   rdFac 2+ -> RP_3G1 (default and directories), RP_3GX (files)
 * An explicit class weaker than the redundancy factor, or wider than the pool's fault domains, is refused.
 */
import { classRedundancy, type ObjClassName, objClassByName } from '../../placement/object-class.js';
import { Der, EngineError } from '../../wire/errors.js';
import type { RpcRequest } from '../../wire/rpc-def.js';
import type { CONT_CREATE, ContProps } from '../../wire/rpc/cont.js';
import type { PoolProps } from '../../wire/rpc/pool.js';
import { POOL_RD_FAC_CLASS_MAX } from './constants.js';

export const CONT_CHUNK_SIZE_BYTES_DEFAULT = 1024 * 1024;
export const CONT_CKSUM_SIZE_BYTES_DEFAULT = 32 * 1024;

type RequestedProps = NonNullable<RpcRequest<typeof CONT_CREATE>['props']>;

interface ClassDefaults {
  readonly oclass: ObjClassName;
  readonly dirOclass: ObjClassName;
  readonly fileOclass: ObjClassName;
}

export function classDefaults(rdFac: number): ClassDefaults {
  if (rdFac === 0) return { oclass: 'S1', dirOclass: 'S1', fileOclass: 'SX' };
  if (rdFac === 1) return { oclass: 'RP_2G1', dirOclass: 'RP_2G1', fileOclass: 'RP_2GX' };
  return { oclass: 'RP_3G1', dirOclass: 'RP_3G1', fileOclass: 'RP_3GX' };
}

function checkClass(name: ObjClassName, rdFac: number, faultDomainCount: number): void {
  const cls = objClassByName(name);
  if (classRedundancy(cls) < Math.min(rdFac, POOL_RD_FAC_CLASS_MAX)) {
    throw new EngineError(Der.INVAL, `class ${name} does not survive the container's rdFac ${rdFac}`);
  }
  if (cls.groupSize > faultDomainCount) {
    throw new EngineError(Der.INVAL, `class ${name} needs ${cls.groupSize} fault domains, the pool has ${faultDomainCount}`);
  }
}

/**
 * The container's properties: requested ones over the defaults. Errors: Der.INVAL for a zero chunk or
 * checksum size, or a class that fails checkClass.
 */
export function resolveContProps(requested: RequestedProps | undefined, pool: PoolProps, faultDomainCount: number): ContProps {
  const rdFac = requested?.rdFac ?? pool.rdFac;
  const defaults = classDefaults(rdFac);
  const props: ContProps = {
    layout: requested?.layout ?? 'POSIX',
    oclass: requested?.oclass ?? defaults.oclass,
    dirOclass: requested?.dirOclass ?? defaults.dirOclass,
    fileOclass: requested?.fileOclass ?? defaults.fileOclass,
    chunkSizeBytes: requested?.chunkSizeBytes ?? CONT_CHUNK_SIZE_BYTES_DEFAULT,
    rdFac,
    cksum: requested?.cksum ?? 'crc64',
    cksumSizeBytes: requested?.cksumSizeBytes ?? CONT_CKSUM_SIZE_BYTES_DEFAULT,
    srvCksum: requested?.srvCksum ?? true,
  };
  if (props.chunkSizeBytes === 0) throw new EngineError(Der.INVAL, 'chunkSizeBytes must be positive');
  if (props.cksumSizeBytes === 0) throw new EngineError(Der.INVAL, 'cksumSizeBytes must be positive');
  for (const name of [props.oclass, props.dirOclass, props.fileOclass]) checkClass(name, rdFac, faultDomainCount);
  return props;
}
