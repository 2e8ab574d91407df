import os from 'node:os';
import path from 'node:path';
import { readPropertiesFile } from './properties.js';
import { LIMITS, limitDefaults } from './limits.js';
import { TLS_CONFIG_DEFAULTS, TLS_RULES } from './security.js';
import { OPERATOR_CONFIG_DEFAULTS, OPERATOR_RULES } from './operator.js';
import { BOOL, NON_EMPTY, STRING, applyProperties, intRule, oneOf, validateConfig, type ConfigSchema, type Rules } from './config-rules.js';

/** NamesrvConfig + NettyServerConfig keys as a Java namesrv.conf spells them. */
export const NAMESRV_CONFIG_DEFAULTS = {
  listenPort: 9876,
  /** Bind address; loopback by default so a dev box never exposes the namesrv. */
  listenHost: '127.0.0.1',
  kvConfigPath: path.join(os.homedir(), 'namesrv', 'kvConfig.json'),
  /** How often brokers silent for brokerChannelExpiredTime are looked for. */
  scanNotActiveBrokerInterval: 10_000,
  /**
   * Ms without a registration after which a broker is dropped: RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME,
   * a constant in Java (120 s). A key here so the failover test (compat-tests/broker-failover.test.ts) need not
   * wait two minutes; a broker whose connection closes is dropped at once regardless.
   */
  brokerChannelExpiredTime: 120_000,
  orderMessageEnable: false,
  serverChannelMaxIdleTimeSeconds: 120,
  ...limitDefaults(['frameMaxLength', 'remotingHeaderMaxBytes', 'remotingHeaderMaxFields', 'frameReadTimeoutMills', 'pendingFrameBytesTotalMax', 'writeBufferHighWaterMark', 'writeBufferMaxBytes', 'writeBufferTotalMaxBytes',
    'defaultThreadPoolQueueCapacity', 'clientRequestThreadPoolQueueCapacity', 'requestTurnBudgetMills']),
  // TLS (config/security.ts); the Java namesrv has no ACL.
  ...TLS_CONFIG_DEFAULTS,
  /**
   * PROM serves the NameServer's own request metrics (rocketmq_rpc_latency, as the broker names them) on
   * /metrics. The Apache namesrv exports nothing; the keys are the broker's (config/operator.ts), the
   * default port one above the broker's 5557 so both fit on one host. The standalone server shows these
   * series on the broker's port instead.
   */
  metricsExporterType: 'DISABLE',
  metricsPromExporterHost: '',
  metricsPromExporterPort: 5558,
  // The CLI's shutdown bound and log level, as in broker.conf (config/operator.ts).
  shutdownTimeoutMills: OPERATOR_CONFIG_DEFAULTS.shutdownTimeoutMills,
  logLevel: OPERATOR_CONFIG_DEFAULTS.logLevel,
};

export type NamesrvConfig = { -readonly [K in keyof typeof NAMESRV_CONFIG_DEFAULTS]: (typeof NAMESRV_CONFIG_DEFAULTS)[K] };

const NAMESRV_RULES: Rules<NamesrvConfig> = {
  // 0 binds any free port (the in-process tests); the controller reports the one bound.
  listenPort: intRule(0, 65535),
  listenHost: NON_EMPTY,
  kvConfigPath: NON_EMPTY,
  scanNotActiveBrokerInterval: intRule(1),
  brokerChannelExpiredTime: intRule(1),
  orderMessageEnable: BOOL,
  serverChannelMaxIdleTimeSeconds: intRule(0),
  frameMaxLength: intRule(LIMITS.frameMaxLength.min),
  defaultThreadPoolQueueCapacity: intRule(LIMITS.defaultThreadPoolQueueCapacity.min),
  clientRequestThreadPoolQueueCapacity: intRule(LIMITS.clientRequestThreadPoolQueueCapacity.min),
  requestTurnBudgetMills: intRule(LIMITS.requestTurnBudgetMills.min),
  remotingHeaderMaxBytes: intRule(LIMITS.remotingHeaderMaxBytes.min),
  remotingHeaderMaxFields: intRule(LIMITS.remotingHeaderMaxFields.min),
  frameReadTimeoutMills: intRule(LIMITS.frameReadTimeoutMills.min),
  pendingFrameBytesTotalMax: intRule(LIMITS.pendingFrameBytesTotalMax.min),
  writeBufferHighWaterMark: intRule(LIMITS.writeBufferHighWaterMark.min),
  writeBufferMaxBytes: intRule(LIMITS.writeBufferMaxBytes.min),
  writeBufferTotalMaxBytes: intRule(LIMITS.writeBufferTotalMaxBytes.min),
  ...TLS_RULES,
  metricsExporterType: oneOf('DISABLE', 'PROM'),
  metricsPromExporterHost: STRING,
  metricsPromExporterPort: intRule(0, 65535),
  shutdownTimeoutMills: OPERATOR_RULES.shutdownTimeoutMills,
  logLevel: OPERATOR_RULES.logLevel,
};

const THREADS = 'Node serves requests on one event loop, without thread pools';

/** Keys of a Java namesrv.conf accepted without effect (warned about when set). */
const NAMESRV_NO_EFFECT = new Map<string, string>([
  ['rocketmqHome', 'nothing is read from a RocketMQ installation'],
  ['configStorePath', 'UPDATE_NAMESRV_CONFIG changes the running values only'],
  ['productEnvName', 'not used by this NameServer'],
  ['clusterTest', 'not used by this NameServer'],
  ['serverWorkerThreads', THREADS],
  ['serverCallbackExecutorThreads', THREADS],
  ['serverSelectorThreads', THREADS],
  ['defaultThreadPoolNums', THREADS],
]);

export const NAMESRV_SCHEMA: ConfigSchema<NamesrvConfig> = { rules: NAMESRV_RULES, noEffect: NAMESRV_NO_EFFECT };

/** As loadBrokerConfig: defaults, then `base`, then the file's keys; every value checked before anything starts. */
export function loadNamesrvConfig(file?: string, base: Partial<NamesrvConfig> = {}): NamesrvConfig {
  const cfg: NamesrvConfig = { ...NAMESRV_CONFIG_DEFAULTS, ...base };
  if (file) applyProperties(cfg, NAMESRV_SCHEMA, readPropertiesFile(file), file);
  cfg.kvConfigPath = path.resolve(cfg.kvConfigPath);
  return validateConfig(cfg, NAMESRV_SCHEMA, file ?? 'namesrv config');
}
