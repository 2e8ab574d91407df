/**
 * Making the store durable (FlushRealTimeService, FlushConsumeQueueService, StoreCheckpoint): the
 * periodic CommitLog sync under ASYNC_FLUSH, the periodic sync of ConsumeQueues and index, and the
 * checkpoint that records the store times known durable (physic, logics, index). Every CommitLog
 * sync goes through group commit, which keeps the flushed offset.
 */
import { log } from '../logger.js';
import type { CommitLog } from './commit-log.js';
import { GroupCommit } from './group-commit.js';
import type { IndexService } from './index-service.js';
import type { QueueTable } from './queue-table.js';
import { StoreCheckpoint } from './store-checkpoint.js';
import type { StoreFiles } from './store-files.js';

export interface FlushParts {
  files: StoreFiles;
  rootDir: string;
  commitLog: CommitLog;
  queues: QueueTable;
  index: IndexService | undefined;
  syncFlushTimeoutMs: number;
  /** Store time of the newest record in the OS: durable once the next CommitLog sync succeeds. */
  lastWrittenTimestamp: () => number;
  /** Store time of the newest record dispatched to a ConsumeQueue. */
  lastDispatchedTimestamp: () => number;
}

export class StoreFlusher {
  readonly groupCommit: GroupCommit;
  /** Set when the CommitLog could not be made durable: writes are refused until restart. */
  ioError: string | undefined;
  private checkpointFile: StoreCheckpoint | undefined;
  private flushingLog: Promise<void> | undefined;
  private flushingQueues: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly parts: FlushParts) {
    this.groupCommit = new GroupCommit(() => this.syncCommitLog(), parts.syncFlushTimeoutMs);
  }

  /** Reads the `checkpoint` file (start-up; the store root exists by then). */
  openCheckpoint(): StoreCheckpoint {
    this.checkpointFile = new StoreCheckpoint(this.parts.files, this.parts.rootDir);
    return this.checkpointFile;
  }

  private get checkpoint(): StoreCheckpoint {
    if (!this.checkpointFile) throw new Error('store checkpoint not opened');
    return this.checkpointFile;
  }

  /** No more periodic queue flushes (shutting down: the last flush is explicit). */
  stop(): void {
    this.stopped = true;
  }

  /** FlushRealTimeService: one fdatasync per interval when anything was written. */
  flushLog(): void {
    if (this.flushingLog || this.parts.commitLog.maxOffset === this.groupCommit.flushedOffset) return;
    this.flushingLog = this.syncLog()
      .then(() => undefined, (e) => log.error(`commitlog flush failed: ${(e as Error).message}`))
      .finally(() => {
        this.flushingLog = undefined;
      });
  }

  /** FlushConsumeQueueService: sync the queues, then record the durable points in the checkpoint. */
  flushQueues(): void {
    if (this.flushingQueues || this.stopped) return;
    this.flushingQueues = this.flushQueuesNow()
      .catch((e) => log.error(`consumequeue flush failed: ${(e as Error).message}`))
      .finally(() => {
        this.flushingQueues = undefined;
      });
  }

  /** Waits for the group commit and a periodic log or queue flush in progress. */
  async drain(): Promise<void> {
    await this.groupCommit.drain();
    while (this.flushingLog) await this.flushingLog;
    while (this.flushingQueues) await this.flushingQueues;
  }

  async flushQueuesNow(complete = false): Promise<void> {
    const { queues, index } = this.parts;
    const logicsTs = this.parts.lastDispatchedTimestamp();
    const indexTs = index?.lastProcessedTimestamp ?? 0;
    // Units whose write failed (no space) are retried here too, not only when the next send arrives.
    let unwritten = 0;
    for (const q of queues.all()) {
      if (!q.cq.hasPendingUnits()) continue;
      try {
        q.cq.writePending();
      } catch {
        unwritten++;
      }
    }
    await Promise.all([...[...queues.all()].map((q) => q.cq.sync()), index?.flush(complete)]);
    // The checkpoint must not claim queues are complete past units still missing from their files:
    // crash recovery re-dispatches only from the checkpoint on.
    const checkpoint = this.checkpoint;
    if (unwritten === 0 && logicsTs > checkpoint.logicsMsgTimestamp) checkpoint.logicsMsgTimestamp = logicsTs;
    if (indexTs > checkpoint.indexMsgTimestamp) checkpoint.indexMsgTimestamp = indexTs;
    await checkpoint.flush();
    if (unwritten > 0) throw new Error(`${unwritten} consume queues could not write their units`);
  }

  /**
   * After the log was cut at `offset`: nothing past it is durable, and the checkpoint's durable points go
   * back to `storeTimestamp` (no newer than any record kept), so a crash recovery scans from before the cut.
   * Then the log, the queues, the index and the checkpoint are made durable as they now are.
   */
  async afterCut(offset: number, storeTimestamp: number): Promise<void> {
    this.groupCommit.cutTo(offset);
    const cp = this.checkpoint;
    cp.physicMsgTimestamp = Math.min(cp.physicMsgTimestamp, storeTimestamp);
    cp.logicsMsgTimestamp = Math.min(cp.logicsMsgTimestamp, storeTimestamp);
    cp.indexMsgTimestamp = Math.min(cp.indexMsgTimestamp, storeTimestamp);
    await this.syncLog();
    await this.flushQueuesNow(true);
  }

  /** Syncs the CommitLog through group commit, which advances the flushed offset. */
  syncLog(): Promise<number> {
    return this.groupCommit.sync();
  }

  /** The sync itself: on success the checkpoint's physic timestamp moves; on failure writes stop until restart. */
  private async syncCommitLog(): Promise<number> {
    const ts = this.parts.lastWrittenTimestamp();
    let upTo: number;
    try {
      upTo = await this.parts.commitLog.sync();
    } catch (e) {
      // After a failed fdatasync the kernel may have dropped the dirty pages and a later sync can
      // succeed over the hole: acknowledging more sends could hide a loss. Stop writing until restart.
      this.ioError ??= `commitlog fdatasync failed: ${(e as Error).message}`;
      log.error(`store: ${this.ioError}; refusing writes until restart`);
      throw e;
    }
    if (ts > this.checkpoint.physicMsgTimestamp) this.checkpoint.physicMsgTimestamp = ts;
    return upTo;
  }

  close(): void {
    this.checkpointFile?.close();
  }
}
