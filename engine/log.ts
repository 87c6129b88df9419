/**
 * Structured logging (pino) for every process of the object layer. Level from TSDAOS_LOG_LEVEL
 * (default: info for servers, warn for library/client use); output is JSON lines on stderr, or to
 * TSDAOS_LOG_FILE when set, so stdout stays free for CLI output.
 */
import pino from 'pino';

export type { Logger } from 'pino';

export function createLogger(name: string, defaults: { level?: string; bindings?: Record<string, unknown> } = {}): pino.Logger {
  const level = process.env['TSDAOS_LOG_LEVEL'] ?? defaults.level ?? 'warn';
  const file = process.env['TSDAOS_LOG_FILE'];
  const destination = file !== undefined && file !== '' ? pino.destination({ dest: file, sync: false, mkdir: true }) : pino.destination(2);
  return pino({ name, level, base: { pid: process.pid, ...defaults.bindings } }, destination);
}
