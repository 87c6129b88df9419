/**
 * Which replica of a group a client reads. DAOS starts each read at a random replica; here each client ranks
 * the engines once and reads every replicated group from the best-ranked engine that holds a healthy replica
 * of it, the others in that order as fail-over:
 *   1. the ranks the caller names (ConnectPoolOptions.preferRanks), in its order;
 *   2. engines on this host, reached by their UNIX sockets (no network; large reads served in place);
 *   3. the others by a rendezvous hash of the client's random seed and the rank.
 * So the reads of one client meet few engines. The reads of one request go to one engine where they can: a
 * directory's entry and its object's newest epoch, a file's size over all its groups (one collective call
 * instead of one per engine). Over many clients, whose seeds differ, every replica takes its share. One
 * client reading one replicated object alone no longer spreads its reads over the replicas; with several
 * engines on one host, that is what makes it cheaper (fewer processes woken per request: stat with the
 * attribute cache off, RP_3 on three local engines, 1,317-1,600 -> 1,772-1,959 stats/s, BENCHMARKS.md).
 */
import { randomInt } from 'node:crypto';
import type { Rank } from '../pool-map/pool-map.js';

/** Above any hash score (32 bits): the bonus of an engine on this host. */
const LOCAL_BONUS = 2 ** 32;
/** Above local engines: the first of the caller's preferred ranks (each next one a step lower). */
const PREFERRED_BASE = 2 ** 40;

export interface ReadAffinityOptions {
  /** Ranks to read from first, best first. */
  readonly preferRanks?: readonly Rank[];
  /** Whether the engine of `rank` runs on this host (its transport reaches it by its UNIX socket). */
  readonly isLocal: (rank: Rank) => boolean;
  /** The rendezvous seed; default: random per client. */
  readonly seed?: number;
}

export class ReadAffinity {
  readonly #preferred: ReadonlyMap<Rank, number>;
  readonly #isLocal: (rank: Rank) => boolean;
  readonly #seed: number;
  readonly #scores = new Map<Rank, number>();

  constructor(options: ReadAffinityOptions) {
    const ranks = options.preferRanks ?? [];
    this.#preferred = new Map(ranks.map((rank, index) => [rank, PREFERRED_BASE * (ranks.length - index)]));
    this.#isLocal = options.isLocal;
    this.#seed = (options.seed ?? randomInt(2 ** 32)) >>> 0;
  }

  /** How much this client wants to read from `rank`: higher first. */
  preference(rank: Rank): number {
    const preferred = this.#preferred.get(rank);
    if (preferred !== undefined) return preferred;
    let score = this.#scores.get(rank);
    if (score === undefined) this.#scores.set(rank, (score = rendezvous(this.#seed, rank)));
    return this.#isLocal(rank) ? LOCAL_BONUS + score : score;
  }
}

/** A 32-bit score of (seed, rank): murmur3's finalizer over the two mixed. */
function rendezvous(seed: number, rank: number): number {
  let h = (seed ^ Math.imul(rank + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
