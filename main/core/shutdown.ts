import type { Logger } from './logger';

type ShutdownSignal = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  on(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
}

/**
 * Resolves after the first SIGINT/SIGTERM has run `close` (flush, close the store). A second signal
 * while closing exits at once, for the user who really means it.
 */
export function closeOnSignals(
  close: () => Promise<void>,
  log: Logger,
  source: SignalSource = process,
  forceExit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  return new Promise((resolve, reject) => {
    let closing = false;
    const handle = (signal: ShutdownSignal) => {
      if (closing) {
        log.warn(`${signal} again: exiting without a clean shutdown`);
        forceExit(130);
        return;
      }
      closing = true;
      log.info(`${signal}: shutting down`);
      close().then(
        () => {
          source.off('SIGINT', onInt);
          source.off('SIGTERM', onTerm);
          resolve();
        },
        (error: unknown) => reject(error),
      );
    };
    const onInt = () => handle('SIGINT');
    const onTerm = () => handle('SIGTERM');
    source.on('SIGINT', onInt);
    source.on('SIGTERM', onTerm);
  });
}
