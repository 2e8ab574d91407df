/**
 * The Settings the proxy answers a client's Telemetry settings command with: the client's own,
 * completed as GrpcClientSettingsManager does (mergeProducerData, mergeSubscriptionData, mergeMetric).
 * Durations are google.protobuf.Duration objects { seconds, nanos }.
 */
import type { ProxyConfig } from './proxy-config.js';

export function duration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** A producer's: the proxy's retry policy, the body limit and whether message types are checked. */
export function producerSettings(config: ProxyConfig, settings: any): any {
  return {
    ...settings,
    backoffPolicy: {
      maxAttempts: config.grpcClientProducerMaxAttempts,
      exponentialBackoff: {
        initial: duration(config.grpcClientProducerBackoffInitialMillis),
        max: duration(config.grpcClientProducerBackoffMaxMillis),
        multiplier: config.grpcClientProducerBackoffMultiplier,
      },
    },
    publishing: {
      ...settings.publishing,
      validateMessageType: config.enableTopicMessageTypeCheck,
      maxBodySize: config.maxMessageSize,
    },
    metric: { on: false },
  };
}

/**
 * A consumer's with a default group (SubscriptionGroupConfig's: retryMaxTimes 16, not orderly,
 * GroupRetryPolicy CUSTOMIZED with CustomizedRetryPolicy's 18 steps from 1 s). The consumer side replaces this
 * with the group's real config (ctx.hooks.subscriptionSettings).
 */
export function defaultSubscriptionSettings(config: ProxyConfig, settings: any): any {
  return {
    ...settings,
    backoffPolicy: {
      maxAttempts: 16 + 1,
      customizedBackoff: { next: DEFAULT_RETRY_NEXT_MS.map(duration) },
    },
    subscription: {
      ...settings.subscription,
      receiveBatchSize: config.grpcClientConsumerLongPollingBatchSize,
      longPollingTimeout: duration(config.grpcClientConsumerMaxLongPollingTimeoutMillis),
      fifo: false,
    },
    metric: { on: false },
  };
}

/** CustomizedRetryPolicy's default `next`: 1s 5s 10s 30s 1m ... 2h as the delay levels (ms). */
const DEFAULT_RETRY_NEXT_MS = [
  1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
].map((s) => s * 1000);
