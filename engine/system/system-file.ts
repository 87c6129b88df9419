/**
 * The system file: which engines (ranks) form the system and where they listen. Written by `tsdaos up`
 * (or by an operator for a multi-host system), read by engines (to reach peers), clients and CLIs.
 * Found as <data dir>/system.json, or through TSDAOS_SYSTEM naming the file.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Der, EngineError } from '../wire/errors.js';

export interface SystemEngine {
  readonly rank: number;
  /** `host:port` of the engine's HTTP/2 listener. */
  readonly address: string;
  readonly faultDomain: string;
  readonly targets: number;
  /** Storage directory of the engine (local systems). */
  readonly dir?: string;
}

export interface SystemFile {
  readonly name: string;
  readonly engines: readonly SystemEngine[];
  /** Data dir of the local cluster that wrote the file, if any. */
  readonly dataDir?: string;
  /** Pool and container `tsdaos up` created, used as CLI defaults. */
  readonly defaultPool?: string;
  readonly defaultCont?: string;
  /** Where `tsdaos up` mounted the default container. */
  readonly mountPoint?: string;
}

export const SYSTEM_FILE_NAME = 'system.json';

/** The system file path from an explicit path, TSDAOS_SYSTEM, or <dataDir>/system.json. */
export function resolveSystemFilePath(options: { systemFile?: string; dataDir?: string } = {}): string {
  if (options.systemFile !== undefined) return options.systemFile;
  const fromEnv = process.env['TSDAOS_SYSTEM'];
  if (options.dataDir === undefined && fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(options.dataDir ?? '.tsdaos', SYSTEM_FILE_NAME);
}

export function readSystemFile(path: string): SystemFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EngineError(Der.NONEXIST, `no system file at ${path} (start a cluster with 'tsdaos up' or set TSDAOS_SYSTEM): ${(error as Error).message}`);
  }
  const parsed: unknown = JSON.parse(text);
  if (!isSystemFile(parsed)) throw new EngineError(Der.INVAL, `malformed system file ${path}`);
  return parsed;
}

export function writeSystemFile(path: string, system: SystemFile): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(system, null, 2)}\n`);
  renameSync(temporary, path);
}

function isSystemFile(value: unknown): value is SystemFile {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; engines?: unknown };
  return typeof candidate.name === 'string' && Array.isArray(candidate.engines) && candidate.engines.every(isSystemEngine);
}

function isSystemEngine(value: unknown): value is SystemEngine {
  if (typeof value !== 'object' || value === null) return false;
  const engine = value as Record<string, unknown>;
  return typeof engine['rank'] === 'number' && typeof engine['address'] === 'string' &&
    typeof engine['faultDomain'] === 'string' && typeof engine['targets'] === 'number';
}
