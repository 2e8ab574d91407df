import { BOOL, NON_EMPTY, STRING, intRule, oneOf, type Rules } from './config-rules.js';

/**
 * Keys of what stands beside the broker: the gRPC endpoint the 5.x SDKs speak to, the Prometheus
 * exporter and the web console. The gRPC and metrics keys carry the Apache names (ProxyConfig's
 * grpcServerPort, BrokerConfig's metricsExporterType / metricsPromExporterHost / metricsPromExporterPort);
 * the console keys are ours, named the same way, as are the CLI's shutdown bound and log level.
 */
export const OPERATOR_CONFIG_DEFAULTS = {
  /** The standalone server serves the 5.x gRPC MessagingService here (8081, as the Apache proxy). */
  grpcServerPort: 8081,
  /** `false` leaves the gRPC endpoint out of the standalone server. */
  enableGrpcServer: true,
  /** DISABLE, or PROM to serve /metrics in the Prometheus text format (BrokerConfig#metricsExporterType). */
  metricsExporterType: 'DISABLE',
  /** Bind address of the /metrics port; empty means the broker's own IP (brokerIP1), as the Apache broker. */
  metricsPromExporterHost: '',
  metricsPromExporterPort: 5557,
  /** The web console of the standalone server: off unless asked for (`npm start` asks). */
  consoleEnable: false,
  consoleListenAddress: '127.0.0.1',
  consolePort: 8080,
  /** How often the console samples TPS and lag for its one-hour charts (ms). */
  consoleSampleIntervalMills: 10_000,
  /**
   * SIGTERM / SIGINT: how long the CLI waits for a clean shutdown (flush, unregister, ports closed) before it
   * exits anyway. Normal shutdowns take well under a second; the bound is above registerBrokerTimeoutMills
   * (6 s), so an unregister from an unreachable NameServer still times out on its own first.
   */
  shutdownTimeoutMills: 15_000,
  /** debug | info | warn | error; the CLI's --log-level and ROCKETMQ_TS_LOG_LEVEL take precedence. */
  logLevel: 'info',
};

export type OperatorConfig = { -readonly [K in keyof typeof OPERATOR_CONFIG_DEFAULTS]: (typeof OPERATOR_CONFIG_DEFAULTS)[K] };

export const OPERATOR_RULES: Rules<OperatorConfig> = {
  // 0 asks the OS for a free port (tests); the port taken is reported by the running server.
  grpcServerPort: intRule(0, 65535),
  enableGrpcServer: BOOL,
  metricsExporterType: oneOf('DISABLE', 'PROM', 'OTLP_GRPC', 'LOG'),
  metricsPromExporterHost: STRING,
  metricsPromExporterPort: intRule(0, 65535),
  consoleEnable: BOOL,
  consoleListenAddress: NON_EMPTY,
  consolePort: intRule(0, 65535),
  // At least 1 s: each sample is a few admin calls per broker and group.
  consoleSampleIntervalMills: intRule(1000, 3_600_000),
  shutdownTimeoutMills: intRule(1),
  logLevel: oneOf('debug', 'info', 'warn', 'error'),
};
