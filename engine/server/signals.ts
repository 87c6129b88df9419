/**
 * Process signal handling for an engine process (installed by the CLI entry, never by startEngine, so
 * in-process engines in tests leave the host process alone). SIGTERM/SIGINT run the graceful close and
 * exit 0 (1 if the close failed); a second signal while closing exits 1 at once. Nothing acknowledged is
 * lost either way: acknowledgements only follow committed VOS batches.
 */
import type { Logger } from '../log.js';

export interface SignalTarget {
  readonly log: Logger;
  close(): Promise<void>;
}

export interface SignalHandlerOptions {
  readonly signals?: readonly NodeJS.Signals[];
  /** Replaces process.exit (tests). */
  readonly exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function installSignalHandlers(engine: SignalTarget, options: SignalHandlerOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => {
    // An asynchronous log destination (TSDAOS_LOG_FILE) may still hold the last lines.
    engine.log.flush();
    process.exit(code);
  });
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      engine.log.warn({ signal }, 'second signal during shutdown, exiting now');
      exit(1);
      return;
    }
    closing = true;
    engine.log.info({ signal }, 'signal received, shutting down');
    engine.close().then(
      () => exit(0),
      (error: unknown) => {
        engine.log.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
