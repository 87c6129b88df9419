/**
 * How every CLI finds the system and its defaults: --system FILE, else --dir DATA (system.json inside),
 * else TSDAOS_SYSTEM, else ./.tsdaos. Pool and container arguments default to the ones `tsdaos up` made.
 */
import { connectPool, type PoolHandle } from '../../engine/client/pool.js';
import { readSystemFile, resolveSystemFilePath, type SystemFile } from '../../engine/system/system-file.js';
import { type Parsed, UsageError, stringOption } from './command.js';

export function loadSystem(parsed: Parsed): SystemFile {
  return readSystemFile(resolveSystemFilePath({ systemFile: stringOption(parsed, 'system'), dataDir: stringOption(parsed, 'dir') }));
}

/** The pool named by the first positional, --pool, or the system's default. */
export function poolName(parsed: Parsed, system: SystemFile, positional?: string): string {
  const name = positional ?? stringOption(parsed, 'pool') ?? system.defaultPool;
  if (name === undefined) throw new UsageError('no pool given and the system has no default pool');
  return name;
}

export function contName(parsed: Parsed, system: SystemFile, positional?: string): string {
  const name = positional ?? stringOption(parsed, 'cont') ?? system.defaultCont;
  if (name === undefined) throw new UsageError('no container given and the system has no default container');
  return name;
}

export async function withPool<T>(system: SystemFile, pool: string, body: (handle: PoolHandle) => Promise<T>): Promise<T> {
  const handle = await connectPool({ system, pool });
  try {
    return await body(handle);
  } finally {
    await handle.disconnect();
  }
}
