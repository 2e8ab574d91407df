import { flushLog, log } from '../logger.js';

/**
 * SIGTERM / SIGINT for a running server: one clean shutdown (flush, unregister, ports closed) within
 * `boundMs` (the shutdownTimeoutMills key). A second signal, or the bound passing, exits at once; every
 * ending says in one line which it was, so whoever stopped the server knows whether the store was
 * closed cleanly or will be recovered at the next start.
 */
export function onSignals(stop: () => Promise<void>, boundMs: number): void {
  let stopping = false;
  const exit = (code: number): never => {
    flushLog();
    process.exit(code);
  };
  const handler = (sig: string): void => {
    if (stopping) {
      log.warn(`${sig} received again during shutdown: exiting now, shutdown not finished`);
      exit(1);
    }
    stopping = true;
    const began = Date.now();
    log.info(`${sig} received: shutting down (flush, unregister; at most shutdownTimeoutMills=${boundMs} ms, a second signal exits at once)`);
    // Not unref'd: the bound must fire even if the shutdown waits on nothing but itself.
    setTimeout(() => {
      log.error(`shutdown did not finish within shutdownTimeoutMills=${boundMs} ms: exiting now`);
      exit(1);
    }, boundMs);
    stop().then(
      () => {
        log.info(`shutdown complete in ${Date.now() - began} ms`);
        exit(0);
      },
      (e) => {
        log.error(`shutdown failed after ${Date.now() - began} ms: ${(e as Error).stack ?? e}`);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}
