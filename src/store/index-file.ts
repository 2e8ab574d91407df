/**
 * One IndexFile (IndexFile / IndexHeader): a hash index from `topic#key` to
 * CommitLog offsets, in the Java broker's byte layout:
 *   header 40 B: beginTimestamp i64, endTimestamp i64, beginPhyOffset i64, endPhyOffset i64,
 *                hashSlotCount i32, indexCount i32 (starts at 1: entry 0 is never used)
 *   slots:       hashSlotNum × i32, the newest entry number for the bucket (0 = empty)
 *   entries:     indexNum × 20 B: keyHash i32, phyOffset i64, timeDiff i32 (s since beginTimestamp), prevIndex i32
 *
 * The file being written keeps its slot table in memory (one Int32Array) so a put costs no read;
 * entries go to the OS once per tick, slots and header at each index flush. After a crash the slot
 * table is rebuilt from the entries, which are the source of truth.
 */
import assert from 'node:assert';
import { readInt64, writeInt64 } from '../codec/message-record.js';
import { javaStringHash } from '../codec/message-properties.js';
import { cutPreallocated, type StoreFile } from './store-files.js';

export const INDEX_HEADER_BYTES = 40;
const SLOT_BYTES = 4;
const ENTRY_BYTES = 20;
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Slot table pages written at flush when touched. */
const SLOT_PAGE_SLOTS = 1024;

/** IndexFile#indexKeyHashMethod: abs(String.hashCode()), with MIN_VALUE mapped to 0. */
export function indexKeyHash(key: string): number {
  return positiveHash(javaStringHash(key));
}

const HASH_SIGN = '#'.charCodeAt(0);

/** `indexKeyHash(topic + '#' + key)` from the topic's String.hashCode, without building the key. */
export function indexKeyHashOf(topicHash: number, key: string): number {
  return positiveHash(javaStringHash(key, (Math.imul(topicHash, 31) + HASH_SIGN) | 0));
}

function positiveHash(h: number): number {
  return h === -2147483648 ? 0 : Math.abs(h);
}

export class IndexFile {
  beginTimestamp = 0;
  endTimestamp = 0;
  beginPhyOffset = 0;
  endPhyOffset = 0;
  hashSlotCount = 0;
  indexCount = 1;
  /** In-memory slot table while this file is written; undefined once full/read-only. */
  private slots: Int32Array | undefined;
  private dirtyPages: Uint8Array | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private pendingLen = 0;
  private pendingFirst = 1;
  private headerDirty = false;
  private headerDue = false;
  /** Written since the last sync. */
  private unsynced = false;

  constructor(
    readonly file: StoreFile,
    readonly name: string,
    readonly hashSlotNum: number,
    readonly indexNum: number,
  ) {
    assert(hashSlotNum > 0 && indexNum > 1, 'index sizes must be positive');
  }

  private get entriesStart(): number {
    return INDEX_HEADER_BYTES + this.hashSlotNum * SLOT_BYTES;
  }

  isWriteFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  /** A new file continues from the previous one's end (IndexService#getAndCreateLastIndexFile). */
  /** Java's IndexFile size: header + slots + entries (the file is created at full size, sparse). */
  get fileBytes(): number {
    return INDEX_HEADER_BYTES + this.hashSlotNum * SLOT_BYTES + this.indexNum * ENTRY_BYTES;
  }

  initNew(prevEndPhyOffset: number, prevEndTimestamp: number): void {
    if (this.file.size() < this.fileBytes) this.file.truncate(this.fileBytes);
    this.beginPhyOffset = prevEndPhyOffset;
    this.endPhyOffset = prevEndPhyOffset;
    this.beginTimestamp = prevEndTimestamp;
    this.endTimestamp = prevEndTimestamp;
    this.slots = new Int32Array(this.hashSlotNum);
    this.dirtyPages = new Uint8Array(Math.ceil(this.hashSlotNum / SLOT_PAGE_SLOTS));
    this.headerDirty = true;
  }

  readHeader(): void {
    const h = Buffer.alloc(INDEX_HEADER_BYTES);
    this.file.read(h, 0, INDEX_HEADER_BYTES, 0);
    this.beginTimestamp = readInt64(h, 0);
    this.endTimestamp = readInt64(h, 8);
    this.beginPhyOffset = readInt64(h, 16);
    this.endPhyOffset = readInt64(h, 24);
    this.hashSlotCount = h.readInt32BE(32);
    this.indexCount = Math.max(1, h.readInt32BE(36));
  }

  /** Makes this file writable again after a restart: loads its slot table. */
  loadSlots(): void {
    const slots = new Int32Array(this.hashSlotNum);
    const raw = Buffer.from(slots.buffer);
    this.file.read(raw, 0, raw.length, INDEX_HEADER_BYTES);
    if (IS_LITTLE_ENDIAN) raw.swap32();
    this.slots = slots;
    this.dirtyPages = new Uint8Array(Math.ceil(this.hashSlotNum / SLOT_PAGE_SLOTS));
  }

  /**
   * Crash repair: keeps the entries that are plausible (non-decreasing offsets below `logEnd`,
   * chains pointing backwards), drops the rest, and rebuilds slots and header from them.
   */
  rebuildFromEntries(logEnd: number): { kept: number; dropped: number } {
    const present = Math.min(this.indexNum, Math.floor(Math.max(0, this.file.size() - this.entriesStart) / ENTRY_BYTES));
    const slots = new Int32Array(this.hashSlotNum);
    const chunk = Buffer.alloc(ENTRY_BYTES * 4096);
    let n = 1;
    let prevPhy = -1;
    let lastTimeDiff = 0;
    let slotCount = 0;
    scan: for (let first = 1; first < present; first += 4096) {
      const count = Math.min(4096, present - first);
      const got = this.file.read(chunk, 0, count * ENTRY_BYTES, this.entriesStart + first * ENTRY_BYTES);
      for (let k = 0; k * ENTRY_BYTES + ENTRY_BYTES <= got; k++) {
        const p = k * ENTRY_BYTES;
        const keyHash = chunk.readInt32BE(p);
        const phy = readInt64(chunk, p + 4);
        const timeDiff = chunk.readInt32BE(p + 12);
        const prev = chunk.readInt32BE(p + 16);
        const idx = first + k;
        // An all-zero entry is the untouched (preallocated) end.
        if (keyHash === 0 && phy === 0 && timeDiff === 0 && prev === 0) break scan;
        if (keyHash < 0 || phy < prevPhy || phy >= logEnd || phy < 0 || timeDiff < 0 || prev < 0 || prev >= idx) break scan;
        if (prev > 0 && prev >= n) break scan;
        const slot = keyHash % this.hashSlotNum;
        if (slots[slot] === 0) slotCount++;
        slots[slot] = idx;
        prevPhy = phy;
        lastTimeDiff = timeDiff;
        n = idx + 1;
      }
    }
    const dropped = Math.max(0, this.indexCount - n);
    this.indexCount = n;
    this.hashSlotCount = slotCount;
    if (n > 1) {
      this.endPhyOffset = prevPhy;
      // timeDiff has 1 s resolution: round the end up so a query for the last second still matches this file.
      this.endTimestamp = this.beginTimestamp + lastTimeDiff * 1000 + 999;
    } else {
      this.endPhyOffset = this.beginPhyOffset;
    }
    cutPreallocated(this.file, this.entriesStart + n * ENTRY_BYTES, this.fileBytes);
    this.slots = slots;
    this.dirtyPages = this.pagesDifferingOnDisk(slots);
    this.headerDirty = true;
    // The repaired table reaches the file at the next complete flush (or at once, by the caller, when the
    // file is full and about to be sealed). Only pages that differ from the file are written: writing the
    // whole table would allocate it in full, and a restart on a nearly full disk must not need new space.
    return { kept: n - 1, dropped };
  }

  /** Marks the slot pages whose rebuilt content differs from what the file holds (reads, never writes). */
  private pagesDifferingOnDisk(slots: Int32Array): Uint8Array {
    const pages = new Uint8Array(Math.ceil(this.hashSlotNum / SLOT_PAGE_SLOTS));
    const onDisk = Buffer.allocUnsafe(SLOT_PAGE_SLOTS * SLOT_BYTES);
    for (let pg = 0; pg < pages.length; pg++) {
      const first = pg * SLOT_PAGE_SLOTS;
      const bytes = Math.min(SLOT_PAGE_SLOTS, this.hashSlotNum - first) * SLOT_BYTES;
      const got = this.file.read(onDisk, 0, bytes, INDEX_HEADER_BYTES + first * SLOT_BYTES);
      if (got < bytes) onDisk.fill(0, got, bytes);
      for (let k = 0; k * SLOT_BYTES < bytes; k++) {
        if (onDisk.readInt32BE(k * SLOT_BYTES) !== slots[first + k]) {
          pages[pg] = 1;
          break;
        }
      }
    }
    return pages;
  }

  /** IndexFile#putKey, given the key's `indexKeyHash`. Returns false when the file is full. */
  putKey(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    if (this.indexCount >= this.indexNum) return false;
    assert(this.slots && this.dirtyPages, 'index file is read-only');
    const slot = keyHash % this.hashSlotNum;
    let prev = this.slots[slot];
    if (prev <= 0 || prev > this.indexCount) prev = 0;
    let timeDiff = this.beginTimestamp <= 0 ? 0 : Math.floor((storeTimestamp - this.beginTimestamp) / 1000);
    timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    const index = this.indexCount;
    if (this.pendingLen === 0) this.pendingFirst = index;
    if (this.pendingLen + ENTRY_BYTES > this.pending.length) {
      const next = Buffer.alloc(Math.max(4096, this.pending.length * 2));
      this.pending.copy(next, 0, 0, this.pendingLen);
      this.pending = next;
    }
    const p = this.pendingLen;
    this.pending.writeInt32BE(keyHash, p);
    writeInt64(this.pending, p + 4, phyOffset);
    this.pending.writeInt32BE(timeDiff, p + 12);
    this.pending.writeInt32BE(prev, p + 16);
    this.pendingLen += ENTRY_BYTES;
    this.slots[slot] = index;
    this.dirtyPages[Math.floor(slot / SLOT_PAGE_SLOTS)] = 1;
    if (this.indexCount <= 1) {
      this.beginPhyOffset = phyOffset;
      this.beginTimestamp = storeTimestamp;
      // timeDiffs are relative to beginTimestamp: it must reach the OS with the first entries.
      this.headerDue = true;
    }
    if (prev === 0) this.hashSlotCount++;
    this.indexCount++;
    this.endPhyOffset = phyOffset;
    this.endTimestamp = storeTimestamp;
    this.headerDirty = true;
    return true;
  }

  /** Hands this tick's entries to the OS in one write. */
  writePending(): void {
    if (this.pendingLen === 0) return;
    if (this.headerDue) {
      this.headerDue = false;
      this.writeHeader();
    }
    this.file.write(this.pending.subarray(0, this.pendingLen), this.entriesStart + this.pendingFirst * ENTRY_BYTES);
    this.pendingLen = 0;
    this.unsynced = true;
  }

  private writeHeader(): void {
    const h = Buffer.alloc(INDEX_HEADER_BYTES);
    writeInt64(h, 0, this.beginTimestamp);
    writeInt64(h, 8, this.endTimestamp);
    writeInt64(h, 16, this.beginPhyOffset);
    writeInt64(h, 24, this.endPhyOffset);
    h.writeInt32BE(this.hashSlotCount, 32);
    h.writeInt32BE(this.indexCount, 36);
    this.file.write(h, 0);
    this.unsynced = true;
  }

  /**
   * Makes the entries durable. With `complete` (clean shutdown, file full) the touched slot pages and
   * the header go too; otherwise they stay in memory: after a crash they are rebuilt from the entries,
   * so the periodic flush costs one small write, not the 20 MB slot table.
   */
  async flush(complete: boolean): Promise<void> {
    this.writePending();
    if (complete) this.writeSlotsAndHeader();
    if (!this.unsynced) return; // nothing written since the last sync: an idle broker does no fsync
    this.unsynced = false;
    try {
      await this.file.sync();
    } catch (e) {
      this.unsynced = true;
      throw e;
    }
  }

  /** Hands the touched slot pages and the header to the OS. */
  writeSlotsAndHeader(): void {
    if (this.slots && this.dirtyPages) {
      for (let pg = 0; pg < this.dirtyPages.length; pg++) {
        if (!this.dirtyPages[pg]) continue;
        const first = pg * SLOT_PAGE_SLOTS;
        const count = Math.min(SLOT_PAGE_SLOTS, this.hashSlotNum - first);
        // Int32Array is host-endian; the file is big-endian: copy the page and swap in native code.
        const page = Buffer.from(new Uint8Array(this.slots.buffer, first * SLOT_BYTES, count * SLOT_BYTES));
        if (IS_LITTLE_ENDIAN) page.swap32();
        this.file.write(page, INDEX_HEADER_BYTES + first * SLOT_BYTES);
        // Cleared only once written: a page whose write failed (no space) is retried at the next flush.
        this.dirtyPages[pg] = 0;
        this.unsynced = true;
      }
    }
    if (this.headerDirty) {
      this.writeHeader();
      this.headerDirty = false;
    }
  }

  /** Drops the in-memory slot table once the file is full and flushed. */
  seal(): void {
    this.slots = undefined;
    this.dirtyPages = undefined;
  }

  /** IndexFile#isTimeMatched. */
  isTimeMatched(begin: number, end: number): boolean {
    return (begin < this.beginTimestamp && end > this.endTimestamp) ||
      (begin >= this.beginTimestamp && begin <= this.endTimestamp) ||
      (end >= this.beginTimestamp && end <= this.endTimestamp);
  }

  /** IndexFile#selectPhyOffset: walks the bucket's chain, newest first. */
  selectPhyOffsets(out: number[], key: string, maxNum: number, begin: number, end: number): void {
    if (this.indexCount <= 1) return;
    const keyHash = indexKeyHash(key);
    const slot = keyHash % this.hashSlotNum;
    let next = this.slotValue(slot);
    if (next <= 0 || next > this.indexCount) return;
    const e = Buffer.alloc(ENTRY_BYTES);
    while (out.length < maxNum) {
      if (!this.readEntry(next, e)) break;
      const keyHashRead = e.readInt32BE(0);
      const phy = readInt64(e, 4);
      const timeDiff = e.readInt32BE(12);
      const prev = e.readInt32BE(16);
      if (timeDiff < 0) break;
      const time = this.beginTimestamp + timeDiff * 1000;
      if (keyHashRead === keyHash && time >= begin && time <= end) out.push(phy);
      if (prev <= 0 || prev > this.indexCount || prev === next || time < begin) break;
      next = prev;
    }
  }

  private slotValue(slot: number): number {
    if (this.slots) return this.slots[slot];
    const b = Buffer.alloc(SLOT_BYTES);
    return this.file.read(b, 0, SLOT_BYTES, INDEX_HEADER_BYTES + slot * SLOT_BYTES) === SLOT_BYTES ? b.readInt32BE(0) : 0;
  }

  private readEntry(index: number, into: Buffer): boolean {
    if (this.pendingLen > 0 && index >= this.pendingFirst) {
      const p = (index - this.pendingFirst) * ENTRY_BYTES;
      if (p + ENTRY_BYTES > this.pendingLen) return false;
      this.pending.copy(into, 0, p, p + ENTRY_BYTES);
      return true;
    }
    return this.file.read(into, 0, ENTRY_BYTES, this.entriesStart + index * ENTRY_BYTES) === ENTRY_BYTES;
  }

  close(): void {
    this.file.close();
  }
}
