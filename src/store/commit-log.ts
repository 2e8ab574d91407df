/**
 * The CommitLog: every record of every topic, appended to segment files named by their start
 * offset (protocol.md §5.9). A record never spans two segments: when it would not leave the
 * 8-byte end-of-file filler room, the filler is written and the log rolls to the next segment.
 *
 * Write path (hot): the store reserves room, encodes records straight into a write slab, and at the
 * end of the tick `writePending()` hands each contiguous run to the OS in one write. Written runs
 * stay referenced as the "recent" cache, so pulls of fresh data are served from memory without a
 * read syscall; older data is read from the segment file (page cache).
 */
import assert from 'node:assert';
import path from 'node:path';
import { log } from '../logger.js';
import {
  BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH, MESSAGE_MAGIC_CODE, encodeBlank, readMagic, readTotalSize, verifyRecord,
} from '../codec/message-record.js';
import { fileNameToOffset, offsetToFileName } from './file-names.js';
import { cutPreallocated, type StoreFile, type StoreFiles } from './store-files.js';

/** Write slab size: one allocation serves many ticks of small records (records larger than this get their own). */
const SLAB_BYTES = 4 * 1024 * 1024;
/** Recovery read window (grown for a record larger than this). */
const SCAN_WINDOW_BYTES = 16 * 1024 * 1024;

export interface Segment {
  start: number;
  file: StoreFile;
}

/** A contiguous run of bytes: in the slab, headed for (or already in) one segment. */
interface Chunk {
  offset: number;
  buf: Buffer;
  segment: Segment;
}

export interface Reservation {
  buf: Buffer;
  pos: number;
  offset: number;
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

export interface ScannedRecord {
  buf: Buffer;
  pos: number;
  offset: number;
  size: number;
}

export class CommitLog {
  readonly segments: Segment[] = [];
  /** Next physical offset to assign (includes reserved, not yet written bytes). */
  private reserveOffset = 0;
  /** End of what is in the OS (written). */
  private writtenOffset = 0;
  private slab = Buffer.alloc(0);
  private slabPos = 0;
  private pending: Chunk[] = [];
  private recent: Chunk[] = [];
  private recentBytes = 0;
  /** Segments written since their last sync. */
  private readonly dirty = new Set<Segment>();
  /** A segment was created since the directory was last synced. */
  private dirDirty = false;
  private readonly lastMark: ReserveMark = { reserveOffset: 0, slab: Buffer.alloc(0), slabPos: 0, pendingCount: 0, lastChunkBytes: 0 };

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    private readonly files: StoreFiles,
    private readonly recentCacheBytes: number,
  ) {
    assert(segmentBytes > 64, 'mappedFileSizeCommitLog too small');
  }

  get maxOffset(): number {
    return this.writtenOffset;
  }

  get minOffset(): number {
    return this.segments.length ? this.segments[0].start : this.writtenOffset;
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
   * Reserves `bytes` contiguous bytes in one segment, rolling (and writing the filler) if needed.
   * The caller encodes into buf[pos..pos+bytes) for records starting at `offset`.
   */
  reserve(bytes: number): Reservation {
    assert(bytes > 0 && bytes <= this.maxAppendBytes, 'reservation larger than a segment');
    let segment = this.segmentFor(this.reserveOffset);
    const used = this.reserveOffset - segment.start;
    const remaining = this.segmentBytes - used;
    if (bytes + END_FILE_MIN_BLANK_LENGTH > remaining) {
      // DefaultAppendMessageCallback#doAppend: fill the tail, roll, retry in the next file.
      const blank = this.take(END_FILE_MIN_BLANK_LENGTH, segment);
      encodeBlank(blank.buf, blank.pos, remaining);
      this.reserveOffset = segment.start + this.segmentBytes;
      segment = this.segmentFor(this.reserveOffset);
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

  /** Claims slab space for bytes at reserveOffset within `segment`, extending the open chunk when contiguous. */
  private take(bytes: number, segment: Segment): Reservation {
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
    return { buf: this.slab, pos, offset };
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
      this.remember(c);
    }
  }

  /** After a failed write: forget everything from `offset` on, so the next append reuses it. */
  private rollBackTo(offset: number): void {
    this.pending = [];
    this.reserveOffset = offset;
    this.writtenOffset = offset;
    this.slab = Buffer.alloc(0);
    this.slabPos = 0;
    const seg = this.segmentFor(offset);
    try {
      cutPreallocated(seg.file, offset - seg.start, this.segmentBytes);
    } catch (e) {
      log.error(`commitlog: cannot truncate ${seg.file.path} after a failed write: ${(e as Error).message}`);
    }
  }

  private remember(c: Chunk): void {
    if (this.recentCacheBytes <= 0) return;
    this.recent.push(c);
    this.recentBytes += c.buf.length;
    while (this.recentBytes > this.recentCacheBytes && this.recent.length > 1) {
      this.recentBytes -= this.recent.shift()!.buf.length;
    }
  }

  /** The segment holding `offset`, opening (creating) it when the log reaches a new one. */
  private segmentFor(offset: number): Segment {
    const last = this.segments[this.segments.length - 1];
    if (last && offset >= last.start && offset < last.start + this.segmentBytes) return last;
    if (!last || offset >= last.start + this.segmentBytes) {
      const start = offset - (offset % this.segmentBytes);
      const file = this.files.open(path.join(this.dir, offsetToFileName(start)), true);
      // Full size up front, as the Java broker's MappedFile: sparse, so it costs no disk until written,
      // and a Java broker can open the store (it refuses segments of another length).
      if (file.size() < this.segmentBytes) file.truncate(this.segmentBytes);
      this.dirDirty = true;
      const seg = { start, file };
      this.segments.push(seg);
      return seg;
    }
    const seg = this.findSegment(offset);
    assert(seg, `no segment holds offset ${offset}`);
    return seg;
  }

  findSegment(offset: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid];
      if (offset < s.start) hi = mid - 1;
      else if (offset >= s.start + this.segmentBytes) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- read

  /** `size` bytes at `offset` (a whole record), from memory when recent, else from the file; undefined if gone. */
  read(offset: number, size: number): Buffer | undefined {
    if (offset < 0 || size <= 0 || offset + size > this.writtenOffset) return undefined;
    const cached = this.readRecent(offset, size);
    if (cached) return cached;
    const seg = this.findSegment(offset);
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
    const seg = this.findSegment(offset);
    if (!seg || offset + need > seg.start + this.segmentBytes) return undefined;
    const len = Math.max(need, Math.min(want, seg.start + this.segmentBytes - offset, this.writtenOffset - offset));
    const buf = Buffer.allocUnsafe(len);
    const n = seg.file.read(buf, 0, len, offset - seg.start);
    return n >= need ? buf.subarray(0, n) : undefined;
  }

  /** Whether `offset` is still in the in-memory recent window. */
  isRecent(offset: number): boolean {
    return this.recent.length > 0 && offset >= this.recent[0].offset;
  }

  private readRecent(offset: number, size: number): Buffer | undefined {
    const r = this.recent;
    if (r.length === 0 || offset < r[0].offset) return undefined;
    let lo = 0;
    let hi = r.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (r[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const c = r[lo];
    const rel = offset - c.offset;
    if (rel + size > c.buf.length) return undefined;
    return c.buf.subarray(rel, rel + size);
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

  // ---------------------------------------------------------------- open and recover

  /** Opens the existing segments (no scan yet). Gaps in the sequence are reported and cut. */
  load(): void {
    this.files.mkdirp(this.dir);
    const starts: number[] = [];
    for (const name of this.files.list(this.dir)) {
      const start = fileNameToOffset(name);
      if (start === undefined) continue;
      if (start % this.segmentBytes !== 0) {
        throw new Error(`commitlog segment ${name} does not start at a multiple of mappedFileSizeCommitLog=${this.segmentBytes}; was the size changed?`);
      }
      starts.push(start);
    }
    // (Segments shorter than the configured size — torn, or written by an older version — are extended by setEnd.)
    starts.sort((a, b) => a - b);
    for (const start of starts) {
      const prev = this.segments[this.segments.length - 1];
      if (prev && start !== prev.start + this.segmentBytes) {
        log.error(`commitlog: segment ${offsetToFileName(start)} does not follow ${offsetToFileName(prev.start)}; ignoring it and later ones`);
        break;
      }
      this.segments.push({ start, file: this.files.open(path.join(this.dir, offsetToFileName(start)), false) });
    }
  }

  /**
   * Scans records from the start of segment `fromIndex`, verifying each (magic, size, field
   * lengths, body CRC); calls `onRecord` for each good one. The first bad or missing record ends the
   * log: that segment is cut there and later segments are removed. Returns the end offset.
   */
  recover(fromIndex: number, maxRecordBytes: number, onRecord: (r: ScannedRecord) => void): { end: number; scannedBytes: number; records: number } {
    if (this.segments.length === 0) {
      this.setEnd(0);
      return { end: 0, scannedBytes: 0, records: 0 };
    }
    let window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW_BYTES, this.segmentBytes));
    let end = this.segments[Math.max(0, fromIndex)].start;
    let records = 0;
    let scannedBytes = 0;
    let broken: string | undefined;
    segments: for (let i = Math.max(0, fromIndex); i < this.segments.length; i++) {
      const seg = this.segments[i];
      const fileSize = Math.min(seg.file.size(), this.segmentBytes);
      let winStart = 0;
      let winLen = 0;
      let p = 0;
      end = seg.start;
      for (;;) {
        if (p + 8 > winStart + winLen) {
          ({ winStart, winLen } = this.fill(seg, window, p, fileSize));
          if (p + 8 > winStart + winLen) {
            if (p < fileSize) broken = `torn record header at ${seg.start + p}`;
            break segments;
          }
        }
        const rel = p - winStart;
        const magic = readMagic(window, rel);
        const total = readTotalSize(window, rel);
        if (magic === BLANK_MAGIC_CODE) {
          if (total !== this.segmentBytes - p) {
            broken = `filler at ${seg.start + p} says ${total} bytes remain, segment has ${this.segmentBytes - p}`;
            break segments;
          }
          scannedBytes += 8;
          end = seg.start + this.segmentBytes;
          continue segments;
        }
        if (magic !== MESSAGE_MAGIC_CODE || total <= 0 || total > maxRecordBytes || p + total > this.segmentBytes) {
          if (p < fileSize && !(magic === 0 && total === 0)) broken = `bad record header at ${seg.start + p}`;
          break segments;
        }
        if (rel + total > winLen) {
          if (p + total > fileSize) {
            broken = `torn record at ${seg.start + p} (${total} bytes, ${fileSize - p} in the file)`;
            break segments;
          }
          // Only a record the file really holds may grow the window (a corrupt size must not allocate wildly).
          if (total > window.length) window = Buffer.allocUnsafe(total);
          ({ winStart, winLen } = this.fill(seg, window, p, fileSize));
          if (total > winLen) {
            broken = `torn record at ${seg.start + p} (${total} bytes, ${winLen} on disk)`;
            break segments;
          }
        }
        const r = p - winStart;
        const bad = verifyRecord(window, r, r + total, true);
        if (bad) {
          broken = `${bad} at ${seg.start + p}`;
          break segments;
        }
        onRecord({ buf: window, pos: r, offset: seg.start + p, size: total });
        records++;
        scannedBytes += total;
        p += total;
        end = seg.start + p;
      }
    }
    if (broken) log.warn(`commitlog recovery: ${broken}; log ends at ${end}`);
    this.setEnd(end);
    return { end, scannedBytes, records };
  }

  private fill(seg: Segment, window: Buffer, from: number, fileSize: number): { winStart: number; winLen: number } {
    const want = Math.min(window.length, Math.max(0, fileSize - from));
    const n = want > 0 ? seg.file.read(window, 0, want, from) : 0;
    return { winStart: from, winLen: n };
  }

  /** Cuts the log at `end`: truncates its segment, removes later ones, resets the write position. */
  setEnd(end: number): void {
    while (this.segments.length > 0 && this.segments[this.segments.length - 1].start > end) {
      const dead = this.segments.pop()!;
      this.dirty.delete(dead);
      dead.file.close();
      this.files.remove(dead.file.path);
      log.warn(`commitlog: removed segment ${offsetToFileName(dead.start)} past the end of the log (${end})`);
    }
    const last = this.segments[this.segments.length - 1];
    if (last && end - last.start < this.segmentBytes) cutPreallocated(last.file, end - last.start, this.segmentBytes);
    this.reserveOffset = end;
    this.writtenOffset = end;
    this.pending = [];
    this.recent = [];
    this.recentBytes = 0;
  }

  /** Removes whole segments from the front (retention). Never the one being written. */
  removeFirstSegments(count: number): Segment[] {
    const removed: Segment[] = [];
    while (count-- > 0 && this.segments.length > 1) {
      const s = this.segments.shift()!;
      this.dirty.delete(s);
      s.file.close();
      this.files.remove(s.file.path);
      removed.push(s);
    }
    while (this.recent.length && this.recent[0].offset < this.minOffset) this.recentBytes -= this.recent.shift()!.buf.length;
    return removed;
  }

  /** Makes everything written so far durable; resolves with the offset that is now durable. */
  async sync(): Promise<number> {
    const upTo = this.writtenOffset;
    const segs = [...this.dirty];
    this.dirty.clear();
    const dirToo = this.dirDirty;
    this.dirDirty = false;
    try {
      await Promise.all([...segs.map((s) => s.file.sync()), dirToo ? this.files.syncDir(this.dir) : undefined]);
    } catch (e) {
      for (const s of segs) if (this.segments.includes(s)) this.dirty.add(s);
      if (dirToo) this.dirDirty = true;
      throw e;
    }
    return upTo;
  }

  close(): void {
    for (const s of this.segments) s.file.close();
  }
}
