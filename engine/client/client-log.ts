/**
 * The object client's default logger: one pino instance per process, created on first use, so that
 * library users who pass no logger get warnings on stderr without paying for a logger per handle.
 */
import { type Logger, createLogger } from '../log.js';

let shared: Logger | undefined;

export function defaultClientLogger(): Logger {
  shared ??= createLogger('tsdaos-client');
  return shared;
}
