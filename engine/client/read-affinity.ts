/**
 * Which replica of a group a client reads. DAOS starts each read at a random replica; here each client ranks
 * the engines and reads every replicated group from the best-ranked engine that holds a healthy replica of
 * it, the others in that order as fail-over:
 *   0. an engine already holding READ_SPILL_CALLS or more of this client's calls ranks below those holding
 *      fewer (one step per READ_SPILL_CALLS), so a client with many reads in flight spreads them again;
 *   1. the ranks the caller names (ConnectPoolOptions.preferRanks), in its order;
 *   2. engines on this host, reached by their UNIX sockets (no network; large reads served in place);
 *   3. the others by a rendezvous hash of the client's random seed and the rank.
 * So the reads of one client meet few engines. The reads of one request go to one engine where they can: a
 * directory's entry and its object's newest epoch, a file's size over all its groups (one collective call
 * instead of one per engine). Over many clients, whose seeds differ, every replica takes its share. With
 * several engines on one host that is what makes it cheaper: fewer processes woken per request (mdtest stat
 * through a dfuse mount with the attribute cache off, three local engines, RP_3, 2 x 2,000 items, old/new
 * alternated on fresh clusters, four rounds each: dirs 1,149-1,292 -> 1,455-1,682/s, files 1,287-1,419 ->
 * 1,425-1,779/s). Without step 0 one client's 64 RP_3G1 fetches in flight all went to one engine:
 * 50,000-55,000/s against 64,000-67,000/s spread; with it, 55,000-68,000/s.
 */
import { randomInt } from 'node:crypto';
import type { Rank } from '../pool-map/pool-map.js';
import { Der, EngineError } from '../wire/errors.js';

/** Calls in flight to one engine from which reads prefer an engine with fewer (one step per this many). */
export const READ_SPILL_CALLS = 8;
/** Groups of one batch an engine is given before the next preferred one takes a share (ReadBatch). */
export const READ_BATCH_SPILL = 64;
/** Above any hash score (32 bits): the bonus of an engine on this host. */
const LOCAL_BONUS = 2 ** 32;
/** Above local engines: the last of the caller's preferred ranks (each earlier one a step higher). */
const PREFERRED_STEP = 2 ** 40;
/** At most this many preferred ranks, so that they stay below one busy step. */
const PREFERRED_RANKS_MAX = 255;
/** Above every preferred rank: one step of calls in flight (subtracted). */
const BUSY_STEP = 2 ** 48;
/** Busy steps counted at most, so that scores stay exact doubles. */
const BUSY_STEPS_MAX = 15;

export interface ReadAffinityOptions {
  /** Ranks to read from first, best first. */
  readonly preferRanks?: readonly Rank[];
  /** Whether the engine of `rank` runs on this host (its transport reaches it by its UNIX socket). */
  readonly isLocal: (rank: Rank) => boolean;
  /** This client's calls waiting on the engine of `rank`. */
  readonly callsInFlight: (rank: Rank) => number;
  /** The rendezvous seed; default: random per client. */
  readonly seed?: number;
}

export class ReadAffinity {
  readonly #preferred: ReadonlyMap<Rank, number>;
  readonly #isLocal: (rank: Rank) => boolean;
  readonly #callsInFlight: (rank: Rank) => number;
  readonly #seed: number;
  readonly #scores = new Map<Rank, number>();

  constructor(options: ReadAffinityOptions) {
    const ranks = options.preferRanks ?? [];
    if (ranks.length > PREFERRED_RANKS_MAX) throw new EngineError(Der.INVAL, `preferRanks: at most ${PREFERRED_RANKS_MAX} ranks, got ${ranks.length}`);
    this.#preferred = new Map(ranks.map((rank, index) => [rank, PREFERRED_STEP * (ranks.length - index)]));
    this.#isLocal = options.isLocal;
    this.#callsInFlight = options.callsInFlight;
    this.#seed = (options.seed ?? randomInt(2 ** 32)) >>> 0;
  }

  /** How much this client wants to read from `rank` now: higher first. */
  preference(rank: Rank): number {
    const busy = Math.min(BUSY_STEPS_MAX, Math.floor(this.#callsInFlight(rank) / READ_SPILL_CALLS)) * BUSY_STEP;
    const preferred = this.#preferred.get(rank);
    if (preferred !== undefined) return preferred - busy;
    let score = this.#scores.get(rank);
    if (score === undefined) this.#scores.set(rank, (score = rendezvous(this.#seed, rank)));
    return (this.#isLocal(rank) ? LOCAL_BONUS + score : score) - busy;
  }
}

/**
 * The shards one request reads at once, one per group (ObjectCore.readShard with a batch): in preference order, but an engine
 * takes at most a share of the batch, the larger of READ_BATCH_SPILL and an even split over `engines`,
 * before the next preferred engine is given the next share.
 */
export class ReadBatch {
  readonly #preference: (rank: Rank) => number;
  readonly #share: number;
  readonly #picks = new Map<Rank, number>();

  /** `groups`: how many the batch reads; `engines`: how many engines the pool has. */
  constructor(preference: (rank: Rank) => number, groups: number, engines: number) {
    this.#preference = preference;
    this.#share = Math.max(READ_BATCH_SPILL, Math.ceil(groups / Math.max(1, engines)));
  }

  /** The preference of `rank` for the next pick of this batch: one busy step lower per share it already has. */
  readonly preference = (rank: Rank): number => this.#preference(rank) - Math.floor((this.#picks.get(rank) ?? 0) / this.#share) * BUSY_STEP;

  /** Counts a pick of `rank`. */
  picked(rank: Rank): void {
    this.#picks.set(rank, (this.#picks.get(rank) ?? 0) + 1);
  }
}

/** A 32-bit score of (seed, rank): murmur3's finalizer over the two mixed. */
function rendezvous(seed: number, rank: number): number {
  let h = (seed ^ Math.imul(rank + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
