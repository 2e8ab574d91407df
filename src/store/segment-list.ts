/**
 * An ordered list of fixed-size segment files in one directory, each named by its start offset
 * (MappedFileQueue): the CommitLog's and each ConsumeQueue's. The list knows files, offsets and
 * names; what is inside a segment is its owner's business.
 */
import assert from 'node:assert';
import path from 'node:path';
import { fileNameToOffset, offsetToFileName } from './file-names.js';
import { cutPreallocated, type StoreFile, type StoreFiles } from './store-files.js';

export interface Segment {
  start: number;
  file: StoreFile;
}

export class SegmentList {
  /** Oldest first; consecutive starts differ by segmentBytes (owners check that when they load). */
  readonly segments: Segment[] = [];
  /** A file was created since the owner last asked (its directory entry is not yet durable). */
  private created = false;

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    private readonly files: StoreFiles,
  ) {}

  get length(): number {
    return this.segments.length;
  }

  get first(): Segment | undefined {
    return this.segments[0];
  }

  /** Whether `s` is still one of the list's segments (not removed by retention or a cut). */
  has(s: Segment): boolean {
    return this.find(s.start) === s;
  }

  get last(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** Start offsets of the segment files in the directory, ascending; other names are ignored. */
  startsOnDisk(): number[] {
    const starts: number[] = [];
    for (const name of this.files.list(this.dir)) {
      const start = fileNameToOffset(name);
      if (start !== undefined) starts.push(start);
    }
    return starts.sort((a, b) => a - b);
  }

  /** Opens an existing segment file as the new last segment (loading, oldest first). */
  open(start: number): Segment {
    const seg = { start, file: this.files.open(path.join(this.dir, offsetToFileName(start)), false) };
    this.segments.push(seg);
    return seg;
  }

  /** The segment holding `offset` (binary search), or undefined. */
  find(offset: number): Segment | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid];
      if (offset < s.start) hi = mid - 1;
      else if (offset >= s.start + this.segmentBytes) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** The segment holding `offset`, creating the next one when the offset is at or past the end of the list. */
  forWrite(offset: number): Segment {
    const last = this.last;
    if (last && offset >= last.start && offset < last.start + this.segmentBytes) return last;
    if (!last || offset >= last.start + this.segmentBytes) return this.create(offset - (offset % this.segmentBytes));
    const seg = this.find(offset);
    assert(seg, `no segment of ${this.dir} holds offset ${offset}`);
    return seg;
  }

  private create(start: number): Segment {
    const file = this.files.open(path.join(this.dir, offsetToFileName(start)), true);
    // Full size up front, as the Java broker's MappedFile: sparse, so it costs no disk until written,
    // and a Java broker can open the store (it refuses segments of another length).
    if (file.size() < this.segmentBytes) file.truncate(this.segmentBytes);
    this.created = true;
    const seg = { start, file };
    this.segments.push(seg);
    return seg;
  }

  /** Whether a segment file was created since the last call (then the directory needs a sync); clears it. */
  takeCreated(): boolean {
    const c = this.created;
    this.created = false;
    return c;
  }

  /** After a failed directory sync: the created files still need one. */
  noteCreated(): void {
    this.created = true;
  }

  /** Closes and deletes the oldest segment (retention). The owner decides how many may go. */
  removeFirst(): Segment {
    const s = this.segments.shift();
    assert(s, 'no segment to remove');
    s.file.close();
    this.files.remove(s.file.path);
    return s;
  }

  /** Closes and deletes the newest segment. */
  removeLast(): Segment {
    const s = this.segments.pop();
    assert(s, 'no segment to remove');
    s.file.close();
    this.files.remove(s.file.path);
    return s;
  }

  /**
   * Ends the list at `end`: deletes the segments that start past it (keeping at least `keep`), then
   * cuts the last one there, so everything after `end` reads as zeros again. Returns the deleted ones.
   */
  cutAt(end: number, keep: number): Segment[] {
    const removed: Segment[] = [];
    while (this.segments.length > keep && this.segments[this.segments.length - 1].start > end) removed.push(this.removeLast());
    const last = this.last;
    if (last && end - last.start < this.segmentBytes) cutPreallocated(last.file, Math.max(0, end - last.start), this.segmentBytes);
    return removed;
  }

  close(): void {
    for (const s of this.segments) s.file.close();
  }
}
