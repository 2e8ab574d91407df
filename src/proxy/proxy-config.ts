/**
 * The gRPC endpoint's settings, by rocketmq-proxy 5.3.3's ProxyConfig names and defaults. The
 * standalone server and the `proxy` command pass what they have; the rest take these values.
 */
import type { TlsConfig } from '../config/security.js';

export interface ProxyConfig {
  /** NameServers, ';'-separated (the routes and the brokers come from here). */
  namesrvAddr: string;
  /** Where the gRPC server listens. */
  grpcServerHost: string;
  /** 0 takes a free port. */
  grpcServerPort: number;
  /** Largest body a message may have (SendMessageActivity#validateMessageBodySize; also Settings.publishing.maxBodySize). */
  maxMessageSize: number;
  enableMessageBodyEmptyCheck: boolean;
  /** Total bytes of user property keys, values, tag and keys per message. */
  maxUserPropertySize: number;
  userPropertyMaxNum: number;
  /** A message group must be shorter than this many UTF-8 bytes. */
  maxMessageGroupSize: number;
  /** How far ahead a delivery timestamp may be. */
  maxDelayTimeMills: number;
  maxTransactionRecoverySecond: number;
  /** Send DELAY messages as the nearest delay level too (for brokers without timers: 4.9.x). */
  useDelayLevel: boolean;
  messageDelayLevel: string;
  /** Check the topic's message.type attribute against what is sent (and tell the SDKs to check it). */
  enableTopicMessageTypeCheck: boolean;
  grpcClientProducerMaxAttempts: number;
  grpcClientProducerBackoffInitialMillis: number;
  grpcClientProducerBackoffMaxMillis: number;
  grpcClientProducerBackoffMultiplier: number;
  grpcClientConsumerMinLongPollingTimeoutMillis: number;
  grpcClientConsumerMaxLongPollingTimeoutMillis: number;
  grpcClientConsumerLongPollingBatchSize: number;
  defaultInvisibleTimeMills: number;
  minInvisibleTimeMillsForRecv: number;
  maxInvisibleTimeMills: number;
  /** A client not heard from (heartbeat, telemetry, any RPC) for this long is dropped from the registry. */
  grpcClientIdleTimeMills: number;
  /** Largest request the gRPC server reads. */
  grpcMaxInboundMessageSize: number;
  /** How long a topic's route is served from memory before it is fetched again. */
  topicRouteServiceCacheRefreshSeconds: number;
  /** How often the proxy heartbeats its transactional producer groups to the brokers (so they check back here). */
  transactionHeartbeatPeriodSecond: number;
  /** How long a sent half message's offsets are kept for its EndTransaction (TransactionDataManager). */
  transactionDataExpireMillis: number;
  /** Timeout of a remoting call to a broker or NameServer. */
  remotingTimeoutMills: number;
  /**
   * The tls.* keys (config/security.ts). The gRPC port takes TLS and plaintext peers as
   * tls.server.mode says (permissive by default: both), with tls.server.certPath/keyPath or, when
   * unset, a certificate made at start (grpc/listener.ts). Outgoing remoting to brokers and
   * NameServers uses TLS when tls.enable is true, as the broker's own clients.
   */
  tls?: TlsConfig;
}

export const PROXY_CONFIG_DEFAULTS: ProxyConfig = {
  namesrvAddr: '127.0.0.1:9876',
  grpcServerHost: '0.0.0.0',
  grpcServerPort: 8081,
  maxMessageSize: 4 * 1024 * 1024,
  enableMessageBodyEmptyCheck: true,
  maxUserPropertySize: 16 * 1024,
  userPropertyMaxNum: 128,
  maxMessageGroupSize: 64,
  maxDelayTimeMills: 24 * 3600_000,
  maxTransactionRecoverySecond: 3600,
  useDelayLevel: false,
  messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
  enableTopicMessageTypeCheck: true,
  grpcClientProducerMaxAttempts: 3,
  grpcClientProducerBackoffInitialMillis: 10,
  grpcClientProducerBackoffMaxMillis: 1000,
  grpcClientProducerBackoffMultiplier: 2,
  grpcClientConsumerMinLongPollingTimeoutMillis: 5_000,
  grpcClientConsumerMaxLongPollingTimeoutMillis: 20_000,
  grpcClientConsumerLongPollingBatchSize: 32,
  defaultInvisibleTimeMills: 60_000,
  minInvisibleTimeMillsForRecv: 10_000,
  maxInvisibleTimeMills: 12 * 3600_000,
  grpcClientIdleTimeMills: 120_000,
  grpcMaxInboundMessageSize: 130 * 1024 * 1024,
  topicRouteServiceCacheRefreshSeconds: 20,
  transactionHeartbeatPeriodSecond: 20,
  transactionDataExpireMillis: 30_000,
  remotingTimeoutMills: 3_000,
};
