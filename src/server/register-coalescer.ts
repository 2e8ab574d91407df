import { log } from '../logger.js';

/**
 * Coalesces topic changes into NameServer registrations. Each registration carries the whole topic table
 * (REGISTER_BROKER), so a heartbeat that auto-creates 2,000 %RETRY% topics over many event-loop turns
 * must not start one registration per turn: measured before this, 3 such heartbeats started 33
 * registrations of up to 6,000 topics, four being encoded at once. Here at most one runs; changes made
 * while it runs are covered by one more that starts when it ends, with the table as it is then.
 */
export class RegisterCoalescer {
  private queued = false;
  private running = false;
  private again = false;

  constructor(
    private readonly register: () => Promise<void>,
    private readonly active: () => boolean,
  ) {}

  /** A topic changed: make sure a registration that includes the change starts soon. */
  request(): void {
    if (!this.active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.queued) return;
    this.queued = true;
    // Changes made in the same turn (a batch of auto-created topics) share the registration.
    setImmediate(() => {
      this.queued = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (!this.active()) return;
    this.running = true;
    try {
      await this.register();
    } catch (e) {
      // A refusal or an unreachable NameServer is logged inside; this is anything else. The periodic
      // registration tries again either way.
      log.error(`broker: registration with the name servers failed: ${(e as Error).stack ?? e}`);
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }
}
