/**
 * DefaultMessageStore: the MessageStore contract over its parts. The CommitLog holds every record;
 * the queue table the ConsumeQueues; the write pipeline takes puts through to acknowledgement;
 * recovery opens the store; the flusher makes it durable and keeps the checkpoint; the clean service
 * keeps retention. This file wires them, checks that the store may take a put, runs the timers, answers
 * reads and offset lookups, and shuts down.
 */
import assert from 'node:assert';
import path from 'node:path';
import { log } from '../logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { CommitLog } from './commit-log.js';
import { cqSegmentBytes } from './consume-queue.js';
import { parseDelayLevels } from './dispatch-info.js';
import { FsStoreFiles, type StoreFiles } from './store-files.js';
import { DiskSpaceGuard } from './disk-space-guard.js';
import { IndexService } from './index-service.js';
import { CleanService, type CleanRunResult } from './clean-service.js';
import { collectMessages, offsetByTime, pullContext, queryByKey, storeTimestampAt, type PullContext } from './get-message.js';
import { QueueTable } from './queue-table.js';
import { StoreFlusher } from './store-flush.js';
import { recoverStore } from './store-recovery.js';
import { truncateStore } from './store-truncate.js';
import { RECORD_HEADROOM_BYTES, WritePipeline } from './write-pipeline.js';
import { Replication } from './ha/replication.js';
import type { ArrivalListener, GetMessageResult, HaStatus, HaTls, MessageFilter, MessageStore, PutMessageResult, QueryMessageResult } from './types.js';
import type { MessageInner } from '../codec/message.js';
import type { AutoSwitchHa } from './ha/autoswitch/types.js';

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
  /** Whether start() opens replication (HA listener or slave connection); store-only tests turn it off. */
  replication: boolean;
}

export class DefaultMessageStore implements MessageStore {
  private readonly files: StoreFiles;
  private readonly rootDir: string;
  private readonly commitLog: CommitLog;
  private readonly queues: QueueTable;
  private readonly listeners: ArrivalListener[] = [];
  private readonly delayLevels: number[];
  private readonly pullContext: PullContext;
  private readonly index: IndexService | undefined;
  private readonly clean: CleanService;
  private readonly flusher: StoreFlusher;
  private readonly diskSpace: DiskSpaceGuard;
  private readonly writer: WritePipeline;
  private readonly replication: Replication;
  readonly autoSwitch: AutoSwitchHa | undefined;
  private readonly replicationOn: boolean;
  private started = false;
  private shuttingDown = false;
  private timers: NodeJS.Timeout[] = [];
  private lastRecovery = { ms: 0, scannedBytes: 0, records: 0, crashed: false };

  constructor(readonly config: BrokerConfig, deps: Partial<StoreDeps> = {}) {
    this.files = deps.files ?? new FsStoreFiles();
    this.replicationOn = deps.replication ?? true;
    const now = deps.now ?? Date.now;
    this.rootDir = config.storePathRootDir;
    const logDir = config.storePathCommitLog || path.join(this.rootDir, 'commitlog');
    this.commitLog = new CommitLog(logDir, config.mappedFileSizeCommitLog, this.files, deps.recentCacheBytes ?? RECENT_CACHE_BYTES);
    const queueSegmentBytes = cqSegmentBytes(config.mappedFileSizeConsumeQueue);
    this.queues = new QueueTable(this.rootDir, queueSegmentBytes, this.files);
    this.pullContext = pullContext(this.commitLog, config, queueSegmentBytes);
    this.delayLevels = parseDelayLevels(config.messageDelayLevel);
    if (config.messageIndexEnable) {
      this.index = new IndexService(path.join(this.rootDir, 'index'), this.files, config.maxHashSlotNum, config.maxIndexNum, now);
    }
    this.flusher = new StoreFlusher({
      files: this.files, rootDir: this.rootDir, commitLog: this.commitLog, queues: this.queues, index: this.index,
      syncFlushTimeoutMs: config.syncFlushTimeout,
      lastWrittenTimestamp: () => this.writer.lastWrittenTimestamp,
      lastDispatchedTimestamp: () => this.writer.lastDispatchedTimestamp,
    });
    this.clean = new CleanService(config, {
      commitLog: this.commitLog,
      queues: () => [...this.queues.all()].map((q) => q.cq),
      index: this.index,
      paths: [logDir, this.rootDir],
    }, this.files, now);
    this.diskSpace = new DiskSpaceGuard(this.files, {
      commitLog: logDir,
      consumeQueue: path.join(this.rootDir, 'consumequeue'),
      index: path.join(this.rootDir, 'index'),
    }, this.clean, now, config.maxMessageSize + RECORD_HEADROOM_BYTES);
    this.writer = new WritePipeline({
      config, commitLog: this.commitLog, queues: this.queues, index: this.index, groupCommit: this.flusher.groupCommit,
      diskSpace: this.diskSpace, listeners: this.listeners, delayLevels: this.delayLevels, now,
      afterWrite: () => this.replication.notifyWritten(),
    });
    this.replication = new Replication(config, {
      commitLog: this.commitLog, queues: this.queues, index: this.index, delayLevels: this.delayLevels, listeners: this.listeners,
      writer: this.writer, truncateTo: (o, checked) => this.truncateTo(o, checked),
    });
    this.autoSwitch = this.replication.autoSwitch;
    if (config.flushDiskType !== 'SYNC_FLUSH' && config.flushDiskType !== 'ASYNC_FLUSH') {
      throw new Error(`flushDiskType=${config.flushDiskType}: expected ASYNC_FLUSH or SYNC_FLUSH`);
    }
    if (config.mappedFileSizeCommitLog < config.maxMessageSize + RECORD_HEADROOM_BYTES) {
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
    const checkpoint = this.flusher.openCheckpoint();
    const r = recoverStore({
      commitLog: this.commitLog, queues: this.queues, index: this.index, checkpoint, delayLevels: this.delayLevels,
      // Anything that fits a segment: maxMessageSize may have been lowered since a record was written.
      maxRecordBytes: this.config.mappedFileSizeCommitLog - 8,
    }, crashed);
    this.writer.lastStoreTimestamp = Math.max(this.writer.lastStoreTimestamp, r.maxStoreTimestamp, checkpoint.physicMsgTimestamp);
    this.clean.trimToLog();
    this.lastRecovery = { ms: performance.now() - t0, scannedBytes: r.scannedBytes, records: r.records, crashed };
    this.files.writeSmall(abortPath, Buffer.alloc(0));
    this.started = true;
    this.startTimers();
    if (this.replicationOn) await this.replication.start();
    log.info(
      `store: ${crashed ? 'abnormal' : 'normal'} recovery of ${this.rootDir} took ${(performance.now() - t0).toFixed(1)} ms: ` +
      `log [${this.commitLog.minOffset}, ${r.end}), scanned ${r.records} records (${(r.scannedBytes / 1048576).toFixed(1)} MiB) ` +
      `from segment ${r.scanFrom + 1}/${this.commitLog.segments.length}, ${r.requeued} queues re-dispatched, ` +
      `${r.cut} dangling units cut, ${r.damaged} damaged queues, ${this.queues.count()} queues`,
    );
  }

  async shutdown(): Promise<void> {
    if (!this.started || this.shuttingDown) return;
    this.shuttingDown = true;
    this.flusher.stop();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.writer.hasPending()) this.writer.runTick();
    await this.replication.stop();
    await this.flusher.drain();
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
    await step('consumequeue and index flush', () => this.flusher.flushQueuesNow(true));
    this.writer.stop();
    this.closeFiles();
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
    this.flusher.stop();
    this.started = false;
    this.writer.stop();
    void this.replication.stop(false);
    this.closeFiles();
  }

  private closeFiles(): void {
    this.commitLog.close();
    this.queues.close();
    this.index?.close();
    this.flusher.close();
  }

  private startTimers(): void {
    if (this.config.flushDiskType !== 'SYNC_FLUSH') {
      this.timers.push(setInterval(() => this.flusher.flushLog(), Math.max(10, this.config.flushIntervalCommitLog)));
    }
    this.timers.push(setInterval(() => this.flusher.flushQueues(), Math.max(10, this.config.flushIntervalConsumeQueue)));
    this.timers.push(setInterval(() => this.runClean(), CLEAN_RESOURCE_INTERVAL_MS));
    for (const t of this.timers) t.unref();
    this.runClean();
  }

  /** Syncs the CommitLog now (shutdown and tests; the timers and group commit sync on their own). */
  syncLog(): Promise<number> {
    return this.flusher.syncLog();
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
    const refused = this.checkStoreStatus() ?? this.replication.beforePut(msgs[0].propertiesString);
    if (refused) return Promise.resolve(refused);
    const put = this.writer.put(msgs);
    return this.replication.syncMaster ? this.replication.afterPut(put, msgs[0].propertiesString) : put;
  }

  lockTimeMills(): number {
    return Math.round(this.writer.lockTimeMs());
  }

  /** DefaultMessageStore#isOSPageCacheBusy: appends have waited longer than osPageCacheBusyTimeOutMills for their write. */
  isOSPageCacheBusy(): boolean {
    return this.writer.lockTimeMs() > this.config.osPageCacheBusyTimeOutMills;
  }

  private checkStoreStatus(): PutMessageResult | undefined {
    if (!this.started || this.shuttingDown) return { status: 'SERVICE_NOT_AVAILABLE', remark: 'message store is not running' };
    if (this.config.brokerRole === 'SLAVE') return { status: 'SERVICE_NOT_AVAILABLE', remark: 'broker role is slave' };
    // RunningFlags#isWriteable: the Java store refuses with SERVICE_NOT_AVAILABLE when the disk is full.
    const full = this.diskSpace.refusal();
    if (full) return full;
    const ioError = this.flusher.ioError;
    if (ioError) return { status: 'SERVICE_NOT_AVAILABLE', remark: `store disk error: ${ioError}` };
    if (this.isOSPageCacheBusy()) return { status: 'OS_PAGECACHE_BUSY' };
    return undefined;
  }

  // ================================================================ get

  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult {
    const result: GetMessageResult = {
      status: 'NO_MESSAGE_IN_QUEUE', nextBeginOffset: offset, minOffset: 0, maxOffset: 0, buffers: [], messageCount: 0,
      bufferTotalSize: 0, suggestPullingFromSlave: false,
    };
    const q = this.queues.get(topic, queueId, false);
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
    return this.queues.get(topic, queueId, false)?.cq.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(topic, queueId, false)?.cq.minOffset ?? 0;
  }

  /** First queue offset whose store time is >= timestamp; the max offset when every message is older. */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    const q = this.queues.get(topic, queueId, false);
    return q ? offsetByTime(this.commitLog, q.cq, timestamp) : 0;
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    const q = this.queues.get(topic, queueId, false);
    return q ? this.getMessageStoreTimeStamp(topic, queueId, q.cq.minOffset) : -1;
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number {
    const u = this.queues.get(topic, queueId, false)?.cq.unitAt(consumeQueueOffset);
    return u ? storeTimestampAt(this.commitLog, u.phyOffset, u.size) : -1;
  }

  consumeQueueUnits(topic: string, queueId: number, from: number, count: number): ReturnType<MessageStore['consumeQueueUnits']> {
    const cq = this.queues.get(topic, queueId, false)?.cq;
    if (!cq) return undefined;
    const offsets = Array.from({ length: Math.max(0, Math.min(cq.maxOffset, from + count) - Math.max(from, cq.minOffset)) }, (_, i) => Math.max(from, cq.minOffset) + i);
    return { minOffset: cq.minOffset, maxOffset: cq.maxOffset, units: offsets.flatMap((o) => { const u = cq.unitAt(o); return u ? [{ queueOffset: o, ...u }] : []; }) };
  }

  lookMessageByOffset(commitLogOffset: number): Buffer | undefined {
    return this.commitLog.readRecord(commitLogOffset);
  }

  /** Controller mode: the log and all derived from it cut back to `offset`, a record start unless !checkAligned (store-truncate.ts). */
  truncateTo(offset: number, checkAligned = true): Promise<void> {
    assert(this.started, 'store not started');
    const parts = { commitLog: this.commitLog, queues: this.queues, index: this.index, writer: this.writer, flusher: this.flusher };
    return truncateStore(parts, offset, checkAligned);
  }

  getMaxPhyOffset(): number {
    return this.commitLog.maxOffset;
  }

  getMinPhyOffset(): number {
    return this.commitLog.minOffset;
  }

  deleteTopics(topics: Iterable<string>): void {
    this.queues.deleteTopics(topics);
  }

  queryMessage(topic: string, key: string, maxNum: number, beginTimestamp: number, endTimestamp: number): QueryMessageResult {
    return queryByKey(this.index, this.commitLog, topic, key, maxNum, beginTimestamp, endTimestamp);
  }

  onArrival(listener: ArrivalListener): void {
    this.listeners.push(listener);
  }

  haStatus(): HaStatus {
    return this.replication.status();
  }

  updateHaMasterAddress(addr: string | undefined): void {
    this.replication.updateMasterAddress(addr);
  }

  useHaTls(t: HaTls): void {
    this.replication.useTls(t);
  }

  /** For the broker's runtime info and tests. */
  getRuntimeInfo(): Record<string, string> {
    return {
      commitLogMinOffset: String(this.commitLog.minOffset),
      commitLogMaxOffset: String(this.commitLog.maxOffset),
      commitLogSegments: String(this.commitLog.segments.length),
      consumeQueues: String(this.queues.count()),
      indexFiles: String(this.index?.fileCount() ?? 0),
      diskFull: String(this.clean.diskFull),
      ioError: this.flusher.ioError ?? '',
      flushDiskType: this.config.flushDiskType,
      flushedOffset: String(this.flusher.groupCommit.flushedOffset),
      lastRecoveryMs: this.lastRecovery.ms.toFixed(1),
      lastRecoveryScannedBytes: String(this.lastRecovery.scannedBytes),
      lastRecoveryRecords: String(this.lastRecovery.records),
      lastRecoveryAbnormal: String(this.lastRecovery.crashed),
    };
  }
}
