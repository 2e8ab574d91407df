import { flushLog, log } from '../logger.js';

/**
 * SIGTERM / SIGINT for the CLI's server: one clean shutdown (flush, unregister, ports closed) within a
 * bound (the shutdownTimeoutMills key). A second signal, or the bound passing, exits at once; every ending
 * says in one line which it was, so whoever stopped the server knows whether the store was closed cleanly
 * or will be recovered at the next start.
 *
 * The handlers are installed before the server starts: a script that sends SIGTERM as soon as it reads
 * the ready line would otherwise reach the process before its handler and kill it uncleanly. A signal
 * during start-up is held until the server is up (`ready`), then served like any other.
 */
export class SignalGate {
  private stop?: () => Promise<void>;
  private boundMs: number;
  private pending?: string;
  private stopping = false;

  constructor(defaultBoundMs: number) {
    this.boundMs = defaultBoundMs;
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
    process.on('SIGINT', () => this.onSignal('SIGINT'));
  }

  /** The server is up: `stop` shuts it down, within `boundMs`. Serves a signal that came during start-up. */
  ready(stop: () => Promise<void>, boundMs: number): void {
    this.stop = stop;
    this.boundMs = boundMs;
    if (this.pending !== undefined) this.begin(this.pending);
  }

  private onSignal(sig: string): void {
    if (this.stopping || this.pending !== undefined) {
      log.warn(`${sig} received again during shutdown: exiting now, shutdown not finished`);
      this.exit(1);
    }
    if (this.stop) {
      this.begin(sig);
      return;
    }
    this.pending = sig;
    log.info(`${sig} received during start-up: shutting down once started (a second signal exits at once)`);
    this.armBound();
  }

  private begin(sig: string): void {
    const stop = this.stop as () => Promise<void>;
    const began = Date.now();
    log.info(`${sig} received: shutting down (flush, unregister; at most shutdownTimeoutMills=${this.boundMs} ms, a second signal exits at once)`);
    if (this.pending === undefined) this.armBound();
    this.stopping = true;
    this.pending = undefined;
    stop().then(
      () => {
        log.info(`shutdown complete in ${Date.now() - began} ms`);
        this.exit(0);
      },
      (e) => {
        log.error(`shutdown failed after ${Date.now() - began} ms: ${(e as Error).stack ?? e}`);
        this.exit(1);
      },
    );
  }

  private armBound(): void {
    const boundMs = this.boundMs;
    // Not unref'd: the bound must fire even if the shutdown waits on nothing but itself.
    setTimeout(() => {
      log.error(`shutdown did not finish within shutdownTimeoutMills=${boundMs} ms: exiting now`);
      this.exit(1);
    }, boundMs);
  }

  private exit(code: number): never {
    flushLog();
    process.exit(code);
  }
}
