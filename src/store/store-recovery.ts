/**
 * Start-up recovery helpers (CommitLog#recoverNormally / #recoverAbnormally, DefaultMessageStore#recover):
 * where to start reading the log, and what to do with each verified record read.
 */
import { log } from '../logger.js';
import {
  MESSAGE_MAGIC_CODE, isDispatchedType, readQueueId, readQueueOffset, readStoreTimestamp, readSysFlag, recordSpans,
} from '../codec/message-record.js';
import type { CommitLog, ScannedRecord } from './commit-log.js';
import { CQ_UNIT_BYTES, decodeUnit, type ConsumeQueue, type CqUnit } from './consume-queue.js';
import { tagsCodeOf } from './dispatch-info.js';
import type { IndexService } from './index-service.js';
import type { StoreCheckpoint } from './store-checkpoint.js';

/** Units a verifying recovery reads per queue at once. */
const CURSOR_UNITS = 1024;

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

  onRecord(r: ScannedRecord): void {
    const sysFlag = readSysFlag(r.buf, r.pos);
    const spans = recordSpans(r.buf, r.pos, r.pos + r.size)!;
    const topic = r.buf.toString('utf8', spans.topicStart, spans.topicStart + spans.topicLength);
    const storeTimestamp = readStoreTimestamp(r.buf, r.pos);
    if (storeTimestamp > this.maxStoreTimestamp) this.maxStoreTimestamp = storeTimestamp;
    const props = r.buf.toString('utf8', spans.propertiesStart, spans.propertiesStart + spans.propertiesLength);
    this.target.index?.build(topic, props, sysFlag, r.offset, storeTimestamp);
    if (!isDispatchedType(sysFlag)) return;
    const queueId = readQueueId(r.buf, r.pos);
    const cq = this.target.queue(topic, queueId);
    const queueOffset = readQueueOffset(r.buf, r.pos);
    if (r.offset < cq.maxPhysicEnd) {
      if (!this.verify || queueOffset < cq.minOffset) return;
      const u = this.unitAt(cq, queueOffset);
      if (u && u.phyOffset === r.offset && u.size === r.size) return;
      log.warn(`recovery: ${topic}/${queueId} unit ${queueOffset} does not point at its record ${r.offset}; rebuilding the queue from there`);
      this.cut(cq, queueOffset);
    } else if (queueOffset < cq.maxOffset) {
      log.warn(`recovery: ${topic}/${queueId} has units past ${queueOffset} that the log does not; cutting them`);
      this.cut(cq, queueOffset);
    }
    cq.append(queueOffset, r.offset, r.size, tagsCodeOf(this.target.delayLevels, topic, props, storeTimestamp));
    this.touched.add(cq);
  }

  /** Writes what the scan rebuilt. */
  finish(): void {
    for (const cq of this.touched) cq.writePending();
    this.target.index?.writePending();
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
