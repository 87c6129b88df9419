/**
 * Public API of the versioned object store: VosTarget, the operation shapes, and VosRecord (resync).
 * Other modules import engine/vos through this file (operation.ts and record.ts are plain types and may be
 * imported directly); everything else here is internal.
 */
export { VosTarget, VOS_DATABASE_FILE } from './vos-target.js';
export type {
  AggregateOptions,
  AggregateResult,
  BatchResult,
  Extent,
  FetchIod,
  FetchOp,
  BlobPlaces,
  FetchValue,
  ListOp,
  ListResult,
  ListValuesOp,
  ListValuesResult,
  ObjectRef,
  PunchOp,
  QueryMaxOp,
  QueryMaxResult,
  UpdateIod,
  UpdateOp,
  VosLogger,
  VosOpenOptions,
  VosUsage,
} from './operation.js';
export type {
  AkeyPunchVosRecord,
  ArrayVosRecord,
  DkeyPunchVosRecord,
  ObjectPunchVosRecord,
  SingleVosRecord,
  VosRecord,
} from './record.js';
export type { Dtx } from './dtx/dtx.js';
export type {
  DtxCoordinator,
  DtxDecision,
  DtxIntent,
  DtxKeyRef,
  DtxOp,
  DtxPrepareOutcome,
  DtxPrepareRequest,
  DtxRead,
  DtxResolution,
  DtxStepHooks,
  DtxWrite,
  Txid,
} from './dtx/operation.js';
export * as vosLimits from './constants.js';
