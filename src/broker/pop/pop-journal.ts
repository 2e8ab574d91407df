/**
 * POP's durability: an append-only journal of `PopRecord`s plus a snapshot, under
 * <storePathRootDir>/config/popCheckPoint.{log,json}.
 *
 * Why not the Java broker's revive topic (ck/ack messages in the CommitLog, replayed by
 * PopReviveService)? The same guarantee needs far less here: the records are tiny, replayed in order,
 * and a journal line is on its way to the file before the request it records is answered.
 *
 * What is written when, relative to the answers:
 * - POP_MESSAGE: the checkpoint line is written (write(2), synchronously) before the response with the
 *   messages is returned. A SIGKILL after the answer therefore keeps the checkpoint: the messages are
 *   re-delivered after their invisible time, never lost.
 * - ACK_MESSAGE / BATCH_ACK / CHANGE_MESSAGE_INVISIBLETIME: the ack line is written before SUCCESS is
 *   returned, so an acked message is never delivered again once its ack was answered.
 * - A SIGKILL leaves written lines in the OS page cache, which reaches the file: write(2) suffices. For
 *   power loss the journal is fdatasync'ed per record when flushDiskType=SYNC_FLUSH, otherwise at each
 *   compaction (every flushDelayOffsetInterval) and at shutdown, as the CommitLog's ASYNC_FLUSH does.
 * - Compaction writes the whole state as a snapshot (tmp + fsync + rename, writeFileAtomic) tagged with
 *   the last record's sequence number, then empties the journal. A crash in between replays only lines
 *   numbered after the snapshot's, so no record is applied twice. A torn last line (crash mid-write)
 *   is ignored: its request was never answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, loadStateFile } from '../../config/persist.js';
import { log } from '../../logger.js';
import type { PopRecord } from './pop-state.js';

interface Snapshot {
  seq: number;
  records: PopRecord[];
}

export class PopJournal {
  private fd?: number;
  private seq = 0;
  /** Records appended since the last compaction. */
  private appended = 0;
  readonly logFile: string;
  readonly snapshotFile: string;

  constructor(dir: string, private readonly syncEach: () => boolean) {
    this.logFile = path.join(dir, 'popCheckPoint.log');
    this.snapshotFile = path.join(dir, 'popCheckPoint.json');
  }

  /** Every record to apply, in order: the snapshot's, then the journal's newer ones. Opens the journal. */
  load(): PopRecord[] {
    const snap = loadStateFile<Snapshot>(this.snapshotFile, (t) => JSON.parse(t) as Snapshot);
    const out: PopRecord[] = snap ? [...snap.records] : [];
    this.seq = snap?.seq ?? 0;
    if (fs.existsSync(this.logFile)) {
      const text = fs.readFileSync(this.logFile, 'utf8');
      for (const line of text.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab < 0) continue;
        const seq = Number(line.slice(0, tab));
        if (!(seq > this.seq)) continue;
        try {
          out.push(JSON.parse(line.slice(tab + 1)) as PopRecord);
          this.seq = seq;
          this.appended++;
        } catch {
          // A torn last line: the write was cut by the crash, and its request never answered.
          log.warn(`pop journal: ignoring an unreadable line after record ${this.seq}`);
        }
      }
    }
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    this.fd = fs.openSync(this.logFile, 'a');
    // A torn tail would glue itself to the next line: start on a fresh line.
    if (fs.fstatSync(this.fd).size > 0) fs.writeSync(this.fd, '\n');
    return out;
  }

  /** Writes one record before the caller answers the request it records (see the file comment). */
  append(r: PopRecord): void {
    if (this.fd === undefined) throw new Error('pop journal is not open');
    this.seq++;
    fs.writeSync(this.fd, `${this.seq}\t${JSON.stringify(r)}\n`);
    if (this.syncEach()) fs.fdatasyncSync(this.fd);
    this.appended++;
  }

  get pending(): number {
    return this.appended;
  }

  /** Replaces snapshot + journal by a snapshot of `records` (the whole state now). */
  compact(records: PopRecord[]): void {
    if (this.fd === undefined || this.appended === 0) return;
    fs.fdatasyncSync(this.fd);
    writeFileAtomic(this.snapshotFile, JSON.stringify({ seq: this.seq, records }));
    fs.ftruncateSync(this.fd, 0);
    this.appended = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
