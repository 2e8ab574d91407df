/**
 * The epoch file (EpochFileCache over CheckpointFile<EpochEntry>, rocketmq-store / rocketmq-common 5.3.3):
 * which controller epoch wrote which stretch of the CommitLog. The same bytes as the Java broker's
 * `<storePathRootDir>/epochFileCheckpoint` (storePathEpochFile when set):
 *
 *   <number of entries>\n
 *   <crc>\n                  UtilAll.crc32 (IEEE CRC-32 & 0x7fffffff) of the entry lines below, each with its \n
 *   <epoch>-<startOffset>\n  one line per entry, ascending epoch
 *
 * e.g. "2\n<crc of '7-7000\n8-8000\n'>\n7-7000\n8-8000\n" (the example in CheckpointFile's javadoc).
 * End offsets are not stored: an entry ends where the next begins, the last one is open (Long.MAX_VALUE in
 * Java, OPEN_END_OFFSET here) until someone sets it to the log end (setLastEpochEntryEndOffset).
 *
 * Reading (CheckpointFile#read): the file, or `<file>.bak` when the file is missing, empty of entries or
 * broken (entry count or crc not matching; a crc of 0 is not checked). Writing (MixAll#string2File) keeps the
 * previous content as `<file>.bak`; we write `<file>.tmp` and rename it over the file (writeFileAtomic), so a
 * kill never leaves a half-written file for either reader.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from '../../../codec/crc32.js';
import { writeFileAtomic } from '../../../config/persist.js';
import { log } from '../../../logger.js';
import type { EpochEntry } from './types.js';

/** MessageStoreConfig#getStorePathEpochFile's default name under storePathRootDir. */
export const EPOCH_FILE_NAME = 'epochFileCheckpoint';
/**
 * An entry still being written (Java's Long.MAX_VALUE): the largest offset a JS number holds exactly. Anything
 * that sends an end offset to a Java peer should send the real log end instead, as the Java broker does.
 */
export const OPEN_END_OFFSET = Number.MAX_SAFE_INTEGER;
/** CheckpointFile.NOT_CHECK_CRC_MAGIC_CODE: a file whose crc line is 0 is read without a crc check. */
const NOT_CHECK_CRC = 0;

/** The epoch file's path as MessageStoreConfig#getStorePathEpochFile gives it. */
export function epochFilePath(storePathRootDir: string, storePathEpochFile?: string): string {
  return storePathEpochFile ? storePathEpochFile : path.join(storePathRootDir, EPOCH_FILE_NAME);
}

/** CheckpointFile#write's content for `entries` (EpochEntrySerializer#toLine: "%d-%d"). */
export function encodeEpochFile(entries: readonly { epoch: number; startOffset: number }[]): string {
  const lines = entries.map((e) => `${e.epoch}-${e.startOffset}\n`).join('');
  return `${entries.length}\n${crc32(Buffer.from(lines, 'utf8'))}\n${lines}`;
}

/**
 * CheckpointFile#read(path) on a file's text: the entries in file order, or a reason the file is broken.
 * As BufferedReader#readLine, lines end at \n, \r\n or \r; a line that is not "<int>-<long>" is skipped (but
 * counted in the crc), as EpochEntrySerializer#fromLine returns null for it.
 */
export function decodeEpochFile(text: string): { epoch: number; startOffset: number }[] | string {
  const lines = text.split(/\r\n|\r|\n/);
  // readLine: a final terminator does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === '' && /[\r\n]$/.test(text)) lines.pop();
  if (lines.length < 2 || !isInt(lines[0]) || !isInt(lines[1])) return 'no entry count and crc lines';
  const expectedCount = Number(lines[0]);
  const expectedCrc = Number(lines[1]);
  const entries: { epoch: number; startOffset: number }[] = [];
  let body = '';
  for (const line of lines.slice(2)) {
    body += `${line}\n`;
    // String#split("-") drops trailing empty parts, so "5-" is one part (skipped) and "5-1-" two.
    const parts = line.split('-');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    if (parts.length !== 2) continue;
    if (!isInt(parts[0]) || !isInt(parts[1])) return `entry line '${line}' is not <epoch>-<startOffset>`;
    entries.push({ epoch: Number(parts[0]), startOffset: Number(parts[1]) });
  }
  if (entries.length !== expectedCount) return `expect ${expectedCount} entries, only found ${entries.length} entries`;
  const crc = crc32(Buffer.from(body, 'utf8'));
  if (expectedCrc !== NOT_CHECK_CRC && crc !== expectedCrc) return `entries crc32 not match, file=${expectedCrc}, truth=${crc}`;
  return entries;
}

const isInt = (s: string): boolean => /^[+-]?\d+$/.test(s);

/** Entries with each end offset set to the next entry's start (EpochFileCache#initEntries), last one open. */
function chain(list: readonly { epoch: number; startOffset: number }[]): EpochEntry[] {
  const byEpoch = new Map<number, EpochEntry>();
  let prev: EpochEntry | undefined;
  for (const e of list) {
    const entry = { epoch: e.epoch, startOffset: e.startOffset, endOffset: OPEN_END_OFFSET };
    byEpoch.set(entry.epoch, entry);
    if (prev) prev.endOffset = entry.startOffset;
    prev = entry;
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

const copy = (e: EpochEntry): EpochEntry => ({ epoch: e.epoch, startOffset: e.startOffset, endOffset: e.endOffset });

/**
 * EpochFileCache: the entries in ascending epoch, and the file they are kept in (none for a cache built from a
 * peer's entries, as AutoSwitchHAClient#doTruncate builds one for the master's). Every change is written at once.
 */
export class EpochFile {
  private list: EpochEntry[] = [];

  /** `filePath`: where the entries are kept (epochFilePath); undefined keeps them in memory only. */
  constructor(readonly filePath?: string) {}

  /** A memory-only cache of `entries` (EpochFileCache#initCacheFromEntries on a new EpochFileCache()). */
  static of(entries: readonly { epoch: number; startOffset: number }[]): EpochFile {
    const f = new EpochFile();
    f.list = chain(entries);
    return f;
  }

  /**
   * EpochFileCache#initCacheFromFile: the entries from the file, or from `<file>.bak` when the file is
   * missing, has no entries or is broken. False when a file exists but neither it nor the backup reads (the
   * entries are then left empty, as Java leaves its map).
   */
  load(): boolean {
    if (!this.filePath) return true;
    const main = readEntries(this.filePath);
    let got = main;
    if (typeof main === 'string' || main.length === 0) {
      if (typeof main === 'string') log.warn(`epoch file ${this.filePath}: ${main}; trying ${this.filePath}.bak`);
      got = readEntries(`${this.filePath}.bak`);
    }
    if (typeof got === 'string') {
      log.error(`epoch file ${this.filePath}.bak: ${got}; starting with no epoch entries`);
      this.list = [];
      return false;
    }
    this.list = chain(got);
    return true;
  }

  get size(): number {
    return this.list.length;
  }

  /** Copies, ascending epoch (EpochFileCache#getAllEntries). */
  entries(): EpochEntry[] {
    return this.list.map(copy);
  }

  firstEntry(): EpochEntry | undefined {
    return this.list.length > 0 ? copy(this.list[0]) : undefined;
  }

  lastEntry(): EpochEntry | undefined {
    return this.list.length > 0 ? copy(this.list[this.list.length - 1]) : undefined;
  }

  /** The newest epoch, -1 when there is none (EpochFileCache#lastEpoch). */
  lastEpoch(): number {
    return this.list.length > 0 ? this.list[this.list.length - 1].epoch : -1;
  }

  entry(epoch: number): EpochEntry | undefined {
    const e = this.list.find((x) => x.epoch === epoch);
    return e ? copy(e) : undefined;
  }

  /** The first entry with an epoch above `epoch` (EpochFileCache#nextEntry: ceilingEntry(epoch + 1)). */
  nextEntry(epoch: number): EpochEntry | undefined {
    const e = this.list.find((x) => x.epoch > epoch);
    return e ? copy(e) : undefined;
  }

  /** The entry whose [startOffset, endOffset) holds `offset` (EpochFileCache#findEpochEntryByOffset). */
  findByOffset(offset: number): EpochEntry | undefined {
    const e = this.list.find((x) => x.startOffset <= offset && x.endOffset > offset);
    return e ? copy(e) : undefined;
  }

  /**
   * EpochFileCache#appendEntry: `epoch` begins at `startOffset`, closing the last entry there. Refused (false,
   * nothing written) unless both the epoch and the start offset are above the last entry's.
   */
  append(epoch: number, startOffset: number): boolean {
    const last = this.list[this.list.length - 1];
    if (last) {
      if (last.epoch >= epoch || last.startOffset >= startOffset) {
        log.error(`epoch entry ${epoch}-${startOffset} is not after the last one ${last.epoch}-${last.startOffset}: not appended`);
        return false;
      }
      last.endOffset = startOffset;
    }
    this.list.push({ epoch, startOffset, endOffset: OPEN_END_OFFSET });
    this.flush();
    return true;
  }

  /** The last entry ends at `endOffset` (the log end), unless that is before its start. In memory only, as Java. */
  setLastEpochEntryEndOffset(endOffset: number): void {
    const last = this.list[this.list.length - 1];
    if (last && last.startOffset <= endOffset) last.endOffset = endOffset;
  }

  /** Removes the entries of `epoch` and later ones. */
  truncateSuffixByEpoch(epoch: number): void {
    this.truncateSuffix((e) => e.epoch >= epoch);
  }

  /** Removes the entries that start at or after `offset` (the log was cut there). */
  truncateSuffixByOffset(offset: number): void {
    this.truncateSuffix((e) => e.startOffset >= offset);
  }

  /** Removes the entries that end at or before `offset` (the log before it was deleted). */
  truncatePrefixByOffset(offset: number): void {
    this.list = this.list.filter((e) => !(e.endOffset <= offset));
    this.flush();
  }

  /**
   * EpochFileCache#findConsistentPoint: the newest epoch both sides have starting at the same offset; the
   * two logs agree up to the smaller of its two end offsets. -1 when no epoch matches. Set both last end
   * offsets to the log ends first (consistentPoint does).
   */
  findConsistentPoint(other: EpochFile): number {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const mine = this.list[i];
      const theirs = other.list.find((e) => e.epoch === mine.epoch);
      if (theirs && theirs.startOffset === mine.startOffset) return Math.min(mine.endOffset, theirs.endOffset);
    }
    return -1;
  }

  private truncateSuffix(drop: (e: EpochEntry) => boolean): void {
    this.list = this.list.filter((e) => !drop(e));
    // The new last entry is open again. (Java 5.3.3 means to do this but sets it on a copy; the end offset is
    // never written to the file, and every reader sets the last end to the log end before using it.)
    const last = this.list[this.list.length - 1];
    if (last) last.endOffset = OPEN_END_OFFSET;
    this.flush();
  }

  private flush(): void {
    if (!this.filePath) return;
    try {
      if (this.list.length === 0) {
        // CheckpointFile#write skips an empty list, leaving the old entries on disk to come back at the next
        // start. No file (and no backup) is what both readers take for "no entries", so remove them instead.
        fs.rmSync(this.filePath, { force: true });
        fs.rmSync(`${this.filePath}.bak`, { force: true });
        return;
      }
      writeFileAtomic(this.filePath, encodeEpochFile(this.list));
    } catch (e) {
      // As EpochFileCache#flush: the entries in memory stay right; the next change writes them all again.
      log.error(`epoch file ${this.filePath}: write failed: ${(e as Error).message}`);
    }
  }
}

function readEntries(file: string): { epoch: number; startOffset: number }[] | string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return (e as Error).message;
  }
  return decodeEpochFile(text);
}

/**
 * Where a slave's log stops agreeing with the master's (AutoSwitchHAClient#doTruncate): both entry lists
 * chained, each last entry closed at its side's log end, then findConsistentPoint. -1: no common point (the
 * slave must not replicate). A slave with no entries at all is new and takes everything from offset 0, which
 * the caller decides before calling this (doTruncate does not compute a point then).
 */
export function consistentPoint(
  local: readonly { epoch: number; startOffset: number }[], localMaxOffset: number,
  master: readonly { epoch: number; startOffset: number }[], masterMaxOffset: number,
): number {
  const m = EpochFile.of(master);
  m.setLastEpochEntryEndOffset(masterMaxOffset);
  const l = EpochFile.of(local);
  l.setLastEpochEntryEndOffset(localMaxOffset);
  return l.findConsistentPoint(m);
}
