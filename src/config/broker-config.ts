import os from 'node:os';
import path from 'node:path';
import { log } from '../logger.js';

/**
 * Every broker and store setting, keyed by the name the Java broker.conf uses
 * (BrokerConfig, MessageStoreConfig, NettyServerConfig). Units are in the Java names
 * (…Mills / …Interval in ms, fileReservedTime in hours, sizes in bytes).
 */
export const BROKER_CONFIG_DEFAULTS = {
  // identity and cluster (BrokerConfig)
  brokerClusterName: 'DefaultCluster',
  brokerName: 'broker-a',
  brokerId: 0,
  namesrvAddr: '',
  /** Address advertised to the namesrv and stamped as store host: must be reachable by clients. */
  brokerIP1: '127.0.0.1',
  brokerIP2: '127.0.0.1',
  regionId: 'DefaultRegion',
  traceOn: true,
  brokerPermission: 6,
  // network (NettyServerConfig); listenPort 10911 as BrokerStartup sets it
  listenPort: 10911,
  /** Netty all-idle close: a channel with no traffic at all for this long is closed. */
  serverChannelMaxIdleTimeSeconds: 120,
  // topics and groups
  autoCreateTopicEnable: true,
  autoCreateSubscriptionGroup: true,
  defaultTopicQueueNums: 8,
  /**
   * Most read or write queues UPDATE_AND_CREATE_TOPIC accepts for one topic (our key: the Java broker has no
   * bound). Each queue is a directory of ConsumeQueue files and a MessageQueue in every client; 1024 is
   * the most any topic the Java broker creates itself has (BenchmarkTest).
   */
  maxTopicQueueNums: 1024,
  /** 5.x BrokerConfig: UPDATE_AND_CREATE_TOPIC and DELETE_TOPIC_IN_BROKER refuse system topics. */
  validateSystemTopicWhenUpdateTopic: true,
  clusterTopicEnable: true,
  brokerTopicEnable: true,
  traceTopicEnable: false,
  msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
  notifyConsumerIdsChangedEnable: true,
  enablePropertyFilter: false,
  // namesrv registration
  registerNameServerPeriod: 30_000,
  registerBrokerTimeoutMills: 6_000,
  forceRegister: true,
  compressedRegister: false,
  // consumers
  flushConsumerOffsetInterval: 5_000,
  longPollingEnable: true,
  shortPollingTimeMills: 1_000,
  /** ProducerManager / ConsumerManager channel expiry without heartbeat. */
  channelExpiredTimeout: 120_000,
  // transactions
  transactionTimeOut: 6_000,
  transactionCheckMax: 15,
  transactionCheckInterval: 60_000,
  /**
   * Longest delay accepted for a TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS message, in seconds
   * (5.x MessageStoreConfig key; its default is 3 days, ours 7 days: our timer index is durable and sorted,
   * not a wheel whose size grows with the range).
   */
  timerMaxDelaySec: 7 * 86_400,
  // store (MessageStoreConfig)
  storePathRootDir: path.join(os.homedir(), 'store'),
  storePathCommitLog: '',
  brokerRole: 'ASYNC_MASTER',
  flushDiskType: 'ASYNC_FLUSH',
  /** CommitLog segment size in bytes. */
  mappedFileSizeCommitLog: 1024 * 1024 * 1024,
  /** ConsumeQueue segment size: 300,000 units of 20 bytes. */
  mappedFileSizeConsumeQueue: 300_000 * 20,
  flushIntervalCommitLog: 500,
  flushCommitLogTimed: false,
  flushIntervalConsumeQueue: 1_000,
  flushLeastPagesWhenSyncFlushTimeout: 4,
  syncFlushTimeout: 5_000,
  /** Largest accepted message body (and batch) in bytes. */
  maxMessageSize: 4 * 1024 * 1024,
  messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
  flushDelayOffsetInterval: 10_000,
  /** Hours a CommitLog segment is kept after its last write. */
  fileReservedTime: 72,
  /** Hours of the day (`;`-separated) when expired files are deleted. */
  deleteWhen: '04',
  diskMaxUsedSpaceRatio: 75,
  messageIndexEnable: true,
  maxHashSlotNum: 5_000_000,
  maxIndexNum: 20_000_000,
  defaultQueryMaxNum: 32,
  maxTransferBytesOnMessageInMemory: 256 * 1024,
  maxTransferCountOnMessageInMemory: 32,
  maxTransferBytesOnMessageInDisk: 64 * 1024,
  maxTransferCountOnMessageInDisk: 8,
  haListenPort: 10912,
};

export type BrokerConfig = { -readonly [K in keyof typeof BROKER_CONFIG_DEFAULTS]: (typeof BROKER_CONFIG_DEFAULTS)[K] };

/** Keys a Java broker.conf may carry that we accept but do not act on. Listed so they are not warned about. */
const KNOWN_IGNORED = new Set([
  'deleteWhen', 'rocketmqHome', 'kvConfigPath', 'configStorePath', 'fetchNamesrvAddrByAddressServer',
  'sendMessageThreadPoolNums', 'pullMessageThreadPoolNums', 'storePathConsumeQueue', 'storePathIndex',
  'slaveReadEnable', 'aclEnable', 'rejectTransactionMessage', 'useReentrantLockWhenPutMessage',
  'transientStorePoolEnable', 'warmMapedFileEnable', 'osPageCacheBusyTimeOutMills', 'sendThreadPoolQueueCapacity',
]);

/** Applies `key=value` pairs over defaults, converting to each default's type; unknown keys are warned about. */
export function applyConfig<T extends Record<string, unknown>>(target: T, props: Map<string, string>, source: string): string[] {
  const unknown: string[] = [];
  for (const [key, raw] of props) {
    if (!(key in target)) {
      if (!KNOWN_IGNORED.has(key)) unknown.push(key);
      continue;
    }
    const current = target[key];
    const value = raw.trim();
    let parsed: unknown;
    if (typeof current === 'number') {
      parsed = Number(value);
      if (!Number.isFinite(parsed as number)) throw new Error(`${source}: ${key}=${raw} is not a number`);
    } else if (typeof current === 'boolean') {
      parsed = value === 'true';
    } else {
      parsed = value;
    }
    (target as Record<string, unknown>)[key] = parsed;
  }
  for (const k of unknown) log.warn(`${source}: unknown config key "${k}" ignored`);
  return unknown;
}

export function brokerConfig(overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return { ...BROKER_CONFIG_DEFAULTS, ...overrides };
}
