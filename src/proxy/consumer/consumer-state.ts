/**
 * What the consumer RPCs keep per running endpoint, attached to its ProxyContext: group configs,
 * the round-robin position of each topic's brokers, and the receipt handles of messages received
 * with auto_renew (DefaultReceiptHandleManager in rocketmq-proxy 5.3.3). A Java PushConsumer asks
 * for auto_renew: the proxy pops its messages with defaultInvisibleTimeMills and, while the client
 * is consuming, keeps them invisible by changing their invisible time before it runs out
 * (renewAheadTimeMillis ahead, every renewSchedulePeriodMillis, with the RenewStrategyPolicy steps,
 * up to renewMaxTimeMillis; then once more with the group's retry delay and no further). Each change
 * gives the message a new handle; an ack or change from the client, which still holds the first
 * handle, is sent with the latest one. A client that goes away has its messages made visible in
 * invisibleTimeMillisWhenClear.
 */
import type { ProxyContext } from '../context.js';
import { log } from '../../logger.js';
import { ProxyError } from '../proxy-error.js';
import { GroupConfigs } from './group-config.js';
import { changeInvisibleOnBroker } from './broker-calls.js';
import { decodeReceiptHandle } from './receipt-handle.js';

/** ProxyConfig's renew settings (5.3.3 defaults). */
const RENEW_AHEAD_MS = 10_000;
const RENEW_PERIOD_MS = 5_000;
const RENEW_MAX_MS = 3 * 3600_000;
const MAX_RENEW_RETRY_TIMES = 3;
const INVISIBLE_WHEN_CLEAR_MS = 1_000;
/** RenewStrategyPolicy: 1m 3m 5m 10m 30m 1h. */
const RENEW_STEPS_MS = [60_000, 180_000, 300_000, 600_000, 1_800_000, 3_600_000];
/** CustomizedRetryPolicy's default steps (1s 5s 10s 30s 1m 2m ... 2h): the delay when renewing stops. */
const RETRY_STEPS_MS = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map((s) => s * 1000);

interface Tracked {
  clientId: string;
  group: string;
  topic: string;
  messageId: string;
  /** The handle the client got (the key) and the one the broker knows now. */
  original: string;
  current: string;
  receivedAtMs: number;
  reconsumeTimes: number;
  renewTimes: number;
  renewRetries: number;
  busy: boolean;
}

const SEP = '\u0001';
const keyOf = (clientId: string, group: string, messageId: string, handle: string): string => [clientId, group, messageId, handle].join(SEP);

export class ConsumerState {
  readonly groups: GroupConfigs;
  private readonly rr = new Map<string, number>();
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly ctx: ProxyContext) {
    this.groups = new GroupConfigs(ctx.brokers, ctx.config.topicRouteServiceCacheRefreshSeconds * 1000);
    ctx.every(RENEW_PERIOD_MS, () => this.renewDue());
    ctx.clients.onChange((client, event) => {
      if (event === 'removed') this.clearClient(client.clientId);
    });
    ctx.onStop(() => this.clearAll());
  }

  /** The next index of a round robin over `n` choices for `key` (MessageQueueSelector#selectOne's brokerIndex). */
  next(key: string, n: number): number {
    const i = this.rr.get(key) ?? Math.floor(Math.random() * 1000);
    this.rr.set(key, i + 1);
    return i % n;
  }

  /** Keeps a received message's handle renewed until the client acks, changes or forwards it. */
  track(clientId: string, group: string, topic: string, messageId: string, handle: string, reconsumeTimes: number): void {
    this.tracked.set(keyOf(clientId, group, messageId, handle), {
      clientId, group, topic, messageId, original: handle, current: handle, receivedAtMs: Date.now(), reconsumeTimes,
      renewTimes: 0, renewRetries: 0, busy: false,
    });
  }

  /** ReceiptHandleManager#removeReceiptHandle: stops renewing; the latest handle, or the client's own when untracked. */
  take(clientId: string, group: string, messageId: string, handle: string): string {
    const key = keyOf(clientId, group, messageId, handle);
    const t = this.tracked.get(key);
    if (!t) return handle;
    this.tracked.delete(key);
    return t.current;
  }

  /** How many handles are being renewed (tests). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  /** One renewal scan (the timer's, every renewSchedulePeriodMillis): renews the handles due by `now`; resolves when they are done. */
  async renewDue(now = Date.now()): Promise<void> {
    const running: Promise<void>[] = [];
    for (const [key, t] of this.tracked) {
      if (t.busy) continue;
      const h = decodeReceiptHandle(t.current);
      if (h.retrieveTime + h.invisibleTime - now > RENEW_AHEAD_MS) continue;
      t.busy = true;
      running.push(this.renewOne(key, t).finally(() => {
        t.busy = false;
      }));
    }
    await Promise.all(running);
  }

  /** The handle the broker knows now for a tracked receipt (tests). */
  currentHandle(clientId: string, group: string, messageId: string, handle: string): string | undefined {
    return this.tracked.get(keyOf(clientId, group, messageId, handle))?.current;
  }

  /** DefaultReceiptHandleManager#startRenewMessage for one handle. */
  private async renewOne(key: string, t: Tracked): Promise<void> {
    if (t.renewRetries >= MAX_RENEW_RETRY_TIMES) {
      this.tracked.delete(key);
      return;
    }
    const stop = Date.now() - t.receivedAtMs >= RENEW_MAX_MS;
    const delay = stop
      ? RETRY_STEPS_MS[Math.min(t.reconsumeTimes, RETRY_STEPS_MS.length - 1)]
      : RENEW_STEPS_MS[Math.min(t.renewTimes, RENEW_STEPS_MS.length - 1)];
    try {
      const renewed = await changeInvisibleOnBroker(this.ctx, decodeReceiptHandle(t.current), t.group, t.topic, delay);
      if (stop || !renewed) {
        this.tracked.delete(key);
        return;
      }
      if (this.tracked.get(key) === t) {
        t.current = renewed;
        t.renewTimes++;
        t.renewRetries = 0;
      }
    } catch (e) {
      // A handle the broker no longer knows is dropped; anything else is tried again next round.
      if (e instanceof ProxyError && e.code === 'INVALID_RECEIPT_HANDLE') this.tracked.delete(key);
      else t.renewRetries++;
      log.debug(`grpc consumer: renew of ${t.messageId} failed: ${(e as Error).message}`);
    }
  }

  /** DefaultReceiptHandleManager#clearGroup: the client is gone; its messages become visible soon. */
  private clearClient(clientId: string): void {
    for (const [key, t] of this.tracked) {
      if (t.clientId !== clientId) continue;
      this.tracked.delete(key);
      changeInvisibleOnBroker(this.ctx, decodeReceiptHandle(t.current), t.group, t.topic, INVISIBLE_WHEN_CLEAR_MS).catch(() => {});
    }
  }

  private async clearAll(): Promise<void> {
    const all = [...this.tracked.values()];
    this.tracked.clear();
    await Promise.allSettled(all.map((t) => changeInvisibleOnBroker(this.ctx, decodeReceiptHandle(t.current), t.group, t.topic, INVISIBLE_WHEN_CLEAR_MS)));
  }
}

const states = new WeakMap<ProxyContext, ConsumerState>();

/** The consumer state of an endpoint, made on first use. */
export function consumerState(ctx: ProxyContext): ConsumerState {
  let s = states.get(ctx);
  if (!s) {
    s = new ConsumerState(ctx);
    states.set(ctx, s);
  }
  return s;
}
