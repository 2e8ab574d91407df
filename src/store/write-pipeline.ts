/**
 * The store's write path, per event-loop tick:
 *   put → check sizes and plan each record → take queue offsets, have the CommitLog encode the
 *   records into its write slab (all synchronous: JS's single thread serializes appends without a lock)
 *   end of tick (setImmediate) → one write per contiguous run → ConsumeQueue units → index entries
 *   → arrival listeners → acknowledge: ASYNC_FLUSH at once (bytes are in the OS), SYNC_FLUSH after
 *   the shared fdatasync (group commit). In controller mode the units and listeners wait in `held` until
 *   the confirm offset passes their records (held-dispatches.ts).
 * Records of one tick share one syscall (group write).
 */
import { performance } from 'node:perf_hooks';
import { MessageConst, NAME_VALUE_SEPARATOR } from '../protocol/message-const.js';
import { log } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { isDispatchedType, planRecord, type RecordPlan } from '../codec/message-record.js';
import { getProperty } from '../codec/message-properties.js';
import { createOffsetMessageId } from '../codec/message-id.js';
import type { MessageInner } from '../codec/message.js';
import type { CommitLog } from './commit-log.js';
import { SCHEDULE_TOPIC, scheduleTagsCode } from './dispatch-info.js';
import type { DiskSpaceGuard } from './disk-space-guard.js';
import type { GroupCommit } from './group-commit.js';
import { HeldDispatches, type Dispatch } from './held-dispatches.js';
import type { IndexService } from './index-service.js';
import type { QueueState, QueueTable } from './queue-table.js';
import { isNoSpaceError } from './store-files.js';
import type { ArrivalListener, PutMessageResult } from './types.js';


const WAIT_ENTRY = MessageConst.PROPERTY_WAIT_STORE_MSG_OK + NAME_VALUE_SEPARATOR;
/** CommitLog.MessageExtEncoder reserves 64 KiB beyond maxMessageSize for the record's other fields. */
export const RECORD_HEADROOM_BYTES = 64 * 1024;

/** A written record the IndexService still has to see. */
interface IndexJob {
  msg: MessageInner;
  sysFlag: number;
  phyOffset: number;
  end: number;
  storeTimestamp: number;
}

interface Waiter {
  resolve: (r: PutMessageResult) => void;
  result: PutMessageResult;
  /** Log offset one past the waiter's last record. */
  end: number;
  /** Property WAIT (default true): under SYNC_FLUSH, whether the send waits for the sync (CommitLog#handleDiskFlush). */
  waitStore: boolean;
}

/** MessageExt#isWaitStoreMsgOK: true when WAIT is absent, else Boolean.parseBoolean(WAIT). */
export function isWaitStoreMsgOK(properties: string): boolean {
  if (!properties.includes(WAIT_ENTRY)) return true;
  const v = getProperty(properties, MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
  return v === undefined || v.toLowerCase() === 'true';
}

export interface WriteParts {
  config: BrokerConfig;
  commitLog: CommitLog;
  queues: QueueTable;
  index: IndexService | undefined;
  groupCommit: GroupCommit;
  diskSpace: DiskSpaceGuard;
  listeners: readonly ArrivalListener[];
  delayLevels: number[];
  now: () => number;
  /** The tick's bytes are in the OS: replication sends them on (before any send waits for a slave). */
  afterWrite: () => void;
}

export class WritePipeline {
  /** Store time of the newest record appended: store times never go back, even if the clock does. */
  lastStoreTimestamp = 0;
  /** Store time of the newest record in the OS / dispatched to a queue (checkpoint sources). */
  lastWrittenTimestamp = 0;
  lastDispatchedTimestamp = 0;
  private dispatches: Dispatch[] = [];
  private indexJobs: IndexJob[] = [];
  private waiters: Waiter[] = [];
  private tickScheduled = false;
  /** performance.now() of the first append the scheduled tick will write. */
  private tickOpenedAt = 0;
  private stopped = false;
  private readonly syncFlush: boolean;
  /** Controller mode only: units waiting for the confirm offset. */
  readonly held: HeldDispatches | undefined;

  constructor(private readonly parts: WriteParts) {
    this.syncFlush = parts.config.flushDiskType === 'SYNC_FLUSH';
    if (parts.config.enableControllerMode) {
      this.held = new HeldDispatches((ds) => {
        this.dispatch(ds, Number.MAX_SAFE_INTEGER);
        this.tellListeners(ds, Number.MAX_SAFE_INTEGER);
      });
    }
  }

  /**
   * How long the oldest unwritten append has waited for its write (0 when nothing waits). The write runs
   * on the next check phase, so this grows only while the event loop is held elsewhere; the Java store
   * measures the same stall as time spent holding the CommitLog put lock.
   */
  lockTimeMs(): number {
    return this.tickScheduled ? performance.now() - this.tickOpenedAt : 0;
  }

  /** Whether anything appended is not yet written. */
  hasPending(): boolean {
    return this.tickScheduled || this.parts.commitLog.hasPending();
  }

  /** No more ticks; what was appended and not yet written is dropped, never acknowledged (a killed process). */
  stop(): void {
    this.stopped = true;
    this.dispatches = [];
    this.waiters = [];
    this.indexJobs = [];
    this.held?.clear();
  }

  /** A put the store is able to take: checks and plans every record, then appends. One topic and queue. */
  put(msgs: MessageInner[]): Promise<PutMessageResult> {
    const { config, queues, commitLog } = this.parts;
    if (msgs.length === 0) return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: 'empty batch' });
    const plans: RecordPlan[] = new Array(msgs.length);
    let total = 0;
    let batchBody = 0;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      if (i > 0 && (m.topic !== msgs[0].topic || m.queueId !== msgs[0].queueId)) {
        return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: 'a batch must target one topic and queue' });
      }
      const plan = planRecord(m);
      if ('error' in plan) return Promise.resolve({ status: plan.error, remark: plan.remark });
      if (!queues.isSafeTopic(m.topic)) return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `topic "${m.topic}" cannot name a directory` });
      // CommitLog#doAppend: the whole record counts (MESSAGE_SIZE_EXCEEDED ⇒ MESSAGE_ILLEGAL). For a batch,
      // DefaultMessageStore#checkMessages bounds the batch body, which encodes each message as 22 + body + properties.
      // 4.9.x MessageExtEncoder (the 4.9.7 broker): the body may be maxMessageSize bytes, the record 64 KiB more.
      if (msgs.length === 1 && m.body.length > config.maxMessageSize) {
        return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `message body of ${m.body.length} bytes exceeds maxMessageSize=${config.maxMessageSize}` });
      }
      if (msgs.length === 1 && plan.totalSize > config.maxMessageSize + RECORD_HEADROOM_BYTES) {
        return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `message of ${plan.totalSize} bytes exceeds maxMessageSize=${config.maxMessageSize} + ${RECORD_HEADROOM_BYTES}` });
      }
      plans[i] = plan;
      total += plan.totalSize;
      batchBody += 22 + m.body.length + plan.propertiesBytes;
    }
    // Java bounds the batch as the client sent it (CommitLog.MessageExtEncoder#encode(MessageExtBatch): wrapped body
    // <= maxMessageSize). Here the batch properties are already appended to each message, so allow the headroom; the
    // exact check belongs where the raw batch body is (the send processor).
    if (msgs.length > 1 && batchBody > config.maxMessageSize + RECORD_HEADROOM_BYTES) {
      return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `batch body of ${batchBody} bytes exceeds maxMessageSize=${config.maxMessageSize}` });
    }
    if (total > commitLog.maxAppendBytes) {
      return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `${total} bytes exceed the CommitLog segment size` });
    }
    return new Promise((resolve) => this.append(msgs, plans, total, resolve));
  }

  /**
   * Synchronous part of a put: offsets, encoding into the slab, bookkeeping. If anything in it throws,
   * every reservation it made is taken back (log bytes, queue offsets, dispatches), so a failed put
   * leaves no hole for readers or recovery to stop at, and the next put reuses the same offsets.
   */
  private append(msgs: MessageInner[], plans: RecordPlan[], total: number, resolve: (r: PutMessageResult) => void): void {
    const q = this.parts.queues.get(msgs[0].topic, msgs[0].queueId, true)!;
    const mark = this.parts.commitLog.mark();
    const queueNext = q.next;
    const dispatchCount = this.dispatches.length;
    const indexCount = this.indexJobs.length;
    try {
      this.appendRecords(q, msgs, plans, total, resolve);
    } catch (e) {
      this.parts.commitLog.forget(mark);
      q.next = queueNext;
      this.dispatches.length = dispatchCount;
      this.indexJobs.length = indexCount;
      log.error(`store: append to ${msgs[0].topic}/${msgs[0].queueId} failed and was rolled back: ${(e as Error).stack ?? e}`);
      resolve({ status: 'UNKNOWN_ERROR', remark: `append failed and was rolled back: ${(e as Error).message}` });
    }
  }

  private appendRecords(q: QueueState, msgs: MessageInner[], plans: RecordPlan[], total: number, resolve: (r: PutMessageResult) => void): void {
    const storeTimestamp = Math.max(this.parts.now(), this.lastStoreTimestamp);
    const wroteOffset = this.parts.commitLog.appendRecords(msgs, plans, total, q.next, storeTimestamp);
    const index = this.parts.index;
    let phy = wroteOffset;
    let firstQueueOffset = 0;
    let msgId = '';
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      const plan = plans[i];
      // PREPARED and ROLLBACK records take queue offset 0 and never reach a ConsumeQueue (the CommitLog
      // wrote the same offsets into the records).
      const dispatched = isDispatchedType(plan.sysFlag);
      const queueOffset = dispatched ? q.next++ : 0;
      if (i === 0) firstQueueOffset = queueOffset;
      if (dispatched) {
        const tagsCode = m.topic === SCHEDULE_TOPIC
          ? scheduleTagsCode(this.parts.delayLevels, m.propertiesString, storeTimestamp) ?? m.tagsCode
          : m.tagsCode;
        this.dispatches.push({ q, queueOffset, phyOffset: phy, size: plan.totalSize, tagsCode, storeTimestamp });
      }
      if (index) this.indexJobs.push({ msg: m, sysFlag: plan.sysFlag, phyOffset: phy, end: phy + plan.totalSize, storeTimestamp });
      msgId = i === 0 ? createOffsetMessageId(m.storeHost, phy) : `${msgId},${createOffsetMessageId(m.storeHost, phy)}`;
      phy += plan.totalSize;
    }
    this.waiters.push({
      resolve,
      end: phy,
      waitStore: isWaitStoreMsgOK(msgs[0].propertiesString),
      result: {
        status: 'PUT_OK',
        appendResult: {
          wroteOffset, wroteBytes: total, msgId, logicsOffset: firstQueueOffset,
          storeTimestamp, msgNum: msgs.length,
        },
      },
    });
    this.lastStoreTimestamp = storeTimestamp;
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      this.tickOpenedAt = performance.now();
      setImmediate(() => this.runTick());
    }
  }

  /** End of tick: write, dispatch, acknowledge. */
  runTick(): void {
    this.tickScheduled = false;
    if (this.stopped) return; // abandoned: a killed process writes nothing more
    const { commitLog, diskSpace } = this.parts;
    const dispatches = this.dispatches;
    const waiters = this.waiters;
    const indexJobs = this.indexJobs;
    this.dispatches = [];
    this.waiters = [];
    this.indexJobs = [];
    let writeError: Error | undefined;
    try {
      commitLog.writePending();
    } catch (e) {
      writeError = e as Error;
      if (isNoSpaceError(e)) diskSpace.noteNoSpace(writeError);
      else log.error(`commitlog write failed at ${commitLog.maxOffset}: ${writeError.message}`);
    }
    const written = commitLog.maxOffset;
    const held = this.held;
    if (held) this.hold(held, dispatches, written);
    else this.dispatch(dispatches, written);
    this.buildIndex(indexJobs, written);
    if (!held) this.tellListeners(dispatches, written);
    this.parts.afterWrite();
    // Before any acknowledgement: with a single in-sync replica or allAckInSyncStateSet=false the confirm
    // offset is the log end, and the tick's units are written now, as without holding.
    held?.release(held.bound());
    const ok: Waiter[] = [];
    const unwritten: PutMessageResult = isNoSpaceError(writeError)
      ? diskSpace.answer()
      : { status: 'UNKNOWN_ERROR', remark: `commitlog write failed: ${writeError?.message}` };
    for (const w of waiters) {
      if (w.end > written) w.resolve(unwritten);
      else {
        ok.push(w);
        this.lastWrittenTimestamp = w.result.appendResult!.storeTimestamp;
      }
    }
    if (!ok.length) return;
    if (!this.syncFlush) {
      for (const w of ok) w.resolve(w.result);
      return;
    }
    const waiting = ok.filter((w) => w.waitStore);
    for (const w of ok) if (!w.waitStore) w.resolve(w.result);
    if (waiting.length) this.parts.groupCommit.add(waiting, written);
    else this.parts.groupCommit.add([], written); // still wake the flusher, as GroupCommitService#wakeup
  }

  /** ConsumeQueue units of the records now in the OS, one write per touched queue. */
  private dispatch(dispatches: Dispatch[], written: number): void {
    const touched = new Set<QueueState>();
    for (const d of dispatches) {
      if (d.phyOffset + d.size > written) {
        // Not in the log: give the offsets back so the next message reuses them.
        if (d.q.next > d.queueOffset) d.q.next = d.queueOffset;
        continue;
      }
      if (d.q.cq.destroyed) continue; // topic deleted while the send was in flight
      d.q.cq.append(d.queueOffset, d.phyOffset, d.size, d.tagsCode);
      touched.add(d.q);
      this.lastDispatchedTimestamp = d.storeTimestamp;
    }
    for (const q of touched) {
      try {
        q.cq.writePending();
      } catch (e) {
        // The records are in the log; recovery rebuilds the units. Keep serving.
        log.error(`consumequeue ${q.cq.topic}/${q.cq.queueId} write failed: ${(e as Error).message}`);
      }
    }
  }

  /** Controller mode: the units of records now in the OS wait for the confirm offset; the rest give their offsets back. */
  private hold(held: HeldDispatches, dispatches: Dispatch[], written: number): void {
    const ok: Dispatch[] = [];
    for (const d of dispatches) {
      if (d.phyOffset + d.size <= written) ok.push(d);
      else if (d.q.next > d.queueOffset) d.q.next = d.queueOffset;
    }
    held.add(ok);
  }

  private buildIndex(indexJobs: IndexJob[], written: number): void {
    const index = this.parts.index;
    if (!index || !indexJobs.length) return;
    try {
      for (const j of indexJobs) {
        if (j.end <= written) index.build(j.msg.topic, j.msg.propertiesString, j.sysFlag, j.phyOffset, j.storeTimestamp);
      }
      index.writePending();
    } catch (e) {
      // Index trouble never fails a send: the records are stored, and crash recovery re-indexes from the log.
      log.error(`index write failed: ${(e as Error).message}`);
    }
  }

  private tellListeners(dispatches: Dispatch[], written: number): void {
    const listeners = this.parts.listeners;
    if (!listeners.length) return;
    for (const d of dispatches) {
      if (d.phyOffset + d.size > written || d.q.cq.destroyed) continue;
      for (const l of listeners) {
        try {
          l(d.q.cq.topic, d.q.cq.queueId, d.queueOffset + 1, d.tagsCode, d.storeTimestamp, d.size);
        } catch (e) {
          // A listener's failure must not keep the senders of this tick from their acknowledgements.
          log.error(`arrival listener failed: ${(e as Error).message}`);
        }
      }
    }
  }
}
