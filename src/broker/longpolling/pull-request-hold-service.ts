import type { RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import type { MessageFilter } from '../../store/types.js';

export interface HeldPull {
  request: RemotingCommand;
  conn: Connection;
  suspendTimestamp: number;
  timeoutMillis: number;
  pullFromThisOffset: number;
  filter: MessageFilter;
}

/**
 * Long polling (broker/longpolling/PullRequestHoldService.java): a pull that found nothing waits
 * here until a message for its queue arrives or its suspend time passes, then is re-executed.
 */
export class PullRequestHoldService {
  private readonly held = new Map<string, HeldPull[]>();
  private timer?: NodeJS.Timeout;
  private count = 0;

  constructor(
    /** Re-runs a held pull without allowing it to be suspended again, and sends its response. */
    private readonly reExecute: (p: HeldPull) => void,
    private readonly maxOffset: (topic: string, queueId: number) => number,
    private readonly checkIntervalMs: number,
    /** Upper bound on held pulls, so a flood of consumers cannot exhaust memory. */
    private readonly maxHeld = 100_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.checkAll(), this.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get size(): number {
    return this.count;
  }

  /** False if the hold is full; the caller then answers at once. */
  suspend(topic: string, queueId: number, p: HeldPull): boolean {
    if (this.count >= this.maxHeld) return false;
    const key = `${topic}@${queueId}`;
    let list = this.held.get(key);
    if (!list) this.held.set(key, (list = []));
    list.push(p);
    this.count++;
    return true;
  }

  /** Called by the store for each dispatched message (ReputMessageService → notifyMessageArriving). */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number, tagsCode?: number, nowMs = Date.now()): void {
    const key = `${topic}@${queueId}`;
    const list = this.held.get(key);
    if (!list) return;
    const keep: HeldPull[] = [];
    for (const p of list) {
      if (p.conn.closed) {
        this.count--;
        continue;
      }
      const arrived = maxOffset > p.pullFromThisOffset && (tagsCode === undefined || p.filter.isMatchedByConsumeQueue(tagsCode));
      if (arrived || nowMs >= p.suspendTimestamp + p.timeoutMillis) {
        this.count--;
        this.reExecute(p);
      } else {
        keep.push(p);
      }
    }
    if (keep.length) this.held.set(key, keep);
    else this.held.delete(key);
  }

  private checkAll(): void {
    for (const key of [...this.held.keys()]) {
      const at = key.lastIndexOf('@');
      const topic = key.slice(0, at);
      const queueId = Number(key.slice(at + 1));
      this.notifyMessageArriving(topic, queueId, this.maxOffset(topic, queueId));
    }
  }
}
