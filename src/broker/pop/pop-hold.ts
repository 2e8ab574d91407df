import type { RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';

interface Held {
  req: RemotingCommand;
  conn: Connection;
  keys: string[];
  /** KeyBuilder#buildPollingKey (topic@group@queueId), counted by POLLING_INFO. */
  pollKey: string;
  timer: NodeJS.Timeout;
}

/**
 * Long-polled POP_MESSAGE / NOTIFICATION requests (PopLongPollingService): held while nothing is to
 * pop, woken (re-run through the dispatcher) when a message arrives on a topic they wait for, or when
 * their pollTime ends. Bounded per key (popPollingSize) and in all (maxPopPollingSize): past either
 * the request is answered POLLING_FULL.
 */
export class PopHold {
  private readonly byKey = new Map<string, Set<Held>>();
  private total = 0;

  constructor(
    private readonly wake: (conn: Connection, req: RemotingCommand) => void,
    private readonly limits: () => { perKey: number; total: number },
  ) {}

  /** Topics a held request waits on; false when full. */
  hold(req: RemotingCommand, conn: Connection, topics: string[], waitMs: number, pollKey: string): boolean {
    const { perKey, total } = this.limits();
    if (this.total >= total || topics.some((t) => (this.byKey.get(t)?.size ?? 0) >= perKey)) return false;
    const h: Held = { req, conn, keys: topics, pollKey, timer: setTimeout(() => this.release(h), Math.max(0, waitMs)) };
    h.timer.unref();
    for (const t of topics) {
      let set = this.byKey.get(t);
      if (!set) this.byKey.set(t, (set = new Set()));
      set.add(h);
    }
    this.total++;
    return true;
  }

  /** A message reached `topic`: every request waiting on it runs again. */
  notify(topic: string): void {
    const set = this.byKey.get(topic);
    if (!set) return;
    for (const h of [...set]) this.release(h);
  }

  get size(): number {
    return this.total;
  }

  /** Held requests with this polling key (POLLING_INFO); the key's topic is its first part. */
  count(pollKey: string): number {
    const topic = pollKey.slice(0, pollKey.indexOf('@'));
    let n = 0;
    for (const h of this.byKey.get(topic) ?? []) if (h.pollKey === pollKey) n++;
    return n;
  }

  private release(h: Held): void {
    clearTimeout(h.timer);
    let removed = false;
    for (const k of h.keys) {
      const set = this.byKey.get(k);
      if (set?.delete(h)) removed = true;
      if (set?.size === 0) this.byKey.delete(k);
    }
    if (!removed) return;
    this.total--;
    this.wake(h.conn, h.req);
  }

  /** Shutdown: every held request is answered now. */
  releaseAll(): void {
    const all = new Set<Held>();
    for (const set of this.byKey.values()) for (const h of set) all.add(h);
    for (const h of all) this.release(h);
  }
}
