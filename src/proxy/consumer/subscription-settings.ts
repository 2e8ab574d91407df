/**
 * A consumer's Settings as the Telemetry answer completes them (GrpcClientSettingsManager#
 * mergeSubscriptionData in rocketmq-proxy 5.3.3), from its group's config on a broker of its first
 * subscribed topic: receiveBatchSize and longPollingTimeout from the proxy's config, fifo =
 * consumeMessageOrderly, backoff maxAttempts = retryMaxTimes + 1 with the group's retry policy
 * (EXPONENTIAL: initial / max / multiplier; else CUSTOMIZED: its `next` steps, by default 1s … 2h).
 */
import type { ProxyContext } from '../context.js';
import { duration } from '../settings.js';
import { MASTER_ID } from '../topic-routes.js';
import { consumerState } from './consumer-state.js';
import type { GroupConfig } from './group-config.js';

/** CustomizedRetryPolicy's default `next` (ms). */
const DEFAULT_NEXT_MS = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map((s) => s * 1000);
/** ExponentialRetryPolicy's defaults. */
const EXP_DEFAULTS = { initial: 5_000, max: 7_200_000, multiplier: 2 };

/** The backoff a group's GroupRetryPolicy gives (GroupRetryPolicy#getRetryPolicy, converted as the proxy converts it). */
export function backoffOf(gc: GroupConfig): Record<string, unknown> {
  const p = (gc.groupRetryPolicy ?? {}) as { type?: string; exponentialRetryPolicy?: any; customizedRetryPolicy?: any };
  const maxAttempts = gc.retryMaxTimes + 1;
  if (p.type === 'EXPONENTIAL') {
    const e = { ...EXP_DEFAULTS, ...(p.exponentialRetryPolicy ?? {}) };
    return { maxAttempts, exponentialBackoff: { initial: duration(Number(e.initial)), max: duration(Number(e.max)), multiplier: Number(e.multiplier) } };
  }
  const next = Array.isArray(p.customizedRetryPolicy?.next) ? (p.customizedRetryPolicy.next as unknown[]).map(Number) : DEFAULT_NEXT_MS;
  return { maxAttempts, customizedBackoff: { next: next.map(duration) } };
}

/** A master address to read the group's config from: a broker of the first subscribed topic, else any known one. */
async function groupBroker(ctx: ProxyContext, settings: any): Promise<string | undefined> {
  for (const s of (settings?.subscription?.subscriptions ?? []) as { topic?: { name?: string } }[]) {
    const topic = s.topic?.name;
    if (!topic) continue;
    try {
      const route = await ctx.routes.route(topic);
      const addr = route.brokerDatas.map((b) => b.brokerAddrs.get(MASTER_ID)).find((a) => a);
      if (addr) return addr;
    } catch {
      // next topic
    }
  }
  return ctx.routes.knownMasters().values().next().value;
}

export async function subscriptionSettings(ctx: ProxyContext, settings: any): Promise<any> {
  const group = settings?.subscription?.group?.name ?? '';
  const addr = await groupBroker(ctx, settings);
  const state = consumerState(ctx);
  const gc = addr ? await state.groups.get(addr, group) : { groupName: group, consumeEnable: true, consumeMessageOrderly: false, retryMaxTimes: 16 };
  return {
    ...settings,
    backoffPolicy: backoffOf(gc),
    subscription: {
      ...settings?.subscription,
      receiveBatchSize: ctx.config.grpcClientConsumerLongPollingBatchSize,
      longPollingTimeout: duration(ctx.config.grpcClientConsumerMaxLongPollingTimeoutMillis),
      fifo: gc.consumeMessageOrderly,
    },
    metric: { on: false },
  };
}
