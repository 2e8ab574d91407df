import { log } from '../logger.js';
import type { PutMessageResult, PutMessageStatus } from './types.js';

/** A send waiting for durability: its result, and how to deliver it. */
export interface FlushWaiter {
  resolve: (r: PutMessageResult) => void;
  result: PutMessageResult;
}

/**
 * SYNC_FLUSH group commit (GroupCommitService): senders waiting for durability share one
 * fdatasync; each waits at most syncFlushTimeout, then is told FLUSH_DISK_TIMEOUT (its message is
 * stored, just not known durable — as the Java broker reports it).
 *
 * Every CommitLog sync goes through `sync()` (the periodic flush and shutdown too), so the flushed
 * offset is kept here alone and only moves forward.
 */
export class GroupCommit {
  private flushed = 0;
  private queue: { waiters: FlushWaiter[]; upTo: number; deadline: number }[] = [];
  private syncing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly syncLog: () => Promise<number>,
    private readonly syncFlushTimeoutMs: number,
  ) {}

  /** How far the CommitLog is known durable. */
  get flushedOffset(): number {
    return this.flushed;
  }

  /** Syncs the CommitLog now; resolves with the offset that is durable. */
  async sync(): Promise<number> {
    const durable = await this.syncLog();
    if (durable > this.flushed) this.flushed = durable;
    return durable;
  }

  /** Acknowledges `waiters` once the log is durable up to `upTo`, or with FLUSH_DISK_TIMEOUT at the deadline. */
  add(waiters: FlushWaiter[], upTo: number): void {
    this.queue.push({ waiters, upTo, deadline: Date.now() + this.syncFlushTimeoutMs });
    this.armTimer();
    if (!this.syncing) this.syncing = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length) {
        try {
          await this.sync();
        } catch (e) {
          log.error(`commitlog fdatasync failed: ${(e as Error).message}`);
          this.settle('FLUSH_DISK_TIMEOUT', Infinity);
          break;
        }
        while (this.queue.length && this.queue[0].upTo <= this.flushed) {
          for (const w of this.queue.shift()!.waiters) w.resolve(w.result);
        }
      }
    } finally {
      this.syncing = undefined;
    }
  }

  private settle(status: PutMessageStatus, before: number): void {
    while (this.queue.length && this.queue[0].deadline <= before) {
      for (const w of this.queue.shift()!.waiters) w.resolve({ ...w.result, status });
    }
  }

  private armTimer(): void {
    if (this.timer || !this.queue.length) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.settle('FLUSH_DISK_TIMEOUT', Date.now());
      this.armTimer();
    }, Math.max(1, this.queue[0].deadline - Date.now()));
    this.timer.unref();
  }

  /**
   * The log was cut at `offset` (controller-mode truncation): durability is known only up to there again,
   * and a send still waiting for bytes past it will never have them: it is answered UNKNOWN_ERROR.
   */
  cutTo(offset: number): void {
    if (this.flushed > offset) this.flushed = offset;
    const lost = this.queue.filter((q) => q.upTo > offset);
    this.queue = this.queue.filter((q) => q.upTo <= offset);
    for (const q of lost) for (const w of q.waiters) w.resolve({ ...w.result, status: 'UNKNOWN_ERROR', remark: `log truncated at ${offset}` });
  }

  async drain(): Promise<void> {
    while (this.syncing) await this.syncing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
