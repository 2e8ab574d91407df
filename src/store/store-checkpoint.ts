/**
 * The `checkpoint` file (StoreCheckpoint): one 4 KiB page holding, as big-endian int64,
 *   @0 physicMsgTimestamp  store time of the last CommitLog record known durable
 *   @8 logicsMsgTimestamp  store time of the last ConsumeQueue unit known durable
 *   @16 indexMsgTimestamp  store time of the last indexed record known durable
 * After a crash, recovery re-scans the CommitLog from the segment whose first record is no newer
 * than the smallest of these (minus 3 s), so everything not known durable is checked and re-indexed.
 */
import path from 'node:path';
import { log } from '../logger.js';
import { readInt64, writeInt64 } from '../codec/message-record.js';
import type { StoreFile, StoreFiles } from './store-files.js';

/** MappedFile.OS_PAGE_SIZE: the Java broker maps exactly one page. */
const CHECKPOINT_BYTES = 4096;
/** StoreCheckpoint#getMinTimestamp: records stored up to 3 s before a durable point are re-checked (clock slack). */
const MIN_TIMESTAMP_SLACK_MS = 3000;

export class StoreCheckpoint {
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  /** Whether the file existed when the store started. */
  readonly existed: boolean;
  private readonly file: StoreFile;
  private readonly page = Buffer.alloc(CHECKPOINT_BYTES);
  private writing: Promise<void> | undefined;
  private flushedKey = '';

  constructor(files: StoreFiles, rootDir: string) {
    const p = path.join(rootDir, 'checkpoint');
    this.existed = files.exists(p);
    this.file = files.open(p, true);
    if (this.existed && this.file.size() >= 24) {
      const b = Buffer.alloc(24);
      this.file.read(b, 0, 24, 0);
      this.physicMsgTimestamp = readInt64(b, 0);
      this.logicsMsgTimestamp = readInt64(b, 8);
      this.indexMsgTimestamp = readInt64(b, 16);
      log.info(`checkpoint: physic ${iso(this.physicMsgTimestamp)}, logics ${iso(this.logicsMsgTimestamp)}, index ${iso(this.indexMsgTimestamp)}`);
    }
  }

  /** StoreCheckpoint#getMinTimestamp (index included when `withIndex`, as getMinTimestampIndex). */
  minTimestamp(withIndex: boolean): number {
    let min = Math.min(this.physicMsgTimestamp, this.logicsMsgTimestamp);
    if (withIndex) min = Math.min(min, this.indexMsgTimestamp);
    return Math.max(0, min - MIN_TIMESTAMP_SLACK_MS);
  }

  /** Writes the page and syncs it, unless nothing changed since the last flush (an idle broker does no fsync). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    const key = `${this.physicMsgTimestamp}/${this.logicsMsgTimestamp}/${this.indexMsgTimestamp}`;
    if (key === this.flushedKey) return;
    writeInt64(this.page, 0, this.physicMsgTimestamp);
    writeInt64(this.page, 8, this.logicsMsgTimestamp);
    writeInt64(this.page, 16, this.indexMsgTimestamp);
    this.file.write(this.page, 0);
    this.writing = this.file.sync().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
    // Only a page that reached the disk counts as flushed; a failed write or sync is tried again.
    this.flushedKey = key;
  }

  close(): void {
    this.file.close();
  }
}

const iso = (t: number): string => (t > 0 ? new Date(t).toISOString() : '0');
