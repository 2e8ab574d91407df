/**
 * Cutting the store back to a log offset (controller mode; DefaultMessageStore#truncateFiles and
 * #truncateDirtyFiles, CommitLog#truncateDirtyFiles in 5.3.3): a slave whose log runs past the point where it
 * agrees with the new master (AutoSwitchHAClient#doTruncate), or a new master dropping a tail it cannot
 * dispatch (AutoSwitchHAService#truncateInvalidMsg). Everything derived from the log follows it: the
 * ConsumeQueues lose the units of the cut records and hand out offsets from there, the index forgets them,
 * SYNC_FLUSH waiters for cut bytes are answered, and the checkpoint goes back so a restart, clean or not,
 * recovers exactly the cut log. (The epoch file and the replica's dispatch position are the caller's:
 * ha/autoswitch/.)
 */
import { log } from '../logger.js';
import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE, readMagic, readStoreTimestamp, readTotalSize, verifyRecord } from '../codec/message-record.js';
import type { CommitLog } from './commit-log.js';
import type { IndexService } from './index-service.js';
import type { QueueTable } from './queue-table.js';
import type { StoreFlusher } from './store-flush.js';
import { cutPastLogEnd } from './store-recovery.js';
import type { WritePipeline } from './write-pipeline.js';

/** Rounds of "wait for flushes, write what was put meanwhile" before cutting anyway (puts keep arriving). */
const SETTLE_ROUNDS_MAX = 100;
/** STORETIMESTAMP ends at most 76 bytes into a record (IPv6 born host). */
const STORE_TIMESTAMP_HEAD_BYTES = 76;

export interface TruncateParts {
  commitLog: CommitLog;
  queues: QueueTable;
  index: IndexService | undefined;
  writer: WritePipeline;
  flusher: StoreFlusher;
}

/**
 * Cuts the log at `offset` and makes the cut durable. Nothing to do when `offset` is at or past the log's end.
 * With `checkAligned` (DefaultMessageStore#truncateFiles: a slave's consistent point) it throws, cutting
 * nothing, unless a record (or a segment's end filler) starts at `offset`: a whole valid one, or one only
 * partly in the log at its end; cutting inside a record would keep half of it. Without (#truncateDirtyFiles,
 * as AutoSwitchHAService#truncateInvalidMsg calls it at the first byte it cannot dispatch) the caller vouches
 * for the offset. Below the log's first offset everything goes (the log then starts again at `offset`).
 */
export async function truncateStore(p: TruncateParts, offset: number, checkAligned = true): Promise<void> {
  const { commitLog, writer } = p;
  // Nothing in flight when the cut is made: a sync that started before it would move the flushed offset and the
  // checkpoint back past it, and a full index file's last flush would overwrite its rebuilt slots. Writes
  // scheduled for this tick go first. (A controller-mode store takes no puts meanwhile: it is fenced or a slave.)
  for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
    await p.flusher.drain();
    await p.index?.settle();
    if (!writer.hasPending()) break;
    writer.runTick();
  }
  if (writer.hasPending()) writer.runTick();
  const from = commitLog.maxOffset;
  if (offset >= from) return;
  const bad = checkAligned ? notRecordStart(commitLog, offset) : undefined;
  if (bad) throw new Error(`cannot truncate the commitlog at ${offset}: ${bad}`);
  const keptTimestamp = firstTimestampOfLastSegment(commitLog, offset);
  // From here to the flush nothing awaits: no put or pull sees a half-cut store.
  p.index?.writePending();
  const units = cutPastLogEnd(p.queues, p.index, offset);
  // Units held for the confirm offset (held-dispatches.ts): those of cut records go, the rest keep their queue offsets.
  writer.held?.cut(offset);
  commitLog.setEnd(offset);
  writer.lastWrittenTimestamp = Math.min(writer.lastWrittenTimestamp, keptTimestamp);
  writer.lastDispatchedTimestamp = Math.min(writer.lastDispatchedTimestamp, keptTimestamp);
  if (p.index) p.index.lastProcessedTimestamp = Math.min(p.index.lastProcessedTimestamp, keptTimestamp);
  log.warn(`store: commitlog cut at ${offset} (it ended at ${from}): ${from - offset} bytes and ${units} consume queue units removed`);
  await p.flusher.afterCut(offset, keptTimestamp);
}

/** Why `offset` (inside the log) is not a place to cut, or undefined when it is. */
function notRecordStart(commitLog: CommitLog, offset: number): string | undefined {
  if (offset < 0) return 'negative offset';
  if (offset <= commitLog.minOffset || offset % commitLog.segmentBytes === 0) return undefined;
  // A record header cut short by the log's end (the master stopped mid-record).
  if (offset + 8 > commitLog.maxOffset) return undefined;
  const head = commitLog.read(offset, 8);
  if (!head) return 'unreadable';
  const magic = readMagic(head);
  if (magic === BLANK_MAGIC_CODE) return undefined;
  if (magic !== MESSAGE_MAGIC_CODE) return `no record starts there (magic 0x${(magic >>> 0).toString(16)})`;
  const total = readTotalSize(head);
  if (total <= 0 || total > commitLog.maxAppendBytes) return `no record starts there (size ${total})`;
  // The log's last record, only partly there.
  if (offset + total > commitLog.maxOffset) return undefined;
  const rec = commitLog.read(offset, total);
  if (!rec) return 'unreadable';
  return verifyRecord(rec, 0, rec.length, true);
}

/**
 * A store time no newer than any record kept in the last segment left after cutting at `offset`: its first
 * record's (0 when there is none). Crash recovery starts at a segment whose first record is no newer than
 * the checkpoint (minus 3 s), so with the checkpoint lowered to this it starts at or before that segment.
 */
function firstTimestampOfLastSegment(commitLog: CommitLog, offset: number): number {
  if (offset <= commitLog.minOffset) return 0;
  const last = offset - 1;
  const seg = commitLog.segments.find((s) => last >= s.start && last < s.start + commitLog.segmentBytes);
  if (!seg) return 0;
  const head = commitLog.read(seg.start, Math.min(STORE_TIMESTAMP_HEAD_BYTES, offset - seg.start));
  return head && head.length >= 56 && readMagic(head) === MESSAGE_MAGIC_CODE ? readStoreTimestamp(head) : 0;
}
