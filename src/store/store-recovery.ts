/**
 * Start-up recovery (DefaultMessageStore#recover, CommitLog#recoverNormally / #recoverAbnormally):
 * open the log, the queues and the index; choose where to start reading the log; read it from there,
 * verifying every record; put back what each record should have produced; cut what points past the end.
 */
import { log } from '../logger.js';
import {
  BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE, isDispatchedType, readMagic, readQueueId, readQueueOffset, readStoreTimestamp,
  readSysFlag, readTotalSize, recordSpans, verifyRecord,
} from '../codec/message-record.js';
import type { CommitLog, Segment } from './commit-log.js';
import { CQ_UNIT_BYTES, decodeUnit, type ConsumeQueue, type CqUnit } from './consume-queue.js';
import { tagsCodeOf } from './dispatch-info.js';
import type { IndexService } from './index-service.js';
import type { QueueTable } from './queue-table.js';
import type { StoreCheckpoint } from './store-checkpoint.js';

/** Units a verifying recovery reads per queue at once. */
const CURSOR_UNITS = 1024;
/** Recovery read window (grown for a record larger than this). */
const SCAN_WINDOW_BYTES = 16 * 1024 * 1024;

export interface RecoveryParts {
  commitLog: CommitLog;
  queues: QueueTable;
  index: IndexService | undefined;
  checkpoint: StoreCheckpoint;
  delayLevels: number[];
  /** Largest record the scan accepts: anything that fits a segment (maxMessageSize may have been lowered since it was written). */
  maxRecordBytes: number;
}

export interface RecoveryReport {
  /** End of the log: the first byte after the last good record. */
  end: number;
  scannedBytes: number;
  records: number;
  /** Newest store time among the records read. */
  maxStoreTimestamp: number;
  /** Index of the segment the scan started at. */
  scanFrom: number;
  /** Queues that got units back from the scan. */
  requeued: number;
  /** Units dropped because their records are past the end of the log. */
  cut: number;
  /** Queues whose tail held invalid units when loaded. */
  damaged: number;
}

/** Opens and recovers the whole store; `crashed`: the abort marker was found (the last run did not shut down cleanly). */
export function recoverStore(parts: RecoveryParts, crashed: boolean): RecoveryReport {
  const { commitLog, queues, index } = parts;
  commitLog.load();
  const last = commitLog.segments[commitLog.segments.length - 1];
  const fileEnd = last ? last.start + last.file.size() : 0;
  const damaged = queues.load(fileEnd);
  index?.load(crashed, fileEnd);
  const scanFrom = chooseScanStart(commitLog, parts.checkpoint, crashed, index !== undefined, damaged.map((q) => q.cq));
  const redispatcher = new Redispatcher({
    queue: (topic, queueId) => queues.get(topic, queueId, true)!.cq,
    index,
    delayLevels: parts.delayLevels,
  }, crashed || damaged.length > 0);
  const res = scanLog(commitLog, scanFrom, parts.maxRecordBytes, (r) => redispatcher.onRecord(r));
  redispatcher.finish();
  const cut = cutPastLogEnd(queues, index, res.end);
  return {
    ...res, maxStoreTimestamp: redispatcher.maxStoreTimestamp, scanFrom, requeued: redispatcher.touched.size, cut, damaged: damaged.length,
  };
}

/**
 * Drops what points at or past the log's end `end` (ConsumeQueue#truncateDirtyLogicFiles, and the index
 * entries), and each queue hands out offsets from its new max (recoverTopicQueueTable). Recovery calls it
 * once the scan found the end; controller-mode truncation (store-truncate.ts) after cutting the log. Units
 * not yet written are written first. Returns the units removed.
 */
export function cutPastLogEnd(queues: QueueTable, index: IndexService | undefined, end: number): number {
  index?.truncateByLogEnd(end);
  let cut = 0;
  for (const q of queues.all()) {
    if (q.cq.hasPendingUnits()) q.cq.writePending();
    cut += q.cq.truncateByLogEnd(end);
    q.next = q.cq.maxOffset;
  }
  return cut;
}

/** A verified record in the scan window: `buf[pos, pos + size)` is the record at log offset `offset`. */
export interface ScannedRecord {
  buf: Buffer;
  pos: number;
  offset: number;
  size: number;
}

/**
 * Scans records from the start of segment `fromIndex`, verifying each (magic, size, field
 * lengths, body CRC); calls `onRecord` for each good one. The first bad or missing record ends the
 * log: that segment is cut there and later segments are removed. Returns the end offset.
 */
export function scanLog(
  commitLog: CommitLog, fromIndex: number, maxRecordBytes: number, onRecord: (r: ScannedRecord) => void,
): { end: number; scannedBytes: number; records: number } {
  const segments = commitLog.segments;
  const segmentBytes = commitLog.segmentBytes;
  if (segments.length === 0) {
    commitLog.setEnd(0);
    return { end: 0, scannedBytes: 0, records: 0 };
  }
  let window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW_BYTES, segmentBytes));
  let end = segments[Math.max(0, fromIndex)].start;
  let records = 0;
  let scannedBytes = 0;
  let broken: string | undefined;
  scan: for (let i = Math.max(0, fromIndex); i < segments.length; i++) {
    const seg = segments[i];
    const fileSize = Math.min(seg.file.size(), segmentBytes);
    let winStart = 0;
    let winLen = 0;
    let p = 0;
    end = seg.start;
    for (;;) {
      if (p + 8 > winStart + winLen) {
        ({ winStart, winLen } = fill(seg, window, p, fileSize));
        if (p + 8 > winStart + winLen) {
          if (p < fileSize) broken = `torn record header at ${seg.start + p}`;
          break scan;
        }
      }
      const rel = p - winStart;
      const magic = readMagic(window, rel);
      const total = readTotalSize(window, rel);
      if (magic === BLANK_MAGIC_CODE) {
        if (total !== segmentBytes - p) {
          broken = `filler at ${seg.start + p} says ${total} bytes remain, segment has ${segmentBytes - p}`;
          break scan;
        }
        scannedBytes += 8;
        end = seg.start + segmentBytes;
        continue scan;
      }
      if (magic !== MESSAGE_MAGIC_CODE || total <= 0 || total > maxRecordBytes || p + total > segmentBytes) {
        if (p < fileSize && !(magic === 0 && total === 0)) broken = `bad record header at ${seg.start + p}`;
        break scan;
      }
      if (rel + total > winLen) {
        if (p + total > fileSize) {
          broken = `torn record at ${seg.start + p} (${total} bytes, ${fileSize - p} in the file)`;
          break scan;
        }
        // Only a record the file really holds may grow the window (a corrupt size must not allocate wildly).
        if (total > window.length) window = Buffer.allocUnsafe(total);
        ({ winStart, winLen } = fill(seg, window, p, fileSize));
        if (total > winLen) {
          broken = `torn record at ${seg.start + p} (${total} bytes, ${winLen} on disk)`;
          break scan;
        }
      }
      const r = p - winStart;
      const bad = verifyRecord(window, r, r + total, true);
      if (bad) {
        broken = `${bad} at ${seg.start + p}`;
        break scan;
      }
      onRecord({ buf: window, pos: r, offset: seg.start + p, size: total });
      records++;
      scannedBytes += total;
      p += total;
      end = seg.start + p;
    }
  }
  if (broken) log.warn(`commitlog recovery: ${broken}; log ends at ${end}`);
  commitLog.setEnd(end);
  return { end, scannedBytes, records };
}

function fill(seg: Segment, window: Buffer, from: number, fileSize: number): { winStart: number; winLen: number } {
  const want = Math.min(window.length, Math.max(0, fileSize - from));
  const n = want > 0 ? seg.file.read(window, 0, want, from) : 0;
  return { winStart: from, winLen: n };
}

/**
 * Where recovery starts reading the log. After a clean shutdown everything was synced, so only the
 * last segment is read to find the end (CommitLog#recoverNormally reads the last three; we verify
 * the last). After a crash (CommitLog#recoverAbnormally, isMappedFileMatchedRecover): the last
 * segment whose first record is no newer than the checkpoint's durable point minus 3 s; no
 * checkpoint ⇒ the first segment. Either way no later than the end of any queue whose tail was cut.
 */
export function chooseScanStart(
  commitLog: CommitLog, checkpoint: StoreCheckpoint, crashed: boolean, withIndex: boolean, damaged: ConsumeQueue[],
): number {
  const segs = commitLog.segments;
  if (segs.length === 0) return 0;
  let from = 0;
  if (!crashed && checkpoint.existed) {
    from = segs.length - 1;
  } else if (checkpoint.existed) {
    const min = checkpoint.minTimestamp(withIndex);
    const head = Buffer.alloc(76);
    for (let i = segs.length - 1; i >= 0; i--) {
      const n = segs[i].file.read(head, 0, head.length, 0);
      if (n < 64 || head.readInt32BE(4) !== MESSAGE_MAGIC_CODE) continue;
      const t = readStoreTimestamp(head);
      if (t !== 0 && t <= min) {
        from = i;
        break;
      }
    }
  }
  for (const cq of damaged) {
    const end = cq.maxPhysicEnd;
    const i = segs.findIndex((sg) => end >= sg.start && end < sg.start + commitLog.segmentBytes);
    from = Math.min(from, i < 0 ? (end < segs[0].start ? 0 : from) : i);
  }
  return from;
}

/** A ConsumeQueue unit a record produced. */
export interface AddedUnit {
  cq: ConsumeQueue;
  queueOffset: number;
  tagsCode: number;
  storeTimestamp: number;
  /** The record's bytes. */
  size: number;
}

/** How a replica dispatches one record (controller mode: ha/replica-log.ts). */
export interface RecordOptions {
  /** Its index entries exist already (it was written here as master): none are added. */
  indexed?: boolean;
  /** Its unit waits for the confirm offset: returned, not appended. */
  hold?: boolean;
}

export interface RedispatchTarget {
  /** The queue of a topic and id, created when missing. */
  queue(topic: string, queueId: number): ConsumeQueue;
  index: IndexService | undefined;
  delayLevels: number[];
}

/**
 * Puts back what each scanned record should have produced: its ConsumeQueue unit when the queue
 * does not have it yet, its index entries. When `verify` (after a crash or with a damaged queue),
 * units the queue already has are checked against the record: one that points elsewhere means the
 * queue is wrong from there on, so it is cut and rebuilt.
 */
export class Redispatcher {
  readonly touched = new Set<ConsumeQueue>();
  maxStoreTimestamp = 0;
  private readonly cursors = new Map<ConsumeQueue, { first: number; units: Buffer }>();

  constructor(private readonly target: RedispatchTarget, private readonly verify: boolean) {}

  /**
   * Dispatches one record; returns the unit it added to a queue, if it added one, or false when the
   * record's field lengths do not add up to its size (the recovery scan has verified that already; a
   * replica's records come from the master unverified).
   */
  onRecord(r: ScannedRecord, opts?: RecordOptions): AddedUnit | undefined | false {
    const sysFlag = readSysFlag(r.buf, r.pos);
    const spans = recordSpans(r.buf, r.pos, r.pos + r.size);
    if (!spans || spans.end !== r.pos + r.size) return false;
    const topic = r.buf.toString('utf8', spans.topicStart, spans.topicStart + spans.topicLength);
    const storeTimestamp = readStoreTimestamp(r.buf, r.pos);
    if (storeTimestamp > this.maxStoreTimestamp) this.maxStoreTimestamp = storeTimestamp;
    const props = r.buf.toString('utf8', spans.propertiesStart, spans.propertiesStart + spans.propertiesLength);
    if (opts?.indexed !== true) this.target.index?.build(topic, props, sysFlag, r.offset, storeTimestamp);
    if (!isDispatchedType(sysFlag)) return undefined;
    const queueId = readQueueId(r.buf, r.pos);
    const cq = this.target.queue(topic, queueId);
    const queueOffset = readQueueOffset(r.buf, r.pos);
    if (r.offset < cq.maxPhysicEnd) {
      if (!this.verify || queueOffset < cq.minOffset) return undefined;
      const u = this.unitAt(cq, queueOffset);
      if (u && u.phyOffset === r.offset && u.size === r.size) return undefined;
      log.warn(`recovery: ${topic}/${queueId} unit ${queueOffset} does not point at its record ${r.offset}; rebuilding the queue from there`);
      this.cut(cq, queueOffset);
    } else if (queueOffset < cq.maxOffset) {
      log.warn(`recovery: ${topic}/${queueId} has units past ${queueOffset} that the log does not; cutting them`);
      this.cut(cq, queueOffset);
    }
    const tagsCode = tagsCodeOf(this.target.delayLevels, topic, props, storeTimestamp);
    if (opts?.hold) return { cq, queueOffset, tagsCode, storeTimestamp, size: r.size };
    cq.append(queueOffset, r.offset, r.size, tagsCode);
    this.touched.add(cq);
    return { cq, queueOffset, tagsCode, storeTimestamp, size: r.size };
  }

  /** Writes what the scan rebuilt. */
  finish(): void {
    for (const cq of this.touched) cq.writePending();
    this.target.index?.writePending();
  }

  /** Writes what was dispatched since the last call and starts a new set (a replica dispatches as bytes arrive). */
  writeAndReset(): void {
    this.finish();
    this.touched.clear();
  }

  private cut(cq: ConsumeQueue, queueOffset: number): void {
    this.cursors.delete(cq);
    cq.writePending();
    cq.truncateTo(queueOffset);
  }

  /** A queue's unit, read in runs of CURSOR_UNITS rather than one syscall per record. */
  private unitAt(cq: ConsumeQueue, offset: number): CqUnit | undefined {
    let c = this.cursors.get(cq);
    if (!c || offset < c.first || (offset - c.first) * CQ_UNIT_BYTES >= c.units.length) {
      const units = cq.readUnits(offset, CURSOR_UNITS);
      if (!units) return undefined;
      c = { first: offset, units };
      this.cursors.set(cq, c);
    }
    return decodeUnit(c.units, (offset - c.first) * CQ_UNIT_BYTES);
  }
}
