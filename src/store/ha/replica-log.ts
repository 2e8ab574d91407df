/**
 * A slave's side of the log: the master's bytes are written at the master's offsets, and every record
 * they complete is dispatched as the master's own write path would (ConsumeQueue unit, index entries,
 * arrival listeners for held pulls): DefaultMessageStore#appendToCommitLog plus the ReputMessageService.
 * Queue offsets are read from the records themselves, so a slave's queues equal the master's.
 */
import { log } from '../../logger.js';
import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE, readMagic, readTotalSize } from '../../codec/message-record.js';
import type { CommitLog } from '../commit-log.js';
import type { IndexService } from '../index-service.js';
import type { QueueTable } from '../queue-table.js';
import { Redispatcher, type AddedUnit } from '../store-recovery.js';
import type { ArrivalListener } from '../types.js';

/** How much of the log one dispatch step looks at at once. */
const DISPATCH_WINDOW_BYTES = 1024 * 1024;

export interface ReplicaParts {
  commitLog: CommitLog;
  queues: QueueTable;
  index: IndexService | undefined;
  delayLevels: number[];
  listeners: readonly ArrivalListener[];
  /** Store time of the newest record now in the OS and dispatched (the checkpoint's sources). */
  onDispatched(storeTimestamp: number): void;
}

export class ReplicaLog {
  /** Next log offset to dispatch: everything before it that is a record has its unit. */
  private reputOffset = 0;
  private readonly redispatcher: Redispatcher;
  private stuckAt = -1;

  constructor(private readonly parts: ReplicaParts) {
    this.redispatcher = new Redispatcher({
      queue: (topic, queueId) => parts.queues.get(topic, queueId, true)!.cq,
      index: parts.index,
      delayLevels: parts.delayLevels,
    }, false);
  }

  /** After recovery: the log ends at a record boundary (a torn tail was cut), and all of it is dispatched. */
  start(): void {
    this.reputOffset = this.parts.commitLog.maxOffset;
  }

  get maxOffset(): number {
    return this.parts.commitLog.maxOffset;
  }

  /** Where dispatching stands: every record before it has its unit; after it a record is incomplete or bad. */
  get dispatchedTo(): number {
    return this.reputOffset;
  }

  /** The log was cut at `offset` (controller mode): dispatching goes on from there. */
  rewind(offset: number): void {
    if (this.reputOffset > offset) this.reputOffset = offset;
    this.stuckAt = -1;
  }

  /**
   * Writes the master's bytes (one frame's body, in the pieces it arrived in) at `offset`; false (nothing
   * written) when `offset` is not the log's end. `dispatch` then makes the records they completed readable:
   * the client calls it once per socket read, so the queue and index writes of several frames are one.
   */
  append(offset: number, pieces: readonly Buffer[]): boolean {
    const { commitLog } = this.parts;
    let at = offset;
    for (const p of pieces) {
      if (!commitLog.appendRaw(at, p)) return false;
      at += p.length;
    }
    // An empty slave started at the master's offset: nothing before it exists to dispatch.
    if (this.reputOffset < commitLog.minOffset) this.reputOffset = commitLog.minOffset;
    return true;
  }

  /** Dispatches every record the log now holds whole (ReputMessageService#doReput). */
  dispatch(): void {
    const { commitLog, listeners, queues } = this.parts;
    const end = commitLog.maxOffset;
    const added: AddedUnit[] = [];
    let newest = 0;
    walk: while (this.reputOffset + 8 <= end) {
      // One contiguous window (a run of the recent cache, or one file read) holds many records.
      let win = commitLog.readAvailable(this.reputOffset, DISPATCH_WINDOW_BYTES);
      let winStart = this.reputOffset;
      if (win.length < 8) win = commitLog.read(this.reputOffset, 8) ?? win;
      if (win.length < 8) {
        this.stuck(this.reputOffset, 'unreadable');
        break;
      }
      while (this.reputOffset + 8 <= end) {
        const at = this.reputOffset;
        let pos = at - winStart;
        if (pos + 8 > win.length) continue walk;
        const magic = readMagic(win, pos);
        const total = readTotalSize(win, pos);
        if (magic === BLANK_MAGIC_CODE) {
          this.reputOffset = commitLog.rollNextFile(at);
          continue walk;
        }
        if (magic !== MESSAGE_MAGIC_CODE || total <= 0 || total > commitLog.maxAppendBytes) {
          this.stuck(at, `no record header (magic 0x${(magic >>> 0).toString(16)}, size ${total})`);
          break walk;
        }
        if (at + total > end) break walk; // the rest of the record comes with the next frame
        if (pos + total > win.length) {
          // The record straddles two runs: read it whole.
          const rec = commitLog.read(at, total);
          if (!rec) {
            this.stuck(at, 'unreadable');
            break walk;
          }
          win = rec;
          winStart = at;
          pos = 0;
        }
        const unit = this.redispatcher.onRecord({ buf: win, pos, offset: at, size: total });
        if (unit === false) {
          this.stuck(at, 'its field lengths do not add up to its size');
          break walk;
        }
        if (unit) {
          added.push(unit);
          newest = unit.storeTimestamp;
        }
        this.reputOffset = at + total;
      }
    }
    if (added.length === 0) return;
    this.redispatcher.writeAndReset();
    for (const u of added) {
      const q = queues.get(u.cq.topic, u.cq.queueId, false);
      if (q && q.next < u.queueOffset + 1) q.next = u.queueOffset + 1;
    }
    this.parts.onDispatched(newest);
    for (const u of added) {
      for (const l of listeners) {
        try {
          l(u.cq.topic, u.cq.queueId, u.queueOffset + 1, u.tagsCode, u.storeTimestamp, u.size);
        } catch (e) {
          log.error(`arrival listener failed: ${(e as Error).message}`);
        }
      }
    }
  }

  /** A record the master sent that cannot be read: dispatching stops there (logged once), the bytes are kept. */
  private stuck(at: number, why: string): void {
    if (this.stuckAt === at) return;
    this.stuckAt = at;
    log.error(`replica: record at ${at} from the master is not a valid record (${why}); its queues stop there`);
  }
}
