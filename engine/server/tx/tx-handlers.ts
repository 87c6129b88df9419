/**
 * TX RPC handlers (engine/wire/rpc/tx.ts): TX_PREPARE, TX_DECIDE, TX_COMMIT, TX_RESOLVE, each one call of
 * TxService on the addressed local target. Only TX_PREPARE carries a pool map version (STALE when older
 * than ours): decisions and their application must go through whatever the map became meanwhile.
 */
import { TX_COMMIT, TX_DECIDE, TX_PREPARE, TX_RESOLVE } from '../../wire/rpc/tx.js';
import type { HandlerRegistry } from '../registry.js';
import type { TxService } from './tx-service.js';

export function registerTxHandlers(registry: HandlerRegistry, tx: TxService): void {
  registry.register(TX_PREPARE, async (request) => {
    await tx.prepare(request);
    return {};
  });

  registry.register(TX_DECIDE, async (request) => ({ decision: await tx.decide(request) }));

  registry.register(TX_COMMIT, async (request) => {
    await tx.commit(request);
    return {};
  });

  registry.register(TX_RESOLVE, async (request) => ({ decision: await tx.resolve(request) }));
}
