/**
 * How long the kernel and dfuse may trust what they saw (DAOS dfuse caching, DAOS_REFERENCE §4.2): from
 * the container's `dfuse-*` attributes, each overridable on the command line, `--disable-caching`
 * turning all off. As in DAOS, when any attribute is set the unset ones become 0/off (dentry-dir falls
 * back to dentry); with none set the DAOS defaults apply. Durations are seconds or a number with
 * s/m/h/d.
 */

export const CACHE_ATTRIBUTES = ['dfuse-attr-time', 'dfuse-dentry-time', 'dfuse-dentry-dir-time', 'dfuse-ndentry-time', 'dfuse-data-cache'] as const;
export type CacheAttribute = (typeof CACHE_ATTRIBUTES)[number];

export interface CachePolicy {
  /** Kernel attribute timeout, and how long dfuse answers getattr from the last stat it sent. */
  readonly attrSeconds: number;
  /** Kernel entry timeout; how long dfuse trusts a looked-up file name. */
  readonly dentrySeconds: number;
  /** How long dfuse trusts a looked-up directory name (libfuse2 has one kernel entry timeout). */
  readonly dentryDirSeconds: number;
  /** Kernel negative-lookup timeout. */
  readonly negativeSeconds: number;
  /** Page cache: kept across opens while mtime and size are unchanged, or off (direct I/O). */
  readonly dataCache: 'auto' | 'off';
}

export const DEFAULT_POLICY: CachePolicy = {
  attrSeconds: 1, dentrySeconds: 1, dentryDirSeconds: 5, negativeSeconds: 1, dataCache: 'auto',
};

export const NO_CACHING: CachePolicy = {
  attrSeconds: 0, dentrySeconds: 0, dentryDirSeconds: 0, negativeSeconds: 0, dataCache: 'off',
};

/** Command-line overrides: the same names as the attributes without `dfuse-` and with --. */
export type CacheOverrides = Partial<Record<CacheAttribute, string>>;

export class CachePolicyError extends Error {
  override name = 'CachePolicyError';
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** "30", "30s", "5m", "1h", "2d" → seconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim().toLowerCase());
  if (match === null) throw new CachePolicyError(`${what}: not a duration: ${JSON.stringify(text)} (seconds, or a number with s/m/h/d)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

/**
 * dfuse-data-cache: on/true (kept forever), off/false, a duration, or otoc (only while open). libfuse2's
 * high-level API sets page-cache policy per mount, not per open, so every value except off maps to
 * auto_cache: pages are kept while the file's mtime and size are unchanged, which is what a timeout
 * or open-to-close would give a single writer.
 */
function parseDataCache(text: string): 'auto' | 'off' {
  const value = text.trim().toLowerCase();
  if (value === 'off' || value === 'false') return 'off';
  if (value === 'on' || value === 'true' || value === 'otoc') return 'auto';
  return parseDuration(value, 'dfuse-data-cache') > 0 ? 'auto' : 'off';
}

/** The policy from container attributes, then command-line overrides, then --disable-caching. */
export function cachePolicy(attrs: Readonly<Record<string, string>>, overrides: CacheOverrides, disableCaching: boolean): CachePolicy {
  if (disableCaching) return NO_CACHING;
  const merged: CacheOverrides = {};
  for (const name of CACHE_ATTRIBUTES) {
    const value = overrides[name] ?? attrs[name];
    if (value !== undefined) merged[name] = value;
  }
  if (Object.keys(merged).length === 0) return DEFAULT_POLICY;
  const seconds = (name: CacheAttribute): number => (merged[name] === undefined ? 0 : parseDuration(merged[name]!, name));
  return {
    attrSeconds: seconds('dfuse-attr-time'),
    dentrySeconds: seconds('dfuse-dentry-time'),
    dentryDirSeconds: merged['dfuse-dentry-dir-time'] === undefined ? seconds('dfuse-dentry-time') : seconds('dfuse-dentry-dir-time'),
    negativeSeconds: seconds('dfuse-ndentry-time'),
    dataCache: merged['dfuse-data-cache'] === undefined ? 'off' : parseDataCache(merged['dfuse-data-cache']),
  };
}
