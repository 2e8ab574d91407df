/**
 * GET_BROKER_RUNTIME_INFO's KVTable (AdminBrokerProcessor#prepareRuntimeInfo plus
 * DefaultMessageStore#getRuntimeInfo and StoreStatsService#getRuntimeInfo): the figures
 * `clusterList` and `brokerStatus` print, all measured by this broker.
 *
 * Keys mqadmin parses: brokerVersionDesc, putTps / getTransferedTps (first
 * space-separated number), send/pullThreadPoolQueueSize, …HeadWaitTimeMills,
 * pageCacheLockTimeMills, earliestMessageTimeStamp, commitLogDiskRatio, msgPut/GetTotal…
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerContext } from '../../broker/broker-context.js';
import { CURRENT_VERSION, CURRENT_VERSION_DESC } from '../../protocol/version.js';
import { formatJavaDouble, parseFastJson } from '../../codec/fastjson.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { readStoreTimestamp } from '../../codec/message-record.js';
import { remotingMemoryStats } from '../../remoting/limits-state.js';

/** StoreStatsService windows for the "10 s, 1 min, 10 min" TPS triples. */
const TPS_WINDOWS_SEC = [10, 60, 600] as const;

/** TransientStorePool#availableBufferNums without a pool (transientStorePoolEnable=false, the only mode here): Integer.MAX_VALUE. */
const NO_TRANSIENT_STORE_POOL = 2_147_483_647;

export function brokerRuntimeInfo(ctx: BrokerContext, nowMs = Date.now()): Map<string, string> {
  const { stats, store, config } = ctx;
  // The store's own figures first (segments, index files, flush and recovery state); ours below win.
  const info = new Map<string, string>(Object.entries(store.getRuntimeInfo()));
  const put = (k: string, v: string | number): void => {
    info.set(k, String(v));
  };

  // StoreStatsService
  put('bootTimestamp', stats.bootTimestamp);
  put('runtime', formatRuntime(nowMs - stats.bootTimestamp));
  // Java reports 1 rather than 0 so the average below never divides by zero.
  const putTimes = Math.max(1, stats.putTotal);
  put('putMessageTimesTotal', putTimes);
  put('putMessageSizeTotal', stats.putBytesTotal);
  put('putMessageAverageSize', formatJavaDouble(stats.putBytesTotal / putTimes));
  put('putTps', tpsTriple((w) => stats.putTps(w)));
  put('getTransferedTps', tpsTriple((w) => stats.getTps(w)));
  // 5.x spells it correctly and its clusterList reads only this spelling.
  put('getTransferredTps', tpsTriple((w) => stats.getTps(w)));
  // Store reads (pull requests served, incl. long-poll re-checks): found, missed, both.
  put('getFoundTps', tpsTriple((w) => stats.getFoundTps(w)));
  put('getMissTps', tpsTriple((w) => stats.getMissTps(w)));
  put('getTotalTps', tpsTriple((w) => stats.getFoundTps(w) + stats.getMissTps(w)));
  put('getMessageEntireTimeMax', stats.getMessageTimeMaxMs);
  // StoreStatsService#dispatchMaxBuffer: nothing in 4.9.x or 5.3.3 ever raises it from 0.
  put('dispatchMaxBuffer', 0);

  // DefaultMessageStore
  const minPhy = store.getMinPhyOffset();
  const maxPhy = store.getMaxPhyOffset();
  put('commitLogMinOffset', minPhy);
  put('commitLogMaxOffset', maxPhy);
  const commitLogDir = config.storePathCommitLog || path.join(config.storePathRootDir, 'commitlog');
  const commitLogRatio = diskUsedRatio(commitLogDir);
  put(`commitLogDiskRatio_${commitLogDir}`, formatJavaDouble(commitLogRatio));
  put('commitLogDiskRatio', formatJavaDouble(commitLogRatio));
  put('consumeQueueDiskRatio', formatJavaDouble(diskUsedRatio(path.join(config.storePathRootDir, 'consumequeue'))));
  put('earliestMessageTimeStamp', earliestMessageTime(ctx, minPhy, maxPhy));
  // ScheduleMessageService#buildRunningStats: per delay level "delivered offset,queue max offset".
  const table = (parseFastJson(ctx.schedule.encode()) as { offsetTable?: Map<number, number> | Record<string, number> }).offsetTable ?? {};
  for (const [level, offset] of table instanceof Map ? table : Object.entries(table)) {
    put(`scheduleMessageOffset_${level}`, `${offset},${store.getMaxOffsetInQueue(TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, Number(level) - 1)}`);
  }
  // 5.x AdminBrokerProcessor#prepareRuntimeInfo (timerWheelEnable): the timer's backlog and rates; 4.9 tools ignore them.
  const timer = ctx.timer.runtimeStats(nowMs);
  put('timerReadBehind', timer.readBehindSec);
  put('timerOffsetBehind', timer.offsetBehind);
  put('timerCongestNum', timer.congestNum);
  put('timerEnqueueTps', formatJavaDouble(timer.enqueueTps));
  put('timerDequeueTps', formatJavaDouble(timer.dequeueTps));
  put('dispatchBehindBytes', 0);
  put('pageCacheLockTimeMills', store.lockTimeMills());
  // Remoting memory of the whole process (ours; the Java broker reports none): unsent replies held for
  // slow readers, connections paused for them, bytes held in unfinished frames (src/config/limits.ts).
  const remoting = remotingMemoryStats();
  put('remotingWriteBufferBytes', remoting.writeBufferBytes);
  put('remotingPausedConnections', remoting.pausedConnections);
  put('remotingPendingFrameBytes', remoting.pendingFrameBytes);

  // AdminBrokerProcessor
  put('brokerVersionDesc', CURRENT_VERSION_DESC);
  put('brokerVersion', CURRENT_VERSION);
  put('msgPutTotalYesterdayMorning', stats.putTotalYesterdayMorning);
  put('msgPutTotalTodayMorning', stats.putTotalTodayMorning);
  put('msgPutTotalTodayNow', stats.putTotal);
  put('msgGetTotalYesterdayMorning', stats.getTotalYesterdayMorning);
  put('msgGetTotalTodayMorning', stats.getTotalTodayMorning);
  put('msgGetTotalTodayNow', stats.getTotal);
  // The request families' queues (src/remoting/request-queues.ts), under the Java pools' names.
  const queues = ctx.requestQueues?.() ?? new Map();
  for (const pool of ['send', 'pull', 'query'] as const) {
    const q = queues.get(pool);
    put(`${pool}ThreadPoolQueueSize`, q?.size ?? 0);
    put(`${pool}ThreadPoolQueueCapacity`, q?.capacity ?? 0);
    put(`${pool}ThreadPoolQueueHeadWaitTimeMills`, q?.headWaitMs ?? 0);
  }
  const endTx = queues.get('endTransaction');
  put('EndTransactionQueueSize', endTx?.size ?? 0);
  put('EndTransactionThreadPoolQueueCapacity', endTx?.capacity ?? 0);
  put('startAcceptSendRequestTimeStamp', 0);
  put('remainTransientStoreBufferNumbs', NO_TRANSIENT_STORE_POOL);
  // MappedFileQueue#remainHowManyDataToFlush: written but not yet flushed, as MixAll#humanReadableByteCount.
  const flushed = Number(info.get('flushedOffset'));
  if (Number.isFinite(flushed)) put('remainHowManyDataToFlush', humanReadableBytes(Math.max(0, maxPhy - flushed)));
  // 5.x clusterList's #ACTIVATED column (BrokerController#isSpecialServiceRunning): the schedule and
  // transaction-check services run, which they do on a master only.
  put('brokerActive', String(config.brokerRole !== 'SLAVE'));
  replicationInfo(ctx, maxPhy, put);
  const space = diskSpace(config.storePathRootDir);
  if (space) put('commitLogDirCapacity', `Total : ${humanReadableBytes(space.total)}, Free : ${humanReadableBytes(space.usable)}.`);
  return info;
}

/**
 * Replication state. Neither 4.9.8 nor 5.3.3 puts any in this table (AdminBrokerProcessor#prepareRuntimeInfo,
 * DefaultMessageStore#getRuntimeInfo, StoreStatsService#getRuntimeInfo have none; 4.9.8 only logs
 * DefaultMessageStore#slaveFallBehindMuch every minute on a master, and 5.x has GET_BROKER_HA_STATUS for
 * the rest; compat-tests/mqadmin-replication.test.ts checks that a 4.9.7 group prints none), so these keys are
 * ours, named after the Java fields they show; brokerStatus prints them all.
 *   master: slaveFallBehindMuch (log end − the furthest slave ack; the whole log without slaves, as Java),
 *           haConnectionCount (HAService#connectionCount), haPush2SlaveMaxOffset (HAService#push2SlaveMaxOffset),
 *           haSlaveAckOffset_<addr> per connected slave (HAConnection#slaveAckOffset);
 *   slave:  haMasterAddress (HAClient#masterAddress, '' until known), haMasterConnected,
 *           haLastReadAgoMs (since the master last sent anything, from HAClient#lastReadTimestamp; -1 never).
 */
function replicationInfo(ctx: BrokerContext, maxPhy: number, put: (k: string, v: string | number) => void): void {
  const ha = ctx.store.haStatus();
  if (ha.role === 'SLAVE') {
    put('haMasterAddress', ha.masterHaAddress);
    put('haMasterConnected', String(ha.connected));
    put('haLastReadAgoMs', ha.lastReadAgoMs);
    return;
  }
  put('slaveFallBehindMuch', maxPhy - ha.push2SlaveMaxOffset);
  put('haConnectionCount', ha.slaves.length);
  put('haPush2SlaveMaxOffset', ha.push2SlaveMaxOffset);
  for (const s of ha.slaves) put(`haSlaveAckOffset_${s.addr}`, s.ackOffset);
}

/** "x y z": rates over 10 s, 1 min and 10 min, each as Java prints a double. */
function tpsTriple(rate: (windowSec: number) => number): string {
  return TPS_WINDOWS_SEC.map((w) => formatJavaDouble(rate(w))).join(' ');
}

/** StoreStatsService#getFormatRuntime. */
function formatRuntime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}

/** DefaultMessageStore#getEarliestMessageTime: store time of the oldest record, -1 when the log is empty. */
function earliestMessageTime(ctx: BrokerContext, minPhy: number, maxPhy: number): number {
  if (maxPhy <= minPhy) return -1;
  const record = ctx.store.lookMessageByOffset(minPhy);
  return record ? readStoreTimestamp(record) : -1;
}

interface DiskSpace {
  total: number;
  free: number;
  usable: number;
}

function diskSpace(dir: string): DiskSpace | undefined {
  try {
    const s = fs.statfsSync(dir);
    return { total: s.blocks * s.bsize, free: s.bfree * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return undefined; // missing directory: the Java broker reports -1 too
  }
}

/**
 * UtilAll#getDiskPartitionSpaceUsedPercent: used / (used + usable) with used = total - free, rounded
 * up to whole percent (what `df` shows as Use%), as a fraction; -1 if the path does not exist.
 */
export function diskUsedRatio(dir: string): number {
  const s = diskSpace(dir);
  if (!s || s.total <= 0) return -1;
  const used = s.total - s.free;
  const entire = used + s.usable;
  if (entire <= 0) return -1;
  const percent = Math.floor((used * 100) / entire) + ((used * 100) % entire !== 0 ? 1 : 0);
  return percent / 100;
}

/** MixAll#humanReadableByteCount(bytes, si=false): "12.3 GiB". */
function humanReadableBytes(bytes: number): string {
  const unit = 1024;
  if (bytes < unit) return `${bytes} B`;
  const exp = Math.floor(Math.log(bytes) / Math.log(unit));
  return `${(bytes / unit ** exp).toFixed(1)} ${'KMGTPE'[exp - 1]}iB`;
}
