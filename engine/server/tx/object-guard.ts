/**
 * The transaction rules as object I/O sees them (README "Reads" and "Non-transactional writes"). Each
 * object RPC runs as one batch work that first checks the target's DTX state and then does the I/O, so the
 * check and the I/O are atomic with respect to prepares and commits on the same target:
 *   - reads meeting another transaction's intent at or below their epoch ask its coordinator: decided ->
 *     the decision is applied and the read tried again; undecided or unreachable -> DER_INPROGRESS.
 *     Reads carrying `tx` record their read timestamp; their own transaction's intents are ignored.
 *     A read without `tx` writes nothing, so it runs at once, outside any batch: the engine is one thread
 *     and a batch runs synchronously, so the check and the read still see one state, and the read pays
 *     neither a wait for the next batch nor a transaction (BEGIN, savepoint, COMMIT) of its own.
 *   - non-transactional writes below a transactional read -> DER_TX_RESTART; meeting an intent -> settled
 *     as for reads, else DER_INPROGRESS (the client retries).
 */
import type { DtxIntent, DtxRead, DtxWrite, VosTarget } from '../../vos/index.js';
import { Der, EngineError, isEngineError } from '../../wire/errors.js';
import type { Batcher } from '../batcher.js';
import type { MaybeAsync } from '../maybe-async.js';
import { TX_BLOCKER_RESOLVE_ATTEMPTS_MAX } from './constants.js';
import type { TxMetrics } from './tx-metrics.js';
import type { TxService } from './tx-service.js';

export interface ObjectGuardDeps {
  readonly batcher: Batcher;
  readonly tx: TxService;
  readonly metrics: TxMetrics;
}

/** The local target an object RPC addresses. */
export interface GuardTarget {
  readonly pool: string;
  readonly vos: VosTarget;
}

type Guarded<T> = { readonly blocker: DtxIntent } | { readonly blocker: undefined; readonly value: T };

/**
 * Runs `read` on the target once no undecided intent of another transaction is in its way. A read without
 * `tx` that meets no intent is answered at once, not as a promise: most reads cost no promise hop here.
 */
export function guardedRead<T>(deps: ObjectGuardDeps, target: GuardTarget, read: DtxRead, run: () => T): MaybeAsync<T> {
  const { vos } = target;
  const work = (): Guarded<T> => {
    const blocker = vos.dtx.readBlocker(read);
    if (blocker !== undefined) return { blocker };
    vos.dtx.recordRead(read);
    return { blocker: undefined, value: run() };
  };
  if (read.tx !== undefined) return runGuarded(deps, target, work);
  const first = work();
  // Blocked: settle the blocker and read again (a read without tx recorded nothing, so it may run twice).
  return first.blocker === undefined ? first.value : runGuarded(deps, target, work, runAtOnce);
}

/** Runs a work that writes nothing right away (see the file comment); its errors reject the promise. */
function runAtOnce<T>(work: () => Guarded<T>): Promise<Guarded<T>> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs a non-transactional `write` on the target once no intent is in its way. */
export async function guardedWrite<T>(deps: ObjectGuardDeps, target: GuardTarget, write: DtxWrite, run: () => T): Promise<T> {
  const { vos } = target;
  try {
    return await runGuarded(deps, target, (): Guarded<T> => {
      vos.dtx.checkWriteStamps(write);
      const blocker = vos.dtx.writeBlocker(write);
      if (blocker !== undefined) return { blocker };
      return { blocker: undefined, value: run() };
    });
  } catch (error) {
    if (isEngineError(error, Der.TX_RESTART)) deps.metrics.restarts += 1;
    throw error;
  }
}

/** Runs `work` (in the target's next batch unless `submit` says otherwise) until no intent blocks it. */
async function runGuarded<T>(
  deps: ObjectGuardDeps,
  target: GuardTarget,
  work: () => Guarded<T>,
  submit: (work: () => Guarded<T>) => Promise<Guarded<T>> = (batchWork) => deps.batcher.submit(target.vos, batchWork),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await submit(work);
    if (outcome.blocker === undefined) return outcome.value;
    const txid = outcome.blocker.txid.toString('hex');
    if (attempt >= TX_BLOCKER_RESOLVE_ATTEMPTS_MAX) {
      throw new EngineError(Der.INPROGRESS, `transaction ${txid} keeps preparing on this key`);
    }
    const resolution = await deps.tx.settle(target.pool, target.vos, outcome.blocker, { abortIfUndecided: false, source: 'request' })
      .catch((error: unknown) => {
        // Coordinator unreachable: the client retries on INPROGRESS; the resolver keeps asking meanwhile.
        throw new EngineError(Der.INPROGRESS, `transaction ${txid}: coordinator not reachable (${(error as Error).message})`);
      });
    if (resolution === 'undecided') throw new EngineError(Der.INPROGRESS, `transaction ${txid} is prepared and undecided`);
  }
}
