import os from 'node:os';
import path from 'node:path';
import { parseJavaInt } from '../protocol/java-number.js';
import { readPropertiesFile } from './properties.js';
import { LIMITS, limitDefaults } from './limits.js';
import { ACL_CONFIG_DEFAULTS, ACL_RULES, AUTH_CLASS_KEYS, TLS_CONFIG_DEFAULTS, TLS_RULES } from './security.js';
import { REPLY_CONFIG_DEFAULTS, REPLY_NO_EFFECT, REPLY_RULES } from './reply.js';
import { POP_CONFIG_DEFAULTS, POP_NO_EFFECT, POP_RULES } from './pop-config.js';
import { TIMER_CONFIG_DEFAULTS, TIMER_RULES } from './timer.js';
import { OPERATOR_CONFIG_DEFAULTS, OPERATOR_RULES } from './operator.js';
import { CONTROLLER_CONFIG_DEFAULTS, CONTROLLER_RULES } from './controller.js';
import {
  BOOL, ConfigError, NON_EMPTY, PORT, STRING, applyProperties, applyValues, intRule, longRule, oneOf, validateConfig,
  type ConfigSchema, type Rule, type Rules,
} from './config-rules.js';

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
  // timers (config/timer.ts)
  ...TIMER_CONFIG_DEFAULTS,
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
  // master/slave replication (MessageStoreConfig, BrokerConfig)
  haListenPort: 10912,
  /** Both sides: a report (slave) or an empty frame (master) after this long without writing. */
  haSendHeartbeatInterval: 5_000,
  /** The master closes a slave connection that sent nothing for this long. */
  haHousekeepingInterval: 20_000,
  /** Largest body of one master → slave frame. */
  haTransferBatchSize: 32 * 1024,
  /** SYNC_MASTER: a slave this many bytes behind does not count (the send gets SLAVE_NOT_AVAILABLE). */
  haSlaveFallbehindMax: 256 * 1024 * 1024,
  /** Slave: the master's HA address (ip:port); empty ⇒ learned from the NameServer's registration answer. */
  haMasterAddress: '',
  /** SYNC_MASTER: how long a send waits for a slave to have its bytes before FLUSH_SLAVE_TIMEOUT. */
  slaveTimeout: 3_000,
  /** PULL: whether consumers may be sent to a slave (suggestWhichBrokerId). */
  slaveReadEnable: false,
  /** A slave answers PULL_OFFSET_MOVED itself instead of sending the consumer back to the master. */
  offsetCheckInSlave: false,
  /** Share of RAM (percent): data further behind the log end counts as "on disk" (and may be read from a slave). */
  accessMessageInMemoryMaxRatio: 40,
  // memory bounds: src/config/limits.ts says what each one bounds and why
  ...limitDefaults(['frameMaxLength', 'commitLogRecentCacheBytes', 'heldPullRequestsMax', 'transactionPendingMax', 'timerPendingMax',
    'remotingHeaderMaxBytes', 'remotingHeaderMaxFields', 'frameReadTimeoutMills', 'pendingFrameBytesTotalMax',
    'writeBufferHighWaterMark', 'writeBufferMaxBytes', 'writeBufferTotalMaxBytes',
    'sendThreadPoolQueueCapacity', 'pullThreadPoolQueueCapacity', 'queryThreadPoolQueueCapacity',
    'heartbeatThreadPoolQueueCapacity', 'clientManagerThreadPoolQueueCapacity',
    'consumerManagerThreadPoolQueueCapacity', 'endTransactionPoolQueueCapacity', 'adminBrokerThreadPoolQueueCapacity',
    'waitTimeMillsInSendQueue', 'waitTimeMillsInPullQueue', 'waitTimeMillsInHeartbeatQueue',
    'waitTimeMillsInTransactionQueue', 'osPageCacheBusyTimeOutMills', 'requestTurnBudgetMills']),
  /** BrokerFastFailure: answer sends (pulls, ...) that waited too long in their queue with SYSTEM_BUSY. */
  brokerFastFailureEnable: true,
  // ACL 1.0 / 2.0 and TLS (config/security.ts)
  ...ACL_CONFIG_DEFAULTS,
  ...TLS_CONFIG_DEFAULTS,
  ...REPLY_CONFIG_DEFAULTS,
  ...POP_CONFIG_DEFAULTS,
  // gRPC endpoint, Prometheus exporter, console (config/operator.ts)
  ...OPERATOR_CONFIG_DEFAULTS,
  // controller mode and AutoSwitchHA (config/controller.ts)
  ...CONTROLLER_CONFIG_DEFAULTS,
};

export type BrokerConfig = { -readonly [K in keyof typeof BROKER_CONFIG_DEFAULTS]: (typeof BROKER_CONFIG_DEFAULTS)[K] };

/** deleteWhen: hours of the day, `;`-separated ("04", "04;16"), as UtilAll#isItTimeToDo reads them. */
function checkHours(v: string): string | undefined {
  const bad = v.split(';').find((h) => h.trim() !== '' && !((parseJavaInt(h.trim()) ?? -1) >= 0 && (parseJavaInt(h.trim()) ?? 24) <= 23));
  return bad === undefined ? undefined : `has "${bad}", not an hour 0..23`;
}

/** messageDelayLevel: space-separated durations with a unit s, m, h or d (ScheduleMessageService#parseDelayLevel). */
function checkDelayLevels(v: string): string | undefined {
  const bad = v.trim().split(/\s+/).find((item) => !/^\d+(\.\d+)?[smhd]$/.test(item));
  return bad === undefined ? undefined : `has "${bad}", not a number followed by s, m, h or d`;
}

const positiveInt = intRule(1);
const positiveLong = longRule(1);
const limit = (k: keyof typeof LIMITS): Rule => intRule(LIMITS[k].min);

/** The rule of every key: Java's field type, and the range or values that make sense. */
const BROKER_RULES: Rules<BrokerConfig> = {
  brokerClusterName: NON_EMPTY, brokerName: NON_EMPTY, brokerId: longRule(0), namesrvAddr: STRING,
  brokerIP1: NON_EMPTY, brokerIP2: NON_EMPTY, regionId: STRING, traceOn: BOOL,
  // PermName bits: 4 read, 2 write, 1 inherit.
  brokerPermission: intRule(0, 7),
  listenPort: PORT, serverChannelMaxIdleTimeSeconds: intRule(0),
  autoCreateTopicEnable: BOOL, autoCreateSubscriptionGroup: BOOL, defaultTopicQueueNums: positiveInt, maxTopicQueueNums: positiveInt,
  validateSystemTopicWhenUpdateTopic: BOOL, clusterTopicEnable: BOOL, brokerTopicEnable: BOOL, traceTopicEnable: BOOL,
  msgTraceTopicName: NON_EMPTY, notifyConsumerIdsChangedEnable: BOOL, enablePropertyFilter: BOOL,
  registerNameServerPeriod: positiveInt, registerBrokerTimeoutMills: positiveInt, forceRegister: BOOL, compressedRegister: BOOL,
  flushConsumerOffsetInterval: positiveInt, longPollingEnable: BOOL, shortPollingTimeMills: positiveLong, channelExpiredTimeout: positiveLong,
  transactionTimeOut: longRule(0), transactionCheckMax: intRule(0), transactionCheckInterval: positiveLong,
  ...TIMER_RULES,
  storePathRootDir: NON_EMPTY, storePathCommitLog: STRING,
  brokerRole: oneOf('ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'), flushDiskType: oneOf('ASYNC_FLUSH', 'SYNC_FLUSH'),
  mappedFileSizeCommitLog: positiveInt,
  // At least one 20-byte ConsumeQueue unit.
  mappedFileSizeConsumeQueue: intRule(20),
  flushIntervalCommitLog: positiveInt, flushCommitLogTimed: BOOL, flushIntervalConsumeQueue: positiveInt,
  flushLeastPagesWhenSyncFlushTimeout: intRule(0), syncFlushTimeout: positiveLong, maxMessageSize: positiveInt,
  messageDelayLevel: { type: 'string', nonEmpty: true, check: checkDelayLevels },
  flushDelayOffsetInterval: positiveLong, fileReservedTime: intRule(0),
  deleteWhen: { type: 'string', check: checkHours },
  // A percentage of the disk.
  diskMaxUsedSpaceRatio: intRule(0, 100),
  messageIndexEnable: BOOL, maxHashSlotNum: positiveInt, maxIndexNum: positiveInt, defaultQueryMaxNum: positiveInt,
  maxTransferBytesOnMessageInMemory: positiveInt, maxTransferCountOnMessageInMemory: positiveInt,
  maxTransferBytesOnMessageInDisk: positiveInt, maxTransferCountOnMessageInDisk: positiveInt,
  haListenPort: PORT, haSendHeartbeatInterval: positiveLong, haHousekeepingInterval: positiveLong,
  haTransferBatchSize: positiveInt, haSlaveFallbehindMax: positiveLong, haMasterAddress: STRING, slaveTimeout: positiveLong,
  slaveReadEnable: BOOL, offsetCheckInSlave: BOOL, accessMessageInMemoryMaxRatio: intRule(0, 100),
  frameMaxLength: limit('frameMaxLength'), commitLogRecentCacheBytes: limit('commitLogRecentCacheBytes'),
  heldPullRequestsMax: limit('heldPullRequestsMax'), transactionPendingMax: limit('transactionPendingMax'),
  timerPendingMax: limit('timerPendingMax'),
  sendThreadPoolQueueCapacity: limit('sendThreadPoolQueueCapacity'),
  pullThreadPoolQueueCapacity: limit('pullThreadPoolQueueCapacity'),
  queryThreadPoolQueueCapacity: limit('queryThreadPoolQueueCapacity'),
  heartbeatThreadPoolQueueCapacity: limit('heartbeatThreadPoolQueueCapacity'),
  clientManagerThreadPoolQueueCapacity: limit('clientManagerThreadPoolQueueCapacity'),
  consumerManagerThreadPoolQueueCapacity: limit('consumerManagerThreadPoolQueueCapacity'),
  endTransactionPoolQueueCapacity: limit('endTransactionPoolQueueCapacity'),
  adminBrokerThreadPoolQueueCapacity: limit('adminBrokerThreadPoolQueueCapacity'),
  waitTimeMillsInSendQueue: limit('waitTimeMillsInSendQueue'),
  waitTimeMillsInPullQueue: limit('waitTimeMillsInPullQueue'),
  waitTimeMillsInHeartbeatQueue: limit('waitTimeMillsInHeartbeatQueue'),
  waitTimeMillsInTransactionQueue: limit('waitTimeMillsInTransactionQueue'),
  osPageCacheBusyTimeOutMills: limit('osPageCacheBusyTimeOutMills'),
  requestTurnBudgetMills: limit('requestTurnBudgetMills'), brokerFastFailureEnable: BOOL,
  remotingHeaderMaxBytes: limit('remotingHeaderMaxBytes'), remotingHeaderMaxFields: limit('remotingHeaderMaxFields'),
  frameReadTimeoutMills: limit('frameReadTimeoutMills'), pendingFrameBytesTotalMax: limit('pendingFrameBytesTotalMax'),
  writeBufferHighWaterMark: limit('writeBufferHighWaterMark'), writeBufferMaxBytes: limit('writeBufferMaxBytes'),
  writeBufferTotalMaxBytes: limit('writeBufferTotalMaxBytes'),
  ...ACL_RULES,
  ...TLS_RULES,
  ...REPLY_RULES,
  ...POP_RULES,
  ...OPERATOR_RULES,
  ...CONTROLLER_RULES,
};

const NOT_IMPLEMENTED = 'not implemented by this broker';
const THREADS = 'Node serves requests on one event loop, without thread pools';

/**
 * Keys of the Java broker.conf accepted without effect. The first four are also in the defaults (so
 * GET_BROKER_CONFIG shows them as the Java broker does) while nothing reads them.
 */
const BROKER_NO_EFFECT = new Map<string, string>([
  ['forceRegister', 'every registration is a full one'],
  ['compressedRegister', 'registrations are sent uncompressed'],
  ['flushCommitLogTimed', 'the CommitLog is flushed by its own interval or at once with SYNC_FLUSH'],
  ['flushLeastPagesWhenSyncFlushTimeout', 'a timed flush writes everything pending'],
  ['kvConfigPath', 'a NameServer key'],
  ['configStorePath', 'this file is the one UPDATE_BROKER_CONFIG writes'],
  ['fetchNamesrvAddrByAddressServer', NOT_IMPLEMENTED],
  ['sendMessageThreadPoolNums', THREADS],
  ['pullMessageThreadPoolNums', THREADS],
  ['useReentrantLockWhenPutMessage', THREADS],
  ['storePathConsumeQueue', 'ConsumeQueues live under storePathRootDir/consumequeue'],
  ['storePathIndex', 'index files live under storePathRootDir/index'],
  ...AUTH_CLASS_KEYS.map((k): [string, string] => [k, 'the built-in authentication and authorization are used']),
  ['rejectTransactionMessage', NOT_IMPLEMENTED],
  ['transientStorePoolEnable', 'no off-heap write buffer pool'],
  ['warmMapedFileEnable', 'CommitLog files are not memory-mapped'],
  ...REPLY_NO_EFFECT,
  ...POP_NO_EFFECT,
]);

export const BROKER_SCHEMA: ConfigSchema<BrokerConfig> = { rules: BROKER_RULES, noEffect: BROKER_NO_EFFECT };

/** UPDATE_BROKER_CONFIG: `key=value` pairs over a copy of the running config, checked as at start. */
export function applyConfig(target: BrokerConfig, props: Map<string, string>, source: string): string[] {
  return applyProperties(target, BROKER_SCHEMA, props, source);
}

/** A config object with defaults, for tests and tools that build a store without a config file. */
export function brokerConfig(overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  const cfg = { ...BROKER_CONFIG_DEFAULTS, ...overrides };
  if (overrides.haListenPort === undefined) cfg.haListenPort = cfg.listenPort + 1;
  return cfg;
}

/**
 * The one way a server's broker config is made: defaults, then `base` (the CLI's own defaults, such as
 * standalone's data directory), then the file's keys, then `overrides` (values given in code, checked as
 * the file's are: see applyValues); paths resolved, the values that default to others derived
 * (storePathCommitLog, haListenPort), and every value checked. A bad value throws a ConfigError naming the
 * key, before anything is opened.
 */
export function loadBrokerConfig(file?: string, base: Partial<BrokerConfig> = {}, overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  const cfg: BrokerConfig = { ...BROKER_CONFIG_DEFAULTS, ...base };
  if (file) applyProperties(cfg, BROKER_SCHEMA, readPropertiesFile(file), file);
  applyValues(cfg, BROKER_SCHEMA, overrides, 'config');
  cfg.storePathRootDir = path.resolve(cfg.storePathRootDir);
  if (!cfg.rocketmqHome) cfg.rocketmqHome = process.env.ROCKETMQ_HOME ?? '';
  if (!cfg.storePathCommitLog) cfg.storePathCommitLog = path.join(cfg.storePathRootDir, 'commitlog');
  // BrokerStartup: the HA port is listenPort + 1 unless set.
  if (cfg.haListenPort === BROKER_CONFIG_DEFAULTS.haListenPort) cfg.haListenPort = cfg.listenPort + 1;
  applyRoleRules(cfg);
  validateConfig(cfg, BROKER_SCHEMA, file ?? 'broker config');
  return cfg;
}

/**
 * BrokerStartup's rules for the role: a master's brokerId is 0 whatever the file says; a slave needs an
 * id above 0 (the Java broker prints the same message and exits). With enableControllerMode the controller
 * gives the role and the id at run time, and BrokerStartup 5.3.3 applies neither rule.
 */
export function applyRoleRules(cfg: BrokerConfig): void {
  if (cfg.enableControllerMode) return;
  if (cfg.brokerRole === 'SLAVE') {
    if (cfg.brokerId <= 0) throw new ConfigError("Slave's brokerId must be > 0");
  } else {
    cfg.brokerId = 0;
  }
}
