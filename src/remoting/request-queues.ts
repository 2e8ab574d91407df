import { performance } from 'node:perf_hooks';
import type { RemotingCommand } from './command.js';
import type { Connection } from './connection.js';

/**
 * Overload control for a server on one event loop, in the shape of the Java broker's thread pools:
 * request codes belong to a family (send, pull, heartbeat, ...), each with a bounded queue.
 *
 * A request runs at once while its family's queue is empty and the current event-loop turn has not
 * yet spent its budget (requestTurnBudgetMills) on requests; otherwise it waits in the queue, and the
 * queues are served on later turns, a budget's worth per turn, one request of each family in turn.
 * So a burst (thousands of frames in one read) or slow requests cannot keep the loop from the store's
 * write, timers and other sockets for long, and what waits is counted and bounded:
 *   - a full queue refuses at the door: SYSTEM_BUSY "[OVERLOAD]..." (NettyRemotingAbstract when the
 *     pool rejects the task);
 *   - a family may refuse at the door while its resource is stuck ("[REJECTREQUEST]...", the send
 *     processor's rejectRequest when the page cache is busy), and then its queued requests are refused
 *     as they come up ("[PCBUSY_CLEAN_QUEUE]...");
 *   - with fast failure on, a request that waited longer than its family's wait time behind requests of
 *     its own family is refused when it comes up ("[TIMEOUT_CLEAN_QUEUE]...",
 *     BrokerFastFailure#cleanExpiredRequestInQueue).
 */
export interface FamilySpec<Ctx> {
  /** Most requests waiting (read on each use: UPDATE_BROKER_CONFIG may change it). */
  capacity: (ctx: Ctx) => number;
  /** Longest wait before a queued request is refused; undefined: never (no fast failure for the family). */
  maxWaitMs?: (ctx: Ctx) => number | undefined;
  /** True while the family's resource is stuck: new requests are refused, queued ones cleaned out. */
  busy?: (ctx: Ctx) => boolean;
}

export interface Queued<E> {
  conn: Connection;
  request: RemotingCommand;
  entry: E;
  /** performance.now() when it was queued. */
  at: number;
  /**
   * performance.now() when it became the first of its queue (set by the queue): from `at` to here it
   * waited behind requests of its own family, from here on only for the loop to come round.
   */
  headAt?: number;
}

/** What the queue-backed dispatcher does with a request that comes up. */
export type Refusal = { kind: 'timeout' | 'pcbusy'; waitedMs: number; sizeAfter: number };

/** A FIFO with O(1) shift, compacted now and then so a long-lived queue does not keep its history. */
export class FamilyQueue<Ctx, E> {
  private items: Array<Queued<E> | undefined> = [];
  private head = 0;
  /** Requests refused at the door because the queue was full, since start. */
  overloaded = 0;

  constructor(
    readonly name: string,
    readonly spec: FamilySpec<Ctx>,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** How long the oldest queued request has waited (0 when empty). */
  headWaitMs(now = performance.now()): number {
    const first = this.items[this.head];
    return first ? Math.max(0, Math.round(now - first.at)) : 0;
  }

  push(q: Queued<E>): void {
    if (this.size === 0) q.headAt = q.at;
    this.items.push(q);
  }

  shift(): Queued<E> | undefined {
    if (this.head >= this.items.length) return undefined;
    const q = this.items[this.head];
    this.items[this.head++] = undefined;
    const next = this.items[this.head];
    if (next) next.headAt = performance.now();
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return q;
  }
}

/**
 * The current event-loop turn's request budget, shared by every dispatcher of the process (the
 * NameServer and the broker share one loop in standalone mode). A turn starts with the first request
 * handled after the previous turn ended, and ends at the next check phase (setImmediate).
 */
let turnStart = -1;
const endTurn = (): void => {
  turnStart = -1;
};

/** Whether a request may still run inside the current turn; starts a turn if none is open. */
export function turnHasBudget(now: number, budgetMs: number): boolean {
  if (turnStart < 0) {
    turnStart = now;
    setImmediate(endTurn);
  }
  return now - turnStart < budgetMs;
}

/**
 * Serves the queues of one dispatcher: schedules itself on the check phase while anything waits and
 * runs up to a budget's worth per turn, round-robin over the families.
 */
export class QueueDrainer<Ctx, E> {
  private scheduled = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly families: ReadonlyArray<FamilyQueue<Ctx, E>>,
    private readonly budgetMs: () => number,
    private readonly fastFailure: () => boolean,
    private readonly run: (q: Queued<E>) => void,
    private readonly refuse: (q: Queued<E>, why: Refusal) => void,
  ) {}

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const start = performance.now();
    const budget = this.budgetMs();
    let pending = true;
    while (pending) {
      pending = false;
      for (const fam of this.families) {
        const q = fam.shift();
        if (!q) continue;
        if (fam.size) pending = true;
        if (q.conn.closed) continue; // nobody to answer: skip the work
        this.serve(fam, q);
        if (performance.now() - start >= budget) {
          if (this.families.some((f) => f.size > 0)) this.schedule();
          return;
        }
      }
    }
  };

  private serve(fam: FamilyQueue<Ctx, E>, q: Queued<E>): void {
    const now = performance.now();
    const waitedMs = Math.round(now - q.at);
    if (fam.spec.busy?.(this.ctx)) {
      this.refuse(q, { kind: 'pcbusy', waitedMs, sizeAfter: fam.size });
      return;
    }
    // Fast failure sheds a backlog of the family's own requests (BrokerFastFailure: the pool's queue).
    // On one event loop a request with none ahead of it can also wait because other work held the loop
    // (a large heartbeat, a state file written, a collection); refusing it would not shorten anything,
    // so only the time it spent behind its own family counts.
    const maxWait = this.fastFailure() ? fam.spec.maxWaitMs?.(this.ctx) : undefined;
    if (maxWait !== undefined && (q.headAt ?? now) - q.at >= maxWait) {
      this.refuse(q, { kind: 'timeout', waitedMs, sizeAfter: fam.size });
      return;
    }
    this.run(q);
  }
}
