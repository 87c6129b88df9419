/**
 * The pool and container service of an engine: registers the handlers of every pool and container RPC
 * (engine/wire/rpc/pool.ts, cont.ts), the internal replication RPCs (svc.ts) and resync RPCs (resync.ts),
 * reloads this engine's replicas and hints from disk, and starts the monitor (leader health checks,
 * follower takeover). Design and invariants: README.md in this folder.
 */
import type { HandlerRegistry } from '../registry.js';
import type { EngineServices } from '../services.js';
import { registerContHandlers } from './cont-handlers.js';
import { Monitor } from './monitor.js';
import { registerPoolCreateHandlers } from './pool-create.js';
import { registerPoolHandlers } from './pool-handlers.js';
import { Reintegrator } from './reintegrate.js';
import { registerResyncHandlers } from './resync.js';
import { PoolService } from './service.js';
import { registerSnapshotHandlers } from './snapshots.js';
import { registerSvcHandlers } from './svc-handlers.js';

export interface PoolServiceHandle {
  /** Stops the monitor and new resyncs; waits for the tick in progress. */
  close(): Promise<void>;
}

export function registerPoolService(services: EngineServices, registry: HandlerRegistry): PoolServiceHandle {
  const svc = new PoolService(services);
  const reintegrator = new Reintegrator(svc);
  const monitor = new Monitor(svc, reintegrator);
  registerSvcHandlers(svc, registry);
  registerPoolCreateHandlers(svc, registry);
  registerPoolHandlers(svc, reintegrator, registry);
  registerContHandlers(svc, registry);
  registerSnapshotHandlers(svc, registry);
  registerResyncHandlers(services, svc.caller, registry);
  monitor.start();
  return {
    async close() {
      reintegrator.close();
      await monitor.close();
    },
  };
}
