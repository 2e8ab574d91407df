/**
 * The CommitLog's most recently written runs of bytes, kept referenced after their write so that
 * consumers that keep up, and slaves that keep up, read fresh data without a read syscall (our stand-in
 * for the Java broker's hot mmap'd pages). Runs are in log order and never change once written.
 */

/** A contiguous run of written log bytes starting at log offset `offset`. */
export interface CachedRun {
  offset: number;
  buf: Buffer;
}

export class RecentCache {
  /** Runs in log order from `head` on; the slots before `head` are dropped ones not yet compacted away. */
  private runs: CachedRun[] = [];
  private head = 0;
  private bytes = 0;

  /** `limitBytes` 0 keeps nothing (tests use it to exercise file reads). */
  constructor(private readonly limitBytes: number) {}

  /** Keeps a run just written; the oldest runs go once the cache is over its limit (the newest always stays). */
  add(run: CachedRun): void {
    if (this.limitBytes <= 0) return;
    this.runs.push(run);
    this.bytes += run.buf.length;
    while (this.bytes > this.limitBytes && this.runs.length - this.head > 1) this.dropOldest();
    this.compact();
  }

  clear(): void {
    this.runs = [];
    this.head = 0;
    this.bytes = 0;
  }

  /** Forgets runs starting before `offset` (retention removed their segments). */
  dropBefore(offset: number): void {
    while (this.head < this.runs.length && this.runs[this.head].offset < offset) this.dropOldest();
    this.compact();
  }

  /** Whether `offset` is at or after the oldest cached byte. */
  covers(offset: number): boolean {
    return this.head < this.runs.length && offset >= this.runs[this.head].offset;
  }

  /**
   * Dropping by moving `head` instead of Array#shift: a full cache of small runs (one per write tick) holds
   * ~100k entries, and shift() moves them all on every tick (13 % of a send profile at 8 producer threads).
   */
  private dropOldest(): void {
    this.bytes -= this.runs[this.head].buf.length;
    this.runs[this.head++] = undefined as unknown as CachedRun;
  }

  /** Removes the dropped slots once they are half the array: each run is moved O(1) times on average. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.runs.length) {
      this.runs = this.runs.slice(this.head);
      this.head = 0;
    }
  }

  /** Exactly `size` bytes at `offset` when one run holds them all (no copy), else undefined. */
  exact(offset: number, size: number): Buffer | undefined {
    const c = this.runAt(offset);
    if (!c) return undefined;
    const rel = offset - c.offset;
    return rel + size <= c.buf.length ? c.buf.subarray(rel, rel + size) : undefined;
  }

  /** Between 1 and `max` bytes from `offset`, as far as the run holding it goes (no copy), else undefined. */
  upTo(offset: number, max: number): Buffer | undefined {
    const c = this.runAt(offset);
    if (!c) return undefined;
    const rel = offset - c.offset;
    return rel < c.buf.length ? c.buf.subarray(rel, rel + Math.min(max, c.buf.length - rel)) : undefined;
  }

  /** The last run starting at or before `offset` (binary search), or undefined. */
  private runAt(offset: number): CachedRun | undefined {
    const r = this.runs;
    if (this.head >= r.length || offset < r[this.head].offset) return undefined;
    let lo = this.head;
    let hi = r.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (r[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return r[lo];
  }
}
