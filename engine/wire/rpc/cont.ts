/**
 * Container RPCs, served by the pool service leader: create/query/list/destroy, OID ranges, snapshots
 * (named epochs), user attributes (dfuse reads its cache settings there).
 */
import {
  ATTR_NAME_BYTES_MAX, ATTR_VALUE_BYTES_MAX, ATTRS_PER_CONT_MAX, OIDS_PER_ALLOC_MAX, SNAPSHOTS_PER_CONT_MAX,
} from '../../constants.js';
import { defineRpc } from '../rpc-def.js';
import { type Infer, t } from '../schema.js';
import { epoch, label, poolOrContName, uuid } from './common.js';

const objClassName = t.literal('S1', 'S2', 'SX', 'RP_2G1', 'RP_3G1', 'RP_2GX', 'RP_3GX');

export const contProps = t.object({
  layout: t.literal('POSIX', 'HDF5', 'UNKNOWN'),
  /** Default class for objects of unspecified class. */
  oclass: objClassName,
  dirOclass: objClassName,
  fileOclass: objClassName,
  chunkSizeBytes: t.uint(1 << 30),
  rdFac: t.uint(4),
  cksum: t.literal('off', 'crc16', 'crc32', 'crc64', 'sha1', 'sha256'),
  cksumSizeBytes: t.uint(1 << 30),
  srvCksum: t.bool(),
});
export type ContProps = Infer<typeof contProps>;

export const snapshot = t.object({ name: t.str(255, 1), epoch, createdMs: t.uint() });
export type SnapshotBody = Infer<typeof snapshot>;
export const attrs = t.record(t.str(ATTR_VALUE_BYTES_MAX), ATTRS_PER_CONT_MAX, ATTR_NAME_BYTES_MAX);

const contInfo = t.object({
  uuid,
  label: t.optional(label),
  props: contProps,
  attrs,
  snapshots: t.array(snapshot, SNAPSHOTS_PER_CONT_MAX),
  createdMs: t.uint(),
});
export type ContInfo = Infer<typeof contInfo>;

const contRef = { pool: uuid, cont: poolOrContName };

export const CONT_CREATE = defineRpc(
  'cont_create',
  t.object({ pool: uuid, uuid: t.optional(uuid), label: t.optional(label), props: t.optional(t.object({
    layout: t.optional(contProps.shape.layout),
    oclass: t.optional(objClassName),
    dirOclass: t.optional(objClassName),
    fileOclass: t.optional(objClassName),
    chunkSizeBytes: t.optional(contProps.shape.chunkSizeBytes),
    rdFac: t.optional(contProps.shape.rdFac),
    cksum: t.optional(contProps.shape.cksum),
    cksumSizeBytes: t.optional(contProps.shape.cksumSizeBytes),
    srvCksum: t.optional(t.bool()),
  })), attrs: t.optional(attrs) }),
  contInfo,
);

export const CONT_QUERY = defineRpc('cont_query', t.object(contRef), contInfo);
export const CONT_LIST = defineRpc(
  'cont_list',
  t.object({ pool: uuid }),
  t.object({ containers: t.array(t.object({ uuid, label: t.optional(label) }), 1 << 16) }),
);
export const CONT_DESTROY = defineRpc('cont_destroy', t.object({ ...contRef, force: t.optional(t.bool()) }), t.object({}));

/** Hands out `count` unique 64-bit oid `lo` values starting at `first`. */
export const CONT_ALLOC_OIDS = defineRpc(
  'cont_alloc_oids',
  t.object({ ...contRef, count: t.uint(OIDS_PER_ALLOC_MAX) }),
  t.object({ first: t.uint(), count: t.uint() }),
);

/** Snapshot epoch is greater than every epoch any engine of the pool had seen when it was taken. */
export const CONT_SNAP_CREATE = defineRpc('cont_snap_create', t.object({ ...contRef, name: t.optional(t.str(255, 1)) }), snapshot);
export const CONT_SNAP_LIST = defineRpc('cont_snap_list', t.object(contRef), t.object({ snapshots: t.array(snapshot, SNAPSHOTS_PER_CONT_MAX) }));
export const CONT_SNAP_DESTROY = defineRpc(
  'cont_snap_destroy',
  t.object({ ...contRef, name: t.optional(t.str(255, 1)), epoch: t.optional(epoch) }),
  t.object({}),
);

export const CONT_SET_ATTR = defineRpc('cont_set_attr', t.object({ ...contRef, attrs }), t.object({}));
export const CONT_DEL_ATTR = defineRpc(
  'cont_del_attr',
  t.object({ ...contRef, names: t.array(t.str(ATTR_NAME_BYTES_MAX, 1), ATTRS_PER_CONT_MAX) }),
  t.object({}),
);
