/**
 * One ConsumeQueue: the index of a topic-queue into the CommitLog, one 20-byte
 * unit per message (commitLogOffset int64, size int32, tagsCode int64), in segment files of
 * mappedFileSizeConsumeQueue bytes named by their start byte offset. Queue offset n lives at byte n×20.
 */
import assert from 'node:assert';
import { log } from '../logger.js';
import { readInt64, writeInt64 } from '../codec/message-record.js';
import { SegmentList, type Segment } from './segment-list.js';
import { cutPreallocated, type StoreFiles } from './store-files.js';

export const CQ_UNIT_BYTES = 20;
/** ConsumeQueue#fillPreBlankAndFlush: units for a gap point nowhere (offset 0, size Integer.MAX_VALUE). */
const BLANK_UNIT_SIZE = 0x7fffffff;

/** Load reads a queue's last segment in steps of this many bytes (whole units). */
const SCAN_STEP_BYTES = 3277 * CQ_UNIT_BYTES;
/** After the last valid unit, this many bytes are checked for leftovers of a torn or corrupt write. */
const GARBAGE_CHECK_BYTES = 4096;

/** MessageStoreConfig#getMappedFileSizeConsumeQueue rounds the size up to whole units. */
export const cqSegmentBytes = (configured: number): number => Math.ceil(configured / CQ_UNIT_BYTES) * CQ_UNIT_BYTES;

export interface CqUnit {
  phyOffset: number;
  size: number;
  tagsCode: number;
}

export class ConsumeQueue {
  private readonly list: SegmentList;
  /** Byte offset one past the last unit handed to the OS or pending. */
  private endBytes = 0;
  /** Byte offset of the first unit still valid (moves with retention). */
  private minBytes = 0;
  /** Units appended this tick, not yet written: they start at pendingStart. */
  private pending = Buffer.alloc(0);
  private pendingLen = 0;
  private pendingStart = 0;
  /** Offset + size of the last unit: how far into the CommitLog this queue is dispatched. */
  maxPhysicEnd = 0;
  private dirty = new Set<Segment>();

  constructor(
    readonly topic: string,
    readonly queueId: number,
    readonly dir: string,
    readonly segmentBytes: number,
    private readonly files: StoreFiles,
  ) {
    assert(segmentBytes % CQ_UNIT_BYTES === 0 && segmentBytes >= CQ_UNIT_BYTES, 'CQ segment must hold whole units');
    this.list = new SegmentList(dir, segmentBytes, files);
  }

  /** Next queue offset to be dispatched (ConsumeQueue#getMaxOffsetInQueue). */
  get maxOffset(): number {
    return this.endBytes / CQ_UNIT_BYTES;
  }

  get minOffset(): number {
    return this.minBytes / CQ_UNIT_BYTES;
  }

  // ---------------------------------------------------------------- append

  /** Queues one unit for queue offset `queueOffset` (which must be the next one, or a gap is filled with blanks). */
  append(queueOffset: number, phyOffset: number, size: number, tagsCode: number): void {
    const at = queueOffset * CQ_UNIT_BYTES;
    if (at < this.endBytes) {
      log.warn(`consumequeue ${this.topic}/${this.queueId}: unit ${queueOffset} already present (max ${this.maxOffset}); ignored`);
      return;
    }
    if (at > this.endBytes) {
      if (this.endBytes === 0 && this.list.length === 0) {
        // First unit of a queue whose earlier units are gone: start the queue there.
        this.endBytes = at;
        this.minBytes = at;
        this.pendingStart = at;
      } else {
        log.error(`consumequeue ${this.topic}/${this.queueId}: gap before unit ${queueOffset} (max ${this.maxOffset}); filling with blank units`);
        while (this.endBytes < at) this.put(0, BLANK_UNIT_SIZE, 0);
      }
    }
    this.put(phyOffset, size, tagsCode);
    this.maxPhysicEnd = phyOffset + size;
  }

  private put(phyOffset: number, size: number, tagsCode: number): void {
    if (this.pendingLen === 0) this.pendingStart = this.endBytes;
    if (this.pendingLen + CQ_UNIT_BYTES > this.pending.length) {
      const next = Buffer.allocUnsafe(Math.max(256 * CQ_UNIT_BYTES, this.pending.length * 2));
      this.pending.copy(next, 0, 0, this.pendingLen);
      this.pending = next;
    }
    const p = this.pendingLen;
    writeInt64(this.pending, p, phyOffset);
    this.pending.writeInt32BE(size, p + 8);
    writeInt64(this.pending, p + 12, tagsCode);
    this.pendingLen += CQ_UNIT_BYTES;
    this.endBytes += CQ_UNIT_BYTES;
  }

  /** Units appended but not yet handed to the OS (their write failed, or the tick has not ended). */
  hasPendingUnits(): boolean {
    return this.pendingLen > 0;
  }

  /** Writes the units queued this tick, split at segment boundaries. */
  writePending(): void {
    let done = 0;
    while (done < this.pendingLen) {
      const at = this.pendingStart + done;
      const seg = this.list.forWrite(at);
      const room = seg.start + this.segmentBytes - at;
      const n = Math.min(room, this.pendingLen - done);
      seg.file.write(this.pending.subarray(done, done + n), at - seg.start);
      this.dirty.add(seg);
      done += n;
    }
    this.pendingLen = 0;
    this.pendingStart = this.endBytes;
  }

  // ---------------------------------------------------------------- read

  /**
   * Up to `maxUnits` units from queue offset `offset`, never past the end of the segment holding it
   * (ConsumeQueue#getIndexBuffer). Returns the raw 20-byte units.
   */
  readUnits(offset: number, maxUnits: number): Buffer | undefined {
    const at = offset * CQ_UNIT_BYTES;
    if (at < this.minBytes || at >= this.endBytes) return undefined;
    const seg = this.list.find(at);
    if (!seg) return undefined;
    const written = this.endBytes - this.pendingLen;
    const limit = Math.min(seg.start + this.segmentBytes, written, at + maxUnits * CQ_UNIT_BYTES);
    if (limit <= at) return undefined;
    const buf = Buffer.allocUnsafe(limit - at);
    const n = seg.file.read(buf, 0, buf.length, at - seg.start);
    const whole = n - (n % CQ_UNIT_BYTES);
    return whole > 0 ? buf.subarray(0, whole) : undefined;
  }

  unitAt(offset: number): CqUnit | undefined {
    const b = this.readUnits(offset, 1);
    return b ? decodeUnit(b, 0) : undefined;
  }

  /** Start queue offset of the segment after the one holding `offset` (ConsumeQueue#rollNextFile). */
  rollNextFile(offset: number): number {
    const perSegment = this.segmentBytes / CQ_UNIT_BYTES;
    return offset + perSegment - (offset % perSegment);
  }

  // ---------------------------------------------------------------- load, truncate, retention

  /**
   * Opens the segments and finds the last valid unit: units must have size > 0 and strictly
   * increasing CommitLog offsets below `logEnd`; the first one that does not ends the queue.
   * Only the last segment is scanned unit by unit; earlier ones were complete when the queue rolled.
   * Returns whether invalid units were cut (the queue then needs re-dispatch from its new end).
   */
  load(logEnd: number): boolean {
    for (const start of this.list.startsOnDisk()) if (start % this.segmentBytes === 0) this.list.open(start);
    const first = this.list.first;
    if (!first) return false;
    this.minBytes = first.start;
    let damaged = false;
    for (;;) {
      const last = this.list.last!;
      const { valid, garbage } = this.scanUnits(last, logEnd);
      if (garbage) log.warn(`consumequeue ${this.topic}/${this.queueId}: invalid units after byte ${valid} of ${last.file.path}; cut`);
      // Garbage, or a file shorter than a segment (torn, or from before preallocation): units may be missing.
      if (garbage || last.file.size() < this.segmentBytes) damaged = true;
      if (garbage || last.file.size() !== this.segmentBytes) cutPreallocated(last.file, valid, this.segmentBytes);
      if (valid === 0 && this.list.length > 1) {
        // An empty segment at the end (rolled, nothing written yet): drop it; the next append recreates it.
        this.list.removeLast();
        continue;
      }
      this.endBytes = last.start + valid;
      break;
    }
    this.pendingStart = this.endBytes;
    if (this.minBytes > this.endBytes) this.minBytes = this.endBytes;
    const lastUnit = this.endBytes > this.minBytes ? this.unitAt(this.endBytes / CQ_UNIT_BYTES - 1) : undefined;
    this.maxPhysicEnd = lastUnit ? lastUnit.phyOffset + lastUnit.size : 0;
    return damaged;
  }

  /**
   * Valid units from the start of a segment: size > 0, strictly increasing CommitLog offsets below
   * `logEnd` (blank gap units allowed). Reads in steps and stops at the first invalid unit, so a
   * mostly empty preallocated segment costs little. `garbage`: non-zero bytes in the page after the
   * valid units (a torn or overwritten tail; a fresh file is zeros there).
   */
  private scanUnits(seg: Segment, logEnd: number): { valid: number; garbage: boolean } {
    const size = Math.min(seg.file.size(), this.segmentBytes);
    const step = Buffer.allocUnsafe(Math.min(size, SCAN_STEP_BYTES) || CQ_UNIT_BYTES);
    let valid = 0;
    let prevPhy = -1;
    scan: while (valid < size) {
      const n = seg.file.read(step, 0, Math.min(step.length, size - valid), valid);
      if (n < CQ_UNIT_BYTES) break;
      for (let p = 0; p + CQ_UNIT_BYTES <= n; p += CQ_UNIT_BYTES) {
        const u = decodeUnit(step, p);
        const blank = u.phyOffset === 0 && u.size === BLANK_UNIT_SIZE;
        if (!blank && (u.size <= 0 || u.phyOffset < 0 || u.phyOffset <= prevPhy || u.phyOffset + u.size > logEnd)) break scan;
        if (!blank) prevPhy = u.phyOffset;
        valid += CQ_UNIT_BYTES;
      }
      if (n < step.length) break;
    }
    const tail = Buffer.alloc(Math.min(GARBAGE_CHECK_BYTES, size - valid));
    const t = tail.length ? seg.file.read(tail, 0, tail.length, valid) : 0;
    let garbage = false;
    for (let p = 0; p < t; p++) {
      if (tail[p] !== 0) {
        garbage = true;
        break;
      }
    }
    return { valid, garbage };
  }

  private readLastUnitOf(seg: Segment): CqUnit | undefined {
    const size = seg.file.size() - (seg.file.size() % CQ_UNIT_BYTES);
    if (size < CQ_UNIT_BYTES) return undefined;
    const b = Buffer.allocUnsafe(CQ_UNIT_BYTES);
    return seg.file.read(b, 0, CQ_UNIT_BYTES, size - CQ_UNIT_BYTES) === CQ_UNIT_BYTES ? decodeUnit(b, 0) : undefined;
  }

  /** Cuts the queue so it holds exactly `units` units (recovery). */
  truncateTo(units: number): void {
    assert(this.pendingLen === 0, 'truncate with pending units');
    const at = Math.max(units * CQ_UNIT_BYTES, this.minBytes);
    if (at >= this.endBytes) return;
    for (const gone of this.list.cutAt(at, 1)) this.dirty.delete(gone);
    this.endBytes = at;
    this.pendingStart = at;
    const u = at > this.minBytes ? this.unitAt(at / CQ_UNIT_BYTES - 1) : undefined;
    this.maxPhysicEnd = u ? u.phyOffset + u.size : 0;
  }

  /** Drops units that point at or past `logEnd` (ConsumeQueue#truncateDirtyLogicFiles). Returns units removed. */
  truncateByLogEnd(logEnd: number): number {
    if (this.maxPhysicEnd <= logEnd) return 0;
    // Binary search the first unit whose record would end past logEnd.
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const u = this.unitAt(mid);
      if (u && u.phyOffset + u.size <= logEnd) lo = mid + 1;
      else hi = mid;
    }
    const removed = this.maxOffset - lo;
    this.truncateTo(lo);
    return removed;
  }

  /**
   * Retention: removes whole segments whose last unit points below `minPhyOffset` (never the last
   * segment), then moves the min offset to the first unit at or past it (ConsumeQueue#correctMinOffset).
   */
  deleteBelow(minPhyOffset: number): number {
    let removed = 0;
    while (this.list.length > 1) {
      const u = this.readLastUnitOf(this.list.first!);
      if (!u || u.phyOffset >= minPhyOffset) break;
      this.dirty.delete(this.list.removeFirst());
      removed++;
    }
    const first = this.list.first;
    if (first) this.minBytes = Math.max(this.minBytes, first.start);
    // Correct the min offset inside the first segment.
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const u = this.unitAt(mid);
      if (u && u.phyOffset < minPhyOffset) lo = mid + 1;
      else hi = mid;
    }
    this.minBytes = lo * CQ_UNIT_BYTES;
    return removed;
  }

  async sync(): Promise<void> {
    const segs = [...this.dirty];
    this.dirty.clear();
    try {
      await Promise.all(segs.map((s) => s.file.sync()));
    } catch (e) {
      // Not durable yet: the next flush syncs them again (a removed segment has nothing left to sync).
      for (const s of segs) if (this.list.has(s)) this.dirty.add(s);
      throw e;
    }
  }

  close(): void {
    this.list.close();
  }

  /** Set by deleteTopics: units still in flight for this queue are dropped, not written to a removed directory. */
  destroyed = false;

  destroy(): void {
    this.destroyed = true;
    this.pendingLen = 0;
    this.close();
    this.files.removeTree(this.dir);
  }
}

export function decodeUnit(b: Buffer, p: number): CqUnit {
  return { phyOffset: readInt64(b, p), size: b.readInt32BE(p + 8), tagsCode: readInt64(b, p + 12) };
}
