/**
 * The punches of removed entries' objects, done after the remove has answered. Remove (and rename over an
 * entry) punches the entry first; its object is then unreachable by name, so punching it need not hold the
 * caller up. The reaper gathers the objects of REAP_DELAY_MS and punches them together, in one RPC per engine
 * (ContHandle.punchMany; the engines' batchers fold the shard punches into one store transaction per target),
 * and only on the shards that hold something of their object (ifStored: an SX file is 12 shards on 12
 * targets, a small one has its bytes on one). Should the batch fail, its objects are punched one by one.
 * Failure model, as before (dir.ts): a crash, or a punch that keeps failing, leaks the object (logged with its
 * oid); never an entry without its object. drain() waits for everything queued so far; unmount drains.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ContHandle, Der, type Oid, isEngineError, mapBounded, oidToString } from '../engine/client/index.js';
import type { Logger } from '../engine/log.js';
import { REAP_ATTEMPTS_MAX, REAP_BATCH_MAX, REAP_DELAY_MS, REAP_IN_FLIGHT_MAX, REAP_RETRY_MS } from './constants.js';

/** Failures a later attempt may not meet (the client's own retries already ran); others are logged at once. */
const TRANSIENT: readonly Der[] = [Der.UNREACH, Der.TIMEDOUT, Der.BUSY, Der.AGAIN, Der.INPROGRESS, Der.SHUTDOWN, Der.STALE];

export class ObjectReaper {
  readonly #cont: ContHandle;
  readonly #log: Logger;
  #queued: Oid[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The pass under way (or undefined); drain() chains on it. */
  #pass: Promise<void> | undefined;

  constructor(cont: ContHandle, log: Logger) {
    this.#cont = cont;
    this.#log = log;
  }

  /** Queues `oid` for a punch within REAP_DELAY_MS. */
  punch(oid: Oid): void {
    this.#queued.push(oid);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, REAP_DELAY_MS);
  }

  /** Resolves once every object queued before the call has been punched (or given up on, and logged). */
  async drain(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#run();
    }
    while (this.#pass !== undefined) await this.#pass;
  }

  /** One pass over what is queued; passes run one at a time (a pass started meanwhile waits for this one). */
  #run(): Promise<void> {
    const previous = this.#pass;
    const pass = (async () => {
      if (previous !== undefined) await previous;
      const oids = this.#queued;
      this.#queued = [];
      for (let first = 0; first < oids.length; first += REAP_BATCH_MAX) await this.#punchBatch(oids.slice(first, first + REAP_BATCH_MAX));
    })();
    this.#pass = pass;
    void pass.finally(() => {
      if (this.#pass === pass) this.#pass = undefined;
    });
    return pass;
  }

  /** Punches a batch of objects together; should that fail, one by one. Never rejects. */
  async #punchBatch(oids: readonly Oid[]): Promise<void> {
    try {
      await this.#cont.punchMany(oids, { ifStored: true });
    } catch (error) {
      this.#log.debug({ objects: oids.length, err: error }, 'batch punch failed; punching the objects one by one');
      await mapBounded(oids, REAP_IN_FLIGHT_MAX, (oid) => this.#punchOne(oid));
    }
  }

  /** Punches one object, retrying transient engine errors a few times; never rejects. */
  async #punchOne(oid: Oid): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#cont.object(oid).punch();
        return;
      } catch (error) {
        if (TRANSIENT.some((der) => isEngineError(error, der)) && attempt < REAP_ATTEMPTS_MAX) {
          await sleep(REAP_RETRY_MS * attempt);
          continue;
        }
        this.#log.error({ oid: oidToString(oid), err: error }, 'removed object not punched: its space leaks');
        return;
      }
    }
  }
}
