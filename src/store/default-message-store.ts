/**
 * DefaultMessageStore: CommitLog + ConsumeQueues behind the MessageStore contract.
 *
 * Send path, per event-loop tick:
 *   putMessage → validate → assign queue offsets and a log position → encode into the write slab
 *   end of tick (setImmediate) → one write per contiguous run → ConsumeQueue units → arrival listeners
 *   → acknowledge: ASYNC_FLUSH at once (bytes are in the OS), SYNC_FLUSH after the shared fdatasync.
 * Everything before the write happens synchronously, so JS's single thread serializes appends
 * without a lock, and records of one tick share one syscall (group write).
 */
import assert from 'node:assert';
import path from 'node:path';
import { log } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import {
  encodeRecord, isDispatchedType, planRecord, propertyOf, readStoreTimestamp, type RecordPlan,
} from '../codec/message-record.js';
import { createOffsetMessageId } from '../codec/message-id.js';
import { CommitLog } from './commit-log.js';
import { ConsumeQueue, cqSegmentBytes } from './consume-queue.js';
import { SCHEDULE_TOPIC, deliverTimestamp, parseDelayLevels } from './dispatch-info.js';
import { FsStoreFiles, isNoSpaceError, type StoreFiles } from './store-files.js';
import { DiskSpaceGuard } from './disk-space-guard.js';
import { StoreCheckpoint } from './store-checkpoint.js';
import { IndexService } from './index-service.js';
import { CleanService, type CleanRunResult } from './clean-service.js';
import { GroupCommit } from './group-commit.js';
import { collectMessages, pullContext, type PullContext } from './get-message.js';
import { Redispatcher, chooseScanStart } from './store-recovery.js';
import type { ArrivalListener, GetMessageResult, MessageFilter, MessageStore, PutMessageResult, QueryMessageResult } from './types.js';
import type { MessageInner } from '../codec/message.js';

/** CommitLog.MessageExtEncoder reserves 64 KiB beyond maxMessageSize for the record's other fields. */
const RECORD_HEADROOM_BYTES = 64 * 1024;
/** Recently written CommitLog bytes kept in memory for pulls (our stand-in for the mmap'd hot pages). */
const RECENT_CACHE_BYTES = 32 * 1024 * 1024;
/** MessageStoreConfig#cleanResourceInterval: how often retention and the disk check run. */
const CLEAN_RESOURCE_INTERVAL_MS = 10_000;

export interface StoreDeps {
  files: StoreFiles;
  /** Clock for store timestamps (tests pin it). */
  now: () => number;
  /** Recently written CommitLog bytes served from memory (tests set 0 to exercise file reads). */
  recentCacheBytes: number;
}

interface QueueState {
  cq: ConsumeQueue;
  /** Next queue offset to assign (topicQueueTable): ahead of cq.maxOffset while a tick is pending. */
  next: number;
}

interface Dispatch {
  q: QueueState;
  queueOffset: number;
  phyOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
}

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
function isWaitStoreMsgOK(properties: string): boolean {
  if (!properties.includes('WAIT\u0001')) return true;
  const v = propertyOf(properties, 'WAIT');
  return v === undefined || v.toLowerCase() === 'true';
}

export class DefaultMessageStore implements MessageStore {
  private readonly files: StoreFiles;
  private readonly now: () => number;
  private readonly rootDir: string;
  private readonly commitLog: CommitLog;
  private readonly queues = new Map<string, Map<number, QueueState>>();
  private readonly listeners: ArrivalListener[] = [];
  private readonly delayLevels: number[];
  private readonly cqSegmentBytes: number;
  private readonly pullContext: PullContext;
  private readonly syncFlush: boolean;

  private dispatches: Dispatch[] = [];
  private indexJobs: IndexJob[] = [];
  private readonly index: IndexService | undefined;
  private readonly clean: CleanService;
  private waiters: Waiter[] = [];
  private tickScheduled = false;
  private lastStoreTimestamp = 0;
  private started = false;
  private shuttingDown = false;
  private timers: NodeJS.Timeout[] = [];
  private checkpoint!: StoreCheckpoint;
  /** Store time of the newest record in the OS / dispatched to a queue (checkpoint sources). */
  private lastWrittenTimestamp = 0;
  private lastDispatchedTimestamp = 0;
  private flushingLog = false;
  /** Set when the CommitLog could not be made durable: writes are refused until restart. */
  private ioError: string | undefined;
  private lastRecovery = { ms: 0, scannedBytes: 0, records: 0, crashed: false };
  private flushingQueues: Promise<void> | undefined;
  private readonly flushWaits: GroupCommit;
  private readonly diskSpace: DiskSpaceGuard;

  constructor(readonly config: BrokerConfig, deps: Partial<StoreDeps> = {}) {
    this.files = deps.files ?? new FsStoreFiles();
    this.now = deps.now ?? Date.now;
    this.rootDir = config.storePathRootDir;
    const logDir = config.storePathCommitLog || path.join(this.rootDir, 'commitlog');
    this.commitLog = new CommitLog(logDir, config.mappedFileSizeCommitLog, this.files, deps.recentCacheBytes ?? RECENT_CACHE_BYTES);
    this.cqSegmentBytes = cqSegmentBytes(config.mappedFileSizeConsumeQueue);
    this.pullContext = pullContext(this.commitLog, config, this.cqSegmentBytes);
    this.delayLevels = parseDelayLevels(config.messageDelayLevel);
    this.syncFlush = config.flushDiskType === 'SYNC_FLUSH';
    this.flushWaits = new GroupCommit(() => this.syncLog(), config.syncFlushTimeout);
    if (config.messageIndexEnable) {
      this.index = new IndexService(path.join(this.rootDir, 'index'), this.files, config.maxHashSlotNum, config.maxIndexNum, this.now);
    }
    this.clean = new CleanService(config, {
      commitLog: this.commitLog,
      queues: () => [...this.allQueues()].map((q) => q.cq),
      index: this.index,
      paths: [logDir, this.rootDir],
    }, this.files, this.now);
    this.diskSpace = new DiskSpaceGuard(this.files, {
      commitLog: logDir,
      consumeQueue: path.join(this.rootDir, 'consumequeue'),
      index: path.join(this.rootDir, 'index'),
    }, this.clean, this.now, config.maxMessageSize + RECORD_HEADROOM_BYTES);
    if (config.flushDiskType !== 'SYNC_FLUSH' && config.flushDiskType !== 'ASYNC_FLUSH') {
      throw new Error(`flushDiskType=${config.flushDiskType}: expected ASYNC_FLUSH or SYNC_FLUSH`);
    }
    if (config.mappedFileSizeCommitLog < config.maxMessageSize + 64 * 1024) {
      log.warn(`mappedFileSizeCommitLog=${config.mappedFileSizeCommitLog} is not much larger than maxMessageSize=${config.maxMessageSize}: ` +
        'messages near the size limit will not fit a segment and are refused with MESSAGE_ILLEGAL');
    }
  }

  // ================================================================ lifecycle

  async start(): Promise<void> {
    assert(!this.started, 'store already started');
    const t0 = performance.now();
    this.files.mkdirp(this.rootDir);
    const abortPath = path.join(this.rootDir, 'abort');
    const crashed = this.files.exists(abortPath);
    this.checkpoint = new StoreCheckpoint(this.files, this.rootDir);
    this.commitLog.load();
    const damaged = this.loadQueues(this.logFileEnd());
    this.index?.load(crashed, this.logFileEnd());
    const scanFrom = chooseScanStart(this.commitLog, this.checkpoint, crashed, this.index !== undefined, damaged.map((q) => q.cq));
    const redispatcher = new Redispatcher({
      queue: (topic, queueId) => this.queueState(topic, queueId, true)!.cq,
      index: this.index,
      delayLevels: this.delayLevels,
    }, crashed || damaged.length > 0);
    const res = this.commitLog.recover(scanFrom, this.maxRecordBytes(), (r) => redispatcher.onRecord(r));
    redispatcher.finish();
    this.lastStoreTimestamp = Math.max(this.lastStoreTimestamp, redispatcher.maxStoreTimestamp);
    this.index?.truncateByLogEnd(res.end);
    let cut = 0;
    for (const q of this.allQueues()) {
      cut += q.cq.truncateByLogEnd(res.end);
      q.next = q.cq.maxOffset;
    }
    this.lastStoreTimestamp = Math.max(this.checkpoint.physicMsgTimestamp, this.lastStoreTimestamp);
    this.clean.trimToLog();
    this.lastRecovery = { ms: performance.now() - t0, scannedBytes: res.scannedBytes, records: res.records, crashed };
    this.files.writeSmall(abortPath, Buffer.alloc(0));
    this.started = true;
    this.startTimers();
    log.info(
      `store: ${crashed ? 'abnormal' : 'normal'} recovery of ${this.rootDir} took ${(performance.now() - t0).toFixed(1)} ms: ` +
      `log [${this.commitLog.minOffset}, ${res.end}), scanned ${res.records} records (${(res.scannedBytes / 1048576).toFixed(1)} MiB) ` +
      `from segment ${scanFrom + 1}/${this.commitLog.segments.length}, ${redispatcher.touched.size} queues re-dispatched, ` +
      `${cut} dangling units cut, ${damaged.length} damaged queues, ${this.queueCount()} queues`,
    );
  }

  async shutdown(): Promise<void> {
    if (!this.started || this.shuttingDown) return;
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.tickScheduled || this.commitLog.hasPending()) this.runTick();
    await this.flushWaits.drain();
    while (this.flushingQueues) await this.flushingQueues;
    // Each step runs even when an earlier one failed (a full disk, an I/O error): the files still get
    // closed and the process can exit. Only a fully flushed store removes the abort marker; otherwise
    // the next start runs the crash recovery, which rebuilds from the CommitLog what did not reach disk.
    const failures: string[] = [];
    const step = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        failures.push(`${what}: ${(e as Error).message}`);
      }
    };
    await step('commitlog sync', () => this.syncLog());
    await step('consumequeue and index flush', () => this.flushQueuesNow(true));
    this.commitLog.close();
    for (const q of this.allQueues()) q.cq.close();
    this.index?.close();
    this.checkpoint.close();
    if (failures.length === 0) await step('abort marker', () => this.files.remove(path.join(this.rootDir, 'abort')));
    if (failures.length) log.error(`store: shut down without a complete flush (the next start recovers as after a crash): ${failures.join('; ')}`);
    this.started = false;
  }

  /**
   * Test hook: stop as a killed process would — no flush, no checkpoint, the abort marker stays.
   * Sends not yet handed to the OS are dropped (never acknowledged).
   */
  abandon(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.shuttingDown = true;
    this.started = false;
    this.dispatches = [];
    this.waiters = [];
    this.indexJobs = [];
    this.commitLog.close();
    for (const q of this.allQueues()) q.cq.close();
    this.index?.close();
    this.checkpoint.close();
  }

  private startTimers(): void {
    if (!this.syncFlush) {
      this.timers.push(setInterval(() => this.flushLog(), Math.max(10, this.config.flushIntervalCommitLog)));
    }
    this.timers.push(setInterval(() => this.flushQueues(), Math.max(10, this.config.flushIntervalConsumeQueue)));
    this.timers.push(setInterval(() => this.runClean(), CLEAN_RESOURCE_INTERVAL_MS));
    for (const t of this.timers) t.unref();
    this.runClean();
  }

  /** FlushRealTimeService: one fdatasync per interval when anything was written. */
  private flushLog(): void {
    if (this.flushingLog || this.commitLog.maxOffset === this.flushWaits.flushedOffset) return;
    this.flushingLog = true;
    this.syncLog()
      .catch((e) => log.error(`commitlog flush failed: ${(e as Error).message}`))
      .finally(() => {
        this.flushingLog = false;
      });
  }

  /** FlushConsumeQueueService: sync the queues, then record the durable points in the checkpoint. */
  private flushQueues(): void {
    if (this.flushingQueues || this.shuttingDown) return;
    this.flushingQueues = this.flushQueuesNow()
      .catch((e) => log.error(`consumequeue flush failed: ${(e as Error).message}`))
      .finally(() => {
        this.flushingQueues = undefined;
      });
  }

  private async flushQueuesNow(complete = false): Promise<void> {
    const logicsTs = this.lastDispatchedTimestamp;
    const indexTs = this.index?.lastProcessedTimestamp ?? 0;
    // Units whose write failed (no space) are retried here too, not only when the next send arrives.
    let unwritten = 0;
    for (const q of this.allQueues()) {
      if (!q.cq.hasPendingUnits()) continue;
      try {
        q.cq.writePending();
      } catch {
        unwritten++;
      }
    }
    await Promise.all([...[...this.allQueues()].map((q) => q.cq.sync()), this.index?.flush(complete)]);
    // The checkpoint must not claim queues are complete past units still missing from their files:
    // crash recovery re-dispatches only from the checkpoint on.
    if (unwritten === 0 && logicsTs > this.checkpoint.logicsMsgTimestamp) this.checkpoint.logicsMsgTimestamp = logicsTs;
    if (indexTs > this.checkpoint.indexMsgTimestamp) this.checkpoint.indexMsgTimestamp = indexTs;
    await this.checkpoint.flush();
    if (unwritten > 0) throw new Error(`${unwritten} consume queues could not write their units`);
  }

  /** Syncs the CommitLog; advances the flushed offset and the checkpoint's physic timestamp. */
  async syncLog(): Promise<number> {
    const ts = this.lastWrittenTimestamp;
    let upTo: number;
    try {
      upTo = await this.commitLog.sync();
    } catch (e) {
      // After a failed fdatasync the kernel may have dropped the dirty pages and a later sync can
      // succeed over the hole: acknowledging more sends could hide a loss. Stop writing until restart.
      this.ioError ??= `commitlog fdatasync failed: ${(e as Error).message}`;
      log.error(`store: ${this.ioError}; refusing writes until restart`);
      throw e;
    }
    if (ts > this.checkpoint.physicMsgTimestamp) this.checkpoint.physicMsgTimestamp = ts;
    if (upTo > this.flushWaits.flushedOffset) this.flushWaits.flushedOffset = upTo;
    return upTo;
  }

  /** One retention / disk-protection pass (normally every 10 s; public for admin and tests). */
  runClean(): CleanRunResult {
    try {
      return this.clean.run();
    } catch (e) {
      log.error(`clean failed: ${(e as Error).message}`);
      return { deletedSegments: 0, diskRatio: -1, diskFull: this.clean.diskFull };
    }
  }

  /** DELETE_EXPIRED_COMMITLOG: delete expired segments on the next runs whatever the hour. */
  executeDeleteFilesManually(): void {
    this.clean.executeDeleteFilesManually();
  }

  // ================================================================ put

  putMessage(msg: MessageInner): Promise<PutMessageResult> {
    return this.putMessages([msg]);
  }

  putMessages(msgs: MessageInner[]): Promise<PutMessageResult> {
    const refused = this.checkStoreStatus();
    if (refused) return Promise.resolve(refused);
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
      if (!this.isSafeTopic(m.topic)) return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `topic "${m.topic}" cannot name a directory` });
      // CommitLog#doAppend: the whole record counts (MESSAGE_SIZE_EXCEEDED ⇒ MESSAGE_ILLEGAL). For a batch,
      // DefaultMessageStore#checkMessages bounds the batch body, which encodes each message as 22 + body + properties.
      // 4.9.x MessageExtEncoder (the 4.9.7 broker): the body may be maxMessageSize bytes, the record 64 KiB more.
      if (msgs.length === 1 && m.body.length > this.config.maxMessageSize) {
        return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `message body of ${m.body.length} bytes exceeds maxMessageSize=${this.config.maxMessageSize}` });
      }
      if (msgs.length === 1 && plan.totalSize > this.config.maxMessageSize + RECORD_HEADROOM_BYTES) {
        return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `message of ${plan.totalSize} bytes exceeds maxMessageSize=${this.config.maxMessageSize} + ${RECORD_HEADROOM_BYTES}` });
      }
      plans[i] = plan;
      total += plan.totalSize;
      batchBody += 22 + m.body.length + plan.propertiesBytes;
    }
    // Java bounds the batch as the client sent it (CommitLog.MessageExtEncoder#encode(MessageExtBatch): wrapped body
    // <= maxMessageSize). Here the batch properties are already appended to each message, so allow the headroom; the
    // exact check belongs where the raw batch body is (the send processor).
    if (msgs.length > 1 && batchBody > this.config.maxMessageSize + RECORD_HEADROOM_BYTES) {
      return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `batch body of ${batchBody} bytes exceeds maxMessageSize=${this.config.maxMessageSize}` });
    }
    if (total > this.commitLog.maxAppendBytes) {
      return Promise.resolve({ status: 'MESSAGE_ILLEGAL', remark: `${total} bytes exceed the CommitLog segment size` });
    }
    return new Promise((resolve) => this.append(msgs, plans, total, resolve));
  }

  private checkStoreStatus(): PutMessageResult | undefined {
    if (!this.started || this.shuttingDown) return { status: 'SERVICE_NOT_AVAILABLE', remark: 'message store is not running' };
    if (this.config.brokerRole === 'SLAVE') return { status: 'SERVICE_NOT_AVAILABLE', remark: 'broker role is slave' };
    // RunningFlags#isWriteable: the Java store refuses with SERVICE_NOT_AVAILABLE when the disk is full.
    const full = this.diskSpace.refusal();
    if (full) return full;
    if (this.ioError) return { status: 'SERVICE_NOT_AVAILABLE', remark: `store disk error: ${this.ioError}` };
    return undefined;
  }

  /**
   * Synchronous part of a put: offsets, encoding into the slab, bookkeeping. If anything in it throws,
   * every reservation it made is taken back (log bytes, queue offsets, dispatches), so a failed put
   * leaves no hole for readers or recovery to stop at, and the next put reuses the same offsets.
   */
  private append(msgs: MessageInner[], plans: RecordPlan[], total: number, resolve: (r: PutMessageResult) => void): void {
    const q = this.queueState(msgs[0].topic, msgs[0].queueId, true)!;
    const mark = this.commitLog.mark();
    const queueNext = q.next;
    const dispatchCount = this.dispatches.length;
    const indexCount = this.indexJobs.length;
    try {
      this.appendRecords(q, msgs, plans, total, resolve);
    } catch (e) {
      this.commitLog.forget(mark);
      q.next = queueNext;
      this.dispatches.length = dispatchCount;
      this.indexJobs.length = indexCount;
      log.error(`store: append to ${msgs[0].topic}/${msgs[0].queueId} failed and was rolled back: ${(e as Error).stack ?? e}`);
      resolve({ status: 'UNKNOWN_ERROR', remark: `append failed and was rolled back: ${(e as Error).message}` });
    }
  }

  private appendRecords(q: QueueState, msgs: MessageInner[], plans: RecordPlan[], total: number, resolve: (r: PutMessageResult) => void): void {
    const storeTimestamp = Math.max(this.now(), this.lastStoreTimestamp);
    const r = this.commitLog.reserve(total);
    let pos = r.pos;
    let phy = r.offset;
    let firstQueueOffset = -1;
    let msgId = '';
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      const plan = plans[i];
      // §5.9: PREPARED and ROLLBACK records take queue offset 0 and never reach a ConsumeQueue.
      const dispatched = isDispatchedType(plan.sysFlag);
      const queueOffset = dispatched ? q.next++ : 0;
      if (firstQueueOffset < 0) firstQueueOffset = queueOffset;
      pos = encodeRecord(r.buf, pos, m, plan, queueOffset, phy, storeTimestamp);
      if (dispatched) {
        const tagsCode = m.topic === SCHEDULE_TOPIC ? this.scheduleTagsCode(m, storeTimestamp) : m.tagsCode;
        this.dispatches.push({ q, queueOffset, phyOffset: phy, size: plan.totalSize, tagsCode, storeTimestamp });
      }
      if (this.index) this.indexJobs.push({ msg: m, sysFlag: plan.sysFlag, phyOffset: phy, end: phy + plan.totalSize, storeTimestamp });
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
          wroteOffset: r.offset, wroteBytes: total, msgId, logicsOffset: firstQueueOffset,
          storeTimestamp, msgNum: msgs.length,
        },
      },
    });
    this.lastStoreTimestamp = storeTimestamp;
    if (!this.tickScheduled) {
      this.tickScheduled = true;
      setImmediate(() => this.runTick());
    }
  }

  private scheduleTagsCode(m: MessageInner, storeTimestamp: number): number {
    const level = /(?:^|\u0002)DELAY\u0001(\d+)/.exec(m.propertiesString);
    return level && Number(level[1]) > 0 ? deliverTimestamp(this.delayLevels, Number(level[1]), storeTimestamp) : m.tagsCode;
  }

  /** End of tick: write, dispatch, acknowledge. */
  private runTick(): void {
    this.tickScheduled = false;
    if (!this.started) return; // abandoned: a killed process writes nothing more
    const dispatches = this.dispatches;
    const waiters = this.waiters;
    const indexJobs = this.indexJobs;
    this.dispatches = [];
    this.waiters = [];
    this.indexJobs = [];
    let writeError: Error | undefined;
    try {
      this.commitLog.writePending();
    } catch (e) {
      writeError = e as Error;
      if (isNoSpaceError(e)) this.diskSpace.noteNoSpace(writeError);
      else log.error(`commitlog write failed at ${this.commitLog.maxOffset}: ${writeError.message}`);
    }
    const written = this.commitLog.maxOffset;
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
    if (this.index && indexJobs.length) {
      try {
        for (const j of indexJobs) {
          if (j.end <= written) this.index.build(j.msg.topic, j.msg.propertiesString, j.sysFlag, j.phyOffset, j.storeTimestamp);
        }
        this.index.writePending();
      } catch (e) {
        // Index trouble never fails a send: the records are stored, and crash recovery re-indexes from the log.
        log.error(`index write failed: ${(e as Error).message}`);
      }
    }
    if (this.listeners.length) {
      for (const d of dispatches) {
        if (d.phyOffset + d.size > written || d.q.cq.destroyed) continue;
        for (const l of this.listeners) {
          try {
            l(d.q.cq.topic, d.q.cq.queueId, d.queueOffset + 1, d.tagsCode, d.storeTimestamp);
          } catch (e) {
            // A listener's failure must not keep the senders of this tick from their acknowledgements.
            log.error(`arrival listener failed: ${(e as Error).message}`);
          }
        }
      }
    }
    const ok: Waiter[] = [];
    const unwritten: PutMessageResult = isNoSpaceError(writeError)
      ? this.diskSpace.answer()
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
    if (waiting.length) this.flushWaits.add(waiting, written);
    else this.flushWaits.add([], written); // still wake the flusher, as GroupCommitService#wakeup
  }

  // ================================================================ get

  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult {
    const result: GetMessageResult = {
      status: 'NO_MESSAGE_IN_QUEUE', nextBeginOffset: offset, minOffset: 0, maxOffset: 0, buffers: [], messageCount: 0,
      bufferTotalSize: 0, suggestPullingFromSlave: false,
    };
    const q = this.queueState(topic, queueId, false);
    if (!q) {
      // Java's findConsumeQueue creates the queue, so an unknown queue reads as empty.
      result.nextBeginOffset = 0;
      return result;
    }
    const cq = q.cq;
    const min = cq.minOffset;
    const max = cq.maxOffset;
    result.minOffset = min;
    result.maxOffset = max;
    if (max === 0) {
      result.nextBeginOffset = 0;
    } else if (offset < min) {
      result.status = 'OFFSET_TOO_SMALL';
      result.nextBeginOffset = min;
    } else if (offset === max) {
      result.status = 'OFFSET_OVERFLOW_ONE';
      result.nextBeginOffset = offset;
    } else if (offset > max) {
      result.status = 'OFFSET_OVERFLOW_BADLY';
      result.nextBeginOffset = max;
    } else {
      collectMessages(this.pullContext, cq, offset, maxMsgNums, filter, result);
    }
    return result;
  }

  // ================================================================ offsets and lookups

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.queueState(topic, queueId, false)?.cq.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.queueState(topic, queueId, false)?.cq.minOffset ?? 0;
  }

  /** First queue offset whose store time is >= timestamp; the max offset when every message is older. */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    const q = this.queueState(topic, queueId, false);
    if (!q) return 0;
    let lo = q.cq.minOffset;
    let hi = q.cq.maxOffset;
    const minPhy = this.commitLog.minOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const u = q.cq.unitAt(mid);
      const t = u && u.phyOffset >= minPhy ? this.storeTimestampAt(u.phyOffset, u.size) : -1;
      if (t < timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    const q = this.queueState(topic, queueId, false);
    return q ? this.getMessageStoreTimeStamp(topic, queueId, q.cq.minOffset) : -1;
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number {
    const u = this.queueState(topic, queueId, false)?.cq.unitAt(consumeQueueOffset);
    return u ? this.storeTimestampAt(u.phyOffset, u.size) : -1;
  }

  /** CommitLog#pickupStoreTimestamp: -1 when the record is gone. */
  private storeTimestampAt(phyOffset: number, size: number): number {
    // STORETIMESTAMP ends at most 76 bytes in (IPv6 born host); read only the head.
    const head = this.commitLog.read(phyOffset, Math.min(size, 76));
    return head && head.length >= 56 ? readStoreTimestamp(head) : -1;
  }

  lookMessageByOffset(commitLogOffset: number): Buffer | undefined {
    return this.commitLog.readRecord(commitLogOffset);
  }

  getMaxPhyOffset(): number {
    return this.commitLog.maxOffset;
  }

  getMinPhyOffset(): number {
    return this.commitLog.minOffset;
  }

  deleteTopics(topics: Iterable<string>): void {
    const cqRoot = path.join(this.rootDir, 'consumequeue');
    for (const topic of topics) {
      // Only ever a direct child of consumequeue/: a blank name would resolve to the root itself.
      const dir = path.join(cqRoot, topic);
      if (!this.isSafeTopic(topic) || path.dirname(dir) !== cqRoot) continue;
      const qs = this.queues.get(topic);
      if (qs) for (const q of qs.values()) q.cq.destroy();
      this.queues.delete(topic);
      this.files.removeTree(dir);
      log.info(`store: deleted consume queues of topic ${topic}`);
    }
  }

  /** DefaultMessageStore#queryMessage: up to three passes, each narrowing the time window to the oldest hit. */
  queryMessage(topic: string, key: string, maxNum: number, beginTimestamp: number, endTimestamp: number): QueryMessageResult {
    const result: QueryMessageResult = { buffers: [], messageCount: 0, bufferTotalSize: 0, indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
    if (!this.index) return result;
    let end = endTimestamp;
    for (let pass = 0; pass < 3; pass++) {
      const found = this.index.query(topic, key, maxNum, beginTimestamp, end);
      if (found.phyOffsets.length === 0) break;
      found.phyOffsets.sort((a, b) => a - b);
      result.indexLastUpdateTimestamp = found.indexLastUpdateTimestamp;
      result.indexLastUpdatePhyoffset = found.indexLastUpdatePhyoffset;
      for (let m = 0; m < found.phyOffsets.length; m++) {
        const record = this.commitLog.readRecord(found.phyOffsets[m]);
        if (!record) continue;
        if (m === 0) end = readStoreTimestamp(record);
        result.buffers.push(record);
        result.messageCount++;
        result.bufferTotalSize += record.length;
      }
      if (result.bufferTotalSize > 0 || end < beginTimestamp) break;
    }
    return result;
  }

  onArrival(listener: ArrivalListener): void {
    this.listeners.push(listener);
  }

  // ================================================================ queues and recovery

  /**
   * The topic names a directory under consumequeue/: it must not climb out of it. (The broker applies
   * TopicValidator's stricter rules; this is the store's own guard.) Known topics are cached.
   */
  private isSafeTopic(topic: string): boolean {
    if (this.queues.has(topic)) return true;
    return topic !== '.' && topic !== '..' && !/[/\\\0]/.test(topic);
  }

  private queueState(topic: string, queueId: number, create: boolean): QueueState | undefined {
    let byId = this.queues.get(topic);
    let q = byId?.get(queueId);
    if (q || !create) return q;
    if (!byId) {
      byId = new Map();
      this.queues.set(topic, byId);
    }
    const cq = new ConsumeQueue(topic, queueId, this.queueDir(topic, queueId), this.cqSegmentBytes, this.files);
    q = { cq, next: 0 };
    byId.set(queueId, q);
    return q;
  }

  private queueDir(topic: string, queueId: number): string {
    return path.join(this.rootDir, 'consumequeue', topic, String(queueId));
  }

  private *allQueues(): Iterable<QueueState> {
    for (const byId of this.queues.values()) yield* byId.values();
  }

  private queueCount(): number {
    let n = 0;
    for (const byId of this.queues.values()) n += byId.size;
    return n;
  }

  /** Recovery bound on a record: anything that fits a segment (maxMessageSize may have been lowered since it was written). */
  private maxRecordBytes(): number {
    return this.config.mappedFileSizeCommitLog - 8;
  }

  private logFileEnd(): number {
    const segs = this.commitLog.segments;
    const last = segs[segs.length - 1];
    return last ? last.start + last.file.size() : 0;
  }

  /** Opens every queue found on disk; returns those whose tail was invalid and cut. */
  private loadQueues(logEnd: number): QueueState[] {
    const damaged: QueueState[] = [];
    const root = path.join(this.rootDir, 'consumequeue');
    for (const topic of this.files.list(root)) {
      for (const id of this.files.list(path.join(root, topic))) {
        const queueId = Number(id);
        if (!Number.isInteger(queueId) || String(queueId) !== id) continue;
        const q = this.queueState(topic, queueId, true)!;
        if (q.cq.load(logEnd)) damaged.push(q);
        q.next = q.cq.maxOffset;
      }
    }
    return damaged;
  }

  /** For the broker's runtime info and tests. */
  getRuntimeInfo(): Record<string, string> {
    return {
      commitLogMinOffset: String(this.commitLog.minOffset),
      commitLogMaxOffset: String(this.commitLog.maxOffset),
      commitLogSegments: String(this.commitLog.segments.length),
      consumeQueues: String(this.queueCount()),
      indexFiles: String(this.index?.fileCount() ?? 0),
      diskFull: String(this.clean.diskFull),
      ioError: this.ioError ?? '',
      flushDiskType: this.config.flushDiskType,
      flushedOffset: String(this.flushWaits.flushedOffset),
      lastRecoveryMs: this.lastRecovery.ms.toFixed(1),
      lastRecoveryScannedBytes: String(this.lastRecovery.scannedBytes),
      lastRecoveryRecords: String(this.lastRecovery.records),
      lastRecoveryAbnormal: String(this.lastRecovery.crashed),
    };
  }
}
