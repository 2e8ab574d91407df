/**
 * A slave's side of the log: the master's bytes are written at the master's offsets, and every record
 * they complete is dispatched as the master's own write path would (ConsumeQueue unit, index entries,
 * arrival listeners for held pulls): DefaultMessageStore#appendToCommitLog plus the ReputMessageService.
 * Queue offsets are read from the records themselves, so a slave's queues equal the master's. In controller
 * mode it dispatches only up to the confirm offset the master last sent (`bound`), as the 5.3.3 reput does
 * with readUnCommitted=false: a record not on every in-sync replica may be cut by the next failover.
 */
import { log } from '../../logger.js';
import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE, readMagic, readTotalSize, recordSpans } from '../../codec/message-record.js';
import type { CommitLog } from '../commit-log.js';
import type { IndexService } from '../index-service.js';
import type { QueueTable } from '../queue-table.js';
import type { Dispatch } from '../held-dispatches.js';
import { Redispatcher, type AddedUnit, type RecordOptions, type ScannedRecord } from '../store-recovery.js';
import type { ArrivalListener } from '../types.js';

/** How much of the log one dispatch step looks at at once. */
const DISPATCH_WINDOW_BYTES = 1024 * 1024;
/** A record this broker wrote as master (or recovered): its index entries exist. One object, not one per record. */
const INDEXED: RecordOptions = { indexed: true };

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
  /**
   * Dispatching stops at a record ending past this (controller mode: the master's confirm offset, as the
   * slave last heard it; AutoSwitchService sets it). 4.x replication dispatches whatever arrives.
   */
  bound = Number.MAX_SAFE_INTEGER;
  /** Records before this have their index entries (written here as master, or recovered). */
  private indexedTo = 0;
  private readonly redispatcher: Redispatcher;
  private stuckAt = -1;

  constructor(private readonly parts: ReplicaParts) {
    this.redispatcher = new Redispatcher({
      queue: (topic, queueId) => parts.queues.get(topic, queueId, true)!.cq,
      index: parts.index,
      delayLevels: parts.delayLevels,
    }, false);
  }

  /**
   * After recovery (the log ends at a record boundary, a torn tail was cut, and all of it is dispatched), or
   * when a controller-mode master becomes slave: its units held for the confirm offset begin at `from`.
   */
  start(from = this.parts.commitLog.maxOffset): void {
    this.reputOffset = from;
    this.indexedTo = this.parts.commitLog.maxOffset;
    this.stuckAt = -1;
  }

  get maxOffset(): number {
    return this.parts.commitLog.maxOffset;
  }

  /** Where dispatching stands: every record before it has its unit; after it a record is incomplete, bad or unconfirmed. */
  get dispatchedTo(): number {
    return this.reputOffset;
  }

  /** The log was cut at `offset` (controller mode): dispatching goes on from there. */
  rewind(offset: number): void {
    if (this.reputOffset > offset) this.reputOffset = offset;
    if (this.indexedTo > offset) this.indexedTo = offset;
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

  /**
   * Dispatches every record the log now holds whole, up to `bound` (ReputMessageService#doReput up to
   * getReputEndOffset: a controller-mode slave stops at the master's confirm offset).
   */
  dispatch(): void {
    const { listeners, queues } = this.parts;
    const added: AddedUnit[] = [];
    let newest = 0;
    this.reputOffset = this.walk(this.reputOffset, this.bound, (r) => {
      const unit = this.redispatcher.onRecord(r, r.offset < this.indexedTo ? INDEXED : undefined);
      if (unit === false) return false;
      if (unit) {
        added.push(unit);
        newest = unit.storeTimestamp;
      }
      return true;
    });
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

  /** Where the whole records from the dispatch position end: after it, a record is cut short or not valid. */
  wholeEnd(): number {
    return this.walk(this.reputOffset, this.parts.commitLog.maxOffset, (r) => {
      const spans = recordSpans(r.buf, r.pos, r.pos + r.size);
      return spans !== undefined && spans.end === r.pos + r.size;
    });
  }

  /**
   * Controller mode, becoming master: the whole records not dispatched yet (past the old master's confirm
   * offset) wait for this master's confirm offset with the records it writes itself. Their queue offsets are
   * taken now, so the next put on each queue comes after them. Returns their units, in log order.
   */
  takeRest(): Dispatch[] {
    const { queues } = this.parts;
    const out: Dispatch[] = [];
    this.reputOffset = this.walk(this.reputOffset, this.parts.commitLog.maxOffset, (r) => {
      const u = this.redispatcher.onRecord(r, { indexed: r.offset < this.indexedTo, hold: true });
      if (u === false) return false;
      if (u) {
        const q = queues.get(u.cq.topic, u.cq.queueId, true)!;
        if (q.next < u.queueOffset + 1) q.next = u.queueOffset + 1;
        out.push({ q, queueOffset: u.queueOffset, phyOffset: r.offset, size: u.size, tagsCode: u.tagsCode, storeTimestamp: u.storeTimestamp });
      }
      return true;
    });
    this.redispatcher.writeAndReset(); // the index entries of the records taken
    if (this.indexedTo < this.reputOffset) this.indexedTo = this.reputOffset;
    return out;
  }

  /**
   * Walks the whole records from `from` that end at or before `limit` (and the log's end), over segment fillers;
   * `visit` false stops at a record (not valid). Returns where the walk stopped.
   */
  private walk(from: number, limit: number, visit: (r: ScannedRecord) => boolean): number {
    const { commitLog } = this.parts;
    const end = Math.min(limit, commitLog.maxOffset);
    let at = from;
    walk: while (at + 8 <= end) {
      // One contiguous window (a run of the recent cache, or one file read) holds many records.
      let win = commitLog.readAvailable(at, DISPATCH_WINDOW_BYTES);
      let winStart = at;
      if (win.length < 8) win = commitLog.read(at, 8) ?? win;
      if (win.length < 8) {
        this.stuck(at, 'unreadable');
        break;
      }
      while (at + 8 <= end) {
        let pos = at - winStart;
        if (pos + 8 > win.length) continue walk;
        const magic = readMagic(win, pos);
        const total = readTotalSize(win, pos);
        if (magic === BLANK_MAGIC_CODE) {
          at = commitLog.rollNextFile(at);
          continue walk;
        }
        if (magic !== MESSAGE_MAGIC_CODE || total <= 0 || total > commitLog.maxAppendBytes) {
          this.stuck(at, `no record header (magic 0x${(magic >>> 0).toString(16)}, size ${total})`);
          break walk;
        }
        if (at + total > end) break walk; // the rest comes with the next frame, or the confirm offset is before its end
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
        if (!visit({ buf: win, pos, offset: at, size: total })) {
          this.stuck(at, 'its field lengths do not add up to its size');
          break walk;
        }
        at += total;
      }
    }
    return at;
  }

  /** A record the master sent that cannot be read: dispatching stops there (logged once), the bytes are kept. */
  private stuck(at: number, why: string): void {
    if (this.stuckAt === at) return;
    this.stuckAt = at;
    log.error(`replica: record at ${at} from the master is not a valid record (${why}); its queues stop there`);
  }
}
