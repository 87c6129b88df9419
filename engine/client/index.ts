/**
 * The public object-client API (the libdaos equivalent) and nothing else: pool and container handles,
 * the object API and its KV and byte-array views, transactions, list anchors, the transports, and the few wire and
 * placement types a caller needs to use them. Layers above (dfs, CLIs) import from here only.
 */
export { connectPool, PoolHandle, type ConnectPoolOptions, type PoolQuery } from './pool.js';
export { ContHandle, type ContainerCreateOptions, type ContainerSummary, type OpenContainerOptions } from './container.js';
export { ObjectHandle, type DkeyUpdate, type FetchOptions, type KeyList, type KeyValueList, type MaxKey, type PunchOptions, type UpdateOptions } from './object.js';
export type { MaxKeyQuery } from './multi-query.js';
export type { PunchManyOptions } from './multi-punch.js';
export { KvObject, KV_VALUE_AKEY, type KvKey } from './kv.js';
export { ArrayObject, ARRAY_AKEY, type ArrayExtent } from './array.js';
export { PlacedBytes, type BytesPart, type FilePart } from './placed-bytes.js';
export { chunkDkey, chunkOfDkey } from './array-math.js';
export { type ListAnchor, startAnchor } from './anchor.js';
export { clientHlc } from './clock.js';
export { Tx, type TxState, type TxUpdateOptions, type TxPunchOptions } from './tx.js';
export { TxKv } from './tx-kv.js';
export { type RunTxOptions, type TxOpenOptions, isTxRestartable } from './tx-run.js';
export { OutcomeUnknownError, type TxProtocolLimits } from './tx-protocol.js';

export type { CallOptions, RpcTransport, TransportPool } from './transport.js';
export { H2Transport, H2TransportPool } from './h2-transport.js';
export { UndiciTransport, UndiciTransportPool } from './undici-transport.js';
export { TRANSPORT_NAMES, createTransportPool, isTransportName, type TransportName } from './transport-pool.js';

export { Der, EngineError, derName, isEngineError } from '../wire/errors.js';
export { EPOCH_MAX, type Epoch } from '../wire/epoch.js';
export type { FetchIodBody, FetchValueBody, RecordMatchBody, UpdateIodBody } from '../wire/rpc/obj.js';
export type { ContInfo, ContProps, SnapshotBody } from '../wire/rpc/cont.js';
export type { PoolProps } from '../wire/rpc/pool.js';
export { ObjType, type Oid, oidFromString, oidToString, oidEquals } from '../placement/oid.js';
export type { ObjClassName } from '../placement/object-class.js';
export type { PoolMap, Rank } from '../pool-map/pool-map.js';
export { readSystemFile, resolveSystemFilePath, type SystemFile } from '../system/system-file.js';
export { mapBounded } from './bounded-parallel.js';
