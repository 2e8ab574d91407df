/**
 * The CommitLog: every record of every topic, appended to segment files named by their start
 * offset, zero-padded to 20 digits. A record never spans two segments: when it would not leave the
 * 8-byte end-of-file filler room, the filler is written and the log rolls to the next segment.
 *
 * Write path (hot): `appendRecords` reserves room and encodes the planned records straight into a
 * write slab; at the end of the tick `writePending()` hands each contiguous run to the OS in one
 * write. Written runs stay referenced as the "recent" cache, so pulls of fresh data are served from
 * memory without a read syscall; older data is read from the segment file (page cache).
 */
import assert from 'node:assert';
import { log } from '../logger.js';
import {
  END_FILE_MIN_BLANK_LENGTH, MESSAGE_MAGIC_CODE, encodeBlank, encodeRecord, isDispatchedType, readMagic, readTotalSize,
  type RecordPlan,
} from '../codec/message-record.js';
import type { MessageInner } from '../codec/message.js';
import { offsetToFileName } from './file-names.js';
import { RecentCache } from './recent-cache.js';
import { SegmentList, type Segment } from './segment-list.js';
import { cutPreallocated, type StoreFiles } from './store-files.js';

export type { Segment } from './segment-list.js';

/** Write slab size: one allocation serves many ticks of small records (records larger than this get their own). */
const SLAB_BYTES = 4 * 1024 * 1024;

/** A contiguous run of bytes: in the slab, headed for (or already in) one segment. */
interface Chunk {
  offset: number;
  buf: Buffer;
  segment: Segment;
}

/** Where the write side stood before a reservation: restoring it forgets the reservation entirely. */
export interface ReserveMark {
  reserveOffset: number;
  slab: Buffer<ArrayBuffer>;
  slabPos: number;
  pendingCount: number;
  /** Length of the last pending chunk then (a later reservation may have extended it in place). */
  lastChunkBytes: number;
}

export class CommitLog {
  private readonly list: SegmentList;
  /** Next physical offset to assign (includes reserved, not yet written bytes). */
  private reserveOffset = 0;
  /** End of what is in the OS (written). */
  private writtenOffset = 0;
  private slab = Buffer.alloc(0);
  private slabPos = 0;
  private pending: Chunk[] = [];
  private readonly recent: RecentCache;
  /** Segments written since their last sync. */
  private readonly dirty = new Set<Segment>();
  private readonly lastMark: ReserveMark = { reserveOffset: 0, slab: Buffer.alloc(0), slabPos: 0, pendingCount: 0, lastChunkBytes: 0 };

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    private readonly files: StoreFiles,
    recentCacheBytes: number,
  ) {
    assert(segmentBytes > 64, 'mappedFileSizeCommitLog too small');
    this.list = new SegmentList(dir, segmentBytes, files);
    this.recent = new RecentCache(recentCacheBytes);
  }

  /** The segment files, oldest first (retention and recovery read them; only the CommitLog changes them). */
  get segments(): readonly Segment[] {
    return this.list.segments;
  }

  get maxOffset(): number {
    return this.writtenOffset;
  }

  get minOffset(): number {
    return this.list.first?.start ?? this.writtenOffset;
  }

  /** Largest record (or batch) that fits a segment. */
  get maxAppendBytes(): number {
    return this.segmentBytes - END_FILE_MIN_BLANK_LENGTH;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  // ---------------------------------------------------------------- write

  /**
   * Appends the planned records of one put as one contiguous run in one segment, encoded straight into
   * the write slab; returns the log offset of the first. Records of a type that goes to a ConsumeQueue
   * take consecutive queue offsets from `firstQueueOffset`; prepared and rollback records carry 0.
   * Nothing reaches the OS before `writePending`: if encoding throws, `forget` with a mark taken before
   * this call takes every byte of it back.
   */
  appendRecords(msgs: readonly MessageInner[], plans: readonly RecordPlan[], totalBytes: number, firstQueueOffset: number, storeTimestamp: number): number {
    let pos = this.reserve(totalBytes);
    const buf = this.slab;
    const start = this.reserveOffset - totalBytes;
    let phy = start;
    let queueOffset = firstQueueOffset;
    for (let i = 0; i < msgs.length; i++) {
      const plan = plans[i];
      pos = encodeRecord(buf, pos, msgs[i], plan, isDispatchedType(plan.sysFlag) ? queueOffset++ : 0, phy, storeTimestamp);
      phy += plan.totalSize;
    }
    assert(phy === this.reserveOffset, 'records differ from the bytes reserved for them');
    return start;
  }

  /**
   * Reserves `bytes` contiguous bytes in one segment, rolling (and writing the filler) if needed;
   * returns their position in the slab, for records starting at reserveOffset - bytes.
   */
  private reserve(bytes: number): number {
    assert(bytes > 0 && bytes <= this.maxAppendBytes, 'reservation larger than a segment');
    let segment = this.list.forWrite(this.reserveOffset);
    const used = this.reserveOffset - segment.start;
    const remaining = this.segmentBytes - used;
    if (bytes + END_FILE_MIN_BLANK_LENGTH > remaining) {
      // DefaultAppendMessageCallback#doAppend: fill the tail, roll, retry in the next file.
      const blankPos = this.take(END_FILE_MIN_BLANK_LENGTH, segment); // may replace the slab: read it after
      encodeBlank(this.slab, blankPos, remaining);
      this.reserveOffset = segment.start + this.segmentBytes;
      segment = this.list.forWrite(this.reserveOffset);
    }
    return this.take(bytes, segment);
  }

  /**
   * The write side's position now, for `forget` if what is reserved next cannot be completed. Appends
   * are synchronous and never nested, so one mark object is reused: no allocation per put.
   */
  mark(): ReserveMark {
    const m = this.lastMark;
    const last = this.pending[this.pending.length - 1];
    m.reserveOffset = this.reserveOffset;
    m.slab = this.slab;
    m.slabPos = this.slabPos;
    m.pendingCount = this.pending.length;
    m.lastChunkBytes = last ? last.buf.length : 0;
    return m;
  }

  /**
   * Takes back every reservation made since `m` (nothing of it has reached the OS: writes happen at the
   * end of the tick). An append that fails half-way must leave no hole: recovery stops at the first
   * record it cannot verify, so a reserved but unwritten range would cut off everything after it.
   */
  forget(m: ReserveMark): void {
    assert(m.reserveOffset >= this.writtenOffset, 'cannot forget bytes already written');
    this.pending.length = m.pendingCount;
    const last = this.pending[m.pendingCount - 1];
    if (last && last.buf.length > m.lastChunkBytes) last.buf = last.buf.subarray(0, m.lastChunkBytes);
    this.reserveOffset = m.reserveOffset;
    this.slab = m.slab;
    this.slabPos = m.slabPos;
  }

  /**
   * Claims slab space for bytes at reserveOffset within `segment`, extending the open chunk when
   * contiguous; returns the position in `this.slab` (which it may have replaced with a fresh one).
   */
  private take(bytes: number, segment: Segment): number {
    if (this.slab.length - this.slabPos < bytes) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.slabPos = 0;
    }
    const offset = this.reserveOffset;
    const pos = this.slabPos;
    const last = this.pending[this.pending.length - 1];
    if (last && last.segment === segment && last.buf.buffer === this.slab.buffer &&
        last.buf.byteOffset + last.buf.length === this.slab.byteOffset + pos && last.offset + last.buf.length === offset) {
      last.buf = this.slab.subarray(last.buf.byteOffset - this.slab.byteOffset, pos + bytes);
    } else {
      this.pending.push({ offset, buf: this.slab.subarray(pos, pos + bytes), segment });
    }
    this.slabPos += bytes;
    this.reserveOffset += bytes;
    return pos;
  }

  /** Hands everything reserved to the OS, one write per contiguous run. Throws on I/O failure (after rolling back). */
  writePending(): void {
    const chunks = this.pending;
    this.pending = [];
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      try {
        c.segment.file.write(c.buf, c.offset - c.segment.start);
      } catch (err) {
        this.rollBackTo(c.offset);
        throw err;
      }
      this.writtenOffset = c.offset + c.buf.length;
      this.dirty.add(c.segment);
      this.recent.add(c);
    }
    // Everything reserved is written. After a roll that is the next segment's start: the filler is the
    // whole tail of the full segment (its header written, the rest preallocated zeros), so the log's end
    // is there, as a Java broker's wrote position after a blank is the file size; replication sends it.
    this.writtenOffset = this.reserveOffset;
  }

  /**
   * Slave: writes bytes the master sent, at the master's offset (CommitLog#appendData). They may end
   * inside a record (the next frame continues it). A store with no bytes yet takes the master's offset as
   * its start, in the segment that holds it: an empty slave begins at the master's last segment.
   * Returns false, writing nothing, when `offset` is not this log's end.
   */
  appendRaw(offset: number, data: Buffer): boolean {
    assert(this.pending.length === 0, 'a replica log takes no local appends');
    if (this.writtenOffset === this.minOffset && offset !== this.writtenOffset) {
      // Nothing stored: drop any empty segment left over, and start where the master's bytes start.
      for (const dead of this.list.cutAt(-1, 0)) this.dirty.delete(dead);
      this.setEnd(offset);
    }
    if (offset !== this.writtenOffset) return false;
    let at = offset;
    let from = 0;
    while (from < data.length) {
      const segment = this.list.forWrite(at);
      const room = segment.start + this.segmentBytes - at;
      const piece = data.subarray(from, from + Math.min(room, data.length - from));
      segment.file.write(piece, at - segment.start);
      at += piece.length;
      from += piece.length;
      this.writtenOffset = this.reserveOffset = at;
      this.dirty.add(segment);
      this.recent.add({ offset: at - piece.length, buf: piece });
    }
    return true;
  }

  /**
   * Up to `max` bytes from `offset` towards the log's end, never past the end of `offset`'s segment
   * (HA transfer: a frame never crosses a file). From the recent cache when it holds them (no copy),
   * else one file read; empty when nothing is there.
   */
  readAvailable(offset: number, max: number): Buffer {
    const segEnd = offset - (offset % this.segmentBytes) + this.segmentBytes;
    const len = Math.min(max, segEnd - offset, this.writtenOffset - offset);
    if (len <= 0 || offset < this.minOffset) return Buffer.alloc(0);
    const cached = this.recent.upTo(offset, len);
    if (cached) return cached;
    const seg = this.list.find(offset);
    if (!seg) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(len);
    const n = seg.file.read(buf, 0, len, offset - seg.start);
    return buf.subarray(0, Math.max(0, n));
  }

  /** After a failed write: forget everything from `offset` on, so the next append reuses it. */
  private rollBackTo(offset: number): void {
    this.pending = [];
    this.reserveOffset = offset;
    this.writtenOffset = offset;
    this.slab = Buffer.alloc(0);
    this.slabPos = 0;
    const seg = this.list.forWrite(offset);
    try {
      cutPreallocated(seg.file, offset - seg.start, this.segmentBytes);
    } catch (e) {
      log.error(`commitlog: cannot truncate ${seg.file.path} after a failed write: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- read

  /** `size` bytes at `offset` (a whole record), from memory when recent, else from the file; undefined if gone. */
  read(offset: number, size: number): Buffer | undefined {
    if (offset < 0 || size <= 0 || offset + size > this.writtenOffset) return undefined;
    const cached = this.recent.exact(offset, size);
    if (cached) return cached;
    const seg = this.list.find(offset);
    if (!seg || offset + size > seg.start + this.segmentBytes) return undefined;
    const buf = Buffer.allocUnsafe(size);
    const n = seg.file.read(buf, 0, size, offset - seg.start);
    return n === size ? buf : undefined;
  }

  /**
   * Reads `[offset, offset + want)` from the file in one call, clipped to the segment and the written
   * end; at least `need` bytes or undefined. Lets a pull of old data read several records at once.
   */
  readSpan(offset: number, need: number, want: number): Buffer | undefined {
    if (offset < 0 || need <= 0 || offset + need > this.writtenOffset) return undefined;
    const seg = this.list.find(offset);
    if (!seg || offset + need > seg.start + this.segmentBytes) return undefined;
    const len = Math.max(need, Math.min(want, seg.start + this.segmentBytes - offset, this.writtenOffset - offset));
    const buf = Buffer.allocUnsafe(len);
    const n = seg.file.read(buf, 0, len, offset - seg.start);
    return n >= need ? buf.subarray(0, n) : undefined;
  }

  /** Whether `offset` is still in the in-memory recent window. */
  isRecent(offset: number): boolean {
    return this.recent.covers(offset);
  }

  /** The whole record at `offset` (size from its header), or undefined. */
  readRecord(offset: number): Buffer | undefined {
    const head = this.read(offset, 8);
    if (!head || readMagic(head) !== MESSAGE_MAGIC_CODE) return undefined;
    return this.read(offset, readTotalSize(head));
  }

  /** Start of the segment after the one holding `offset` (CommitLog#rollNextFile). */
  rollNextFile(offset: number): number {
    return offset + this.segmentBytes - (offset % this.segmentBytes);
  }

  // ---------------------------------------------------------------- open, cut, retention, sync

  /** Opens the existing segments (recovery then scans them). Gaps in the sequence are reported and cut. */
  load(): void {
    this.files.mkdirp(this.dir);
    // (Segments shorter than the configured size — torn, or written by an older version — are extended by setEnd.)
    const starts = this.list.startsOnDisk();
    for (const start of starts) {
      if (start % this.segmentBytes !== 0) {
        throw new Error(`commitlog segment ${offsetToFileName(start)} does not start at a multiple of mappedFileSizeCommitLog=${this.segmentBytes}; was the size changed?`);
      }
    }
    for (const start of starts) {
      const prev = this.list.last;
      if (prev && start !== prev.start + this.segmentBytes) {
        log.error(`commitlog: segment ${offsetToFileName(start)} does not follow ${offsetToFileName(prev.start)}; ignoring it and later ones`);
        break;
      }
      this.list.open(start);
    }
  }

  /** Cuts the log at `end`: truncates its segment, removes later ones, resets the write position. */
  setEnd(end: number): void {
    for (const dead of this.list.cutAt(end, 0)) {
      this.dirty.delete(dead);
      log.warn(`commitlog: removed segment ${offsetToFileName(dead.start)} past the end of the log (${end})`);
    }
    // The cut segment changed: the next sync makes the cut durable too.
    const last = this.list.last;
    if (last) this.dirty.add(last);
    this.reserveOffset = end;
    this.writtenOffset = end;
    this.pending = [];
    this.recent.clear();
  }

  /** Removes whole segments from the front (retention). Never the one being written. */
  removeFirstSegments(count: number): Segment[] {
    const removed: Segment[] = [];
    while (count-- > 0 && this.list.length > 1) {
      const s = this.list.removeFirst();
      this.dirty.delete(s);
      removed.push(s);
    }
    this.recent.dropBefore(this.minOffset);
    return removed;
  }

  /** Makes everything written so far durable; resolves with the offset that is now durable. */
  async sync(): Promise<number> {
    const upTo = this.writtenOffset;
    const segs = [...this.dirty];
    this.dirty.clear();
    const dirToo = this.list.takeCreated();
    try {
      await Promise.all([...segs.map((s) => s.file.sync()), dirToo ? this.files.syncDir(this.dir) : undefined]);
    } catch (e) {
      for (const s of segs) if (this.list.segments.includes(s)) this.dirty.add(s);
      if (dirToo) this.list.noteCreated();
      throw e;
    }
    return upTo;
  }

  close(): void {
    this.list.close();
  }
}
