import { Histogram, labelText, type MetricsSource, type PromWriter } from '../../remoting/prom-format.js';
import { MessageConst, MessageConst5, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR } from '../../protocol/message-const.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, isSystemTopic } from '../../protocol/topic-validator.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { RemotingCommand } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';

/** BrokerMetricsManager#registerMetricsView: rocketmq_message_size buckets (1 KiB, 4 KiB, 512 KiB, 1, 2, 4 MiB). */
export const MESSAGE_SIZE_BUCKETS = [1024, 4096, 512 * 1024, 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024] as const;
/** rocketmq_finish_message_latency buckets in seconds (5 s, 1 min, 10 min, 1 h, 12 h, 24 h). */
export const FINISH_LATENCY_BUCKETS = [5, 60, 600, 3600, 12 * 3600, 24 * 3600] as const;
/** Topic and group creation time buckets, in ms (10 ms, 100 ms, 1 s, 3 s, 5 s). */
export const CREATE_TIME_BUCKETS = [10, 100, 1000, 3000, 5000] as const;

/** TopicMessageType#getMetricsValue, indexed by what messageTypeOf returns. */
const MESSAGE_TYPES = ['normal', 'fifo', 'delay', 'transaction'] as const;
export const MESSAGE_TYPE_DELAY = 2;
const needle = (key: string): string => key + NAME_VALUE_SEPARATOR;
const TRANSACTION_NEEDLE = needle(MessageConst.PROPERTY_TRANSACTION_PREPARED);
const SHARDING_NEEDLE = needle(MessageConst5.PROPERTY_SHARDING_KEY);
// '__STARTDELIVERTIME' is a literal in BrokerMetricsManager#getMessageType too (the ONS delivery time).
const DELAY_NEEDLES = ['__STARTDELIVERTIME', MessageConst.PROPERTY_DELAY_TIME_LEVEL, MessageConst.PROPERTY_TIMER_DELIVER_MS,
  MessageConst.PROPERTY_TIMER_DELAY_SEC, MessageConst.PROPERTY_TIMER_DELAY_MS].map(needle);
/** The first characters of every key above ('T', '_', 'D'): other keys are skipped at one comparison. */
const FIRST_CHARS = new Set([TRANSACTION_NEEDLE, SHARDING_NEEDLE, ...DELAY_NEEDLES].map((n) => n.charCodeAt(0)));

/**
 * BrokerMetricsManager#getMessageType on the properties a producer sent: a prepared transaction half, then a
 * sharding key (FIFO), then any delay or timer property (non-empty), else normal. One pass over the
 * property string, key by key, comparing in place: a send costs no allocation for this.
 */
export function messageTypeOf(props: string | undefined): number {
  if (!props) return 0;
  let fifo = false;
  let delay = false;
  for (let at = 0; at < props.length;) {
    const sep = props.indexOf(PROPERTY_SEPARATOR, at);
    const stop = sep < 0 ? props.length : sep;
    if (FIRST_CHARS.has(props.charCodeAt(at))) {
      if (props.startsWith(TRANSACTION_NEEDLE, at)) {
        const v = at + TRANSACTION_NEEDLE.length;
        if (stop - v === 4 && props.startsWith('true', v)) return 3;
      } else if (props.startsWith(SHARDING_NEEDLE, at)) {
        fifo ||= stop > at + SHARDING_NEEDLE.length;
      } else if (!delay) {
        for (const n of DELAY_NEEDLES) {
          if (props.startsWith(n, at) && stop > at + n.length) {
            delay = true;
            break;
          }
        }
      }
    }
    at = stop + 1;
  }
  return fifo ? 1 : delay ? MESSAGE_TYPE_DELAY : 0;
}

/** CID_RMQ_SYS_ in any case (BrokerMetricsManager#isSystemGroup). */
export const isSystemGroup = (group: string): boolean => group.toLowerCase().startsWith('cid_rmq_sys_');
const isRetryOrDlq = (topic: string): boolean => topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);

interface InSeries {
  labels: string;
  messages: number;
  bytes: number;
  size: Histogram;
}

interface OutSeries {
  labels: string;
  messages: number;
  bytes: number;
}

interface TopicSeries {
  labels: string;
  n: number;
}

/**
 * The broker's counters and histograms of RIP-46 (BrokerMetricsManager), counted where the work happens:
 * messages and bytes in (send and reply puts, delay deliveries), out (pull, pop, delay deliveries),
 * message size, transaction ends. Each label set is built once, the first time it is seen, and kept in
 * maps keyed by the strings the caller already holds, so counting allocates nothing. Gauges are read
 * from the broker's state at scrape time (broker-gauges.ts, consumer-lag.ts).
 */
export class BrokerMetrics implements MetricsSource {
  /** cluster, node_id (brokerName), node_type: on every series (BrokerMetricsManager#init LABEL_MAP). */
  readonly base: Record<string, string>;
  private readonly inByType: Array<Map<string, InSeries>> = MESSAGE_TYPES.map(() => new Map());
  private readonly outByGroup = new Map<string, Map<string, OutSeries>>();
  private readonly commits = new Map<string, TopicSeries>();
  private readonly rollbacks = new Map<string, TopicSeries>();
  private readonly finishLatency = new Map<string, { labels: string; h: Histogram }>();
  private readonly toDlq = new Map<string, Map<string, TopicSeries>>();
  /** rocketmq_topic_create_execution_time by `${success}/${isSystem}`, consumer_group_create by `${success}`. */
  private readonly topicCreate = new Map<string, { labels: string; h: Histogram }>();
  private readonly groupCreate = new Map<string, { labels: string; h: Histogram }>();
  /** Other parts of the process whose families this broker's /metrics shows too (the standalone's NameServer). */
  readonly extraSources: MetricsSource[] = [];
  /** Gauge writers (broker-gauges.ts), set by whoever owns the state they read. */
  gauges?: (w: PromWriter) => void;

  constructor(config: Pick<BrokerConfig, 'brokerClusterName' | 'brokerName'>) {
    this.base = { cluster: config.brokerClusterName, node_id: config.brokerName, node_type: 'broker' };
  }

  /**
   * A put stored `msgNum` messages of `wroteBytes` (SendMessageProcessor: not counted for retry and DLQ
   * topics); `type` is messageTypeOf the producer's properties.
   */
  messagesIn(topic: string, type: number, msgNum: number, wroteBytes: number): void {
    if (isRetryOrDlq(topic) || msgNum <= 0) return;
    const byTopic = this.inByType[type];
    let s = byTopic.get(topic);
    if (!s) {
      s = {
        labels: labelText({ ...this.base, topic, message_type: MESSAGE_TYPES[type], is_system: String(isSystemTopic(topic)) }),
        messages: 0, bytes: 0, size: new Histogram(MESSAGE_SIZE_BUCKETS),
      };
      byTopic.set(topic, s);
    }
    s.messages += msgNum;
    s.bytes += wroteBytes;
    // One observation per put of the average size, as the Java broker records it.
    s.size.observe(Math.floor(wroteBytes / msgNum));
  }

  /** A pull or pop handed `count` messages of `bytes` to a group (not counted for retry and DLQ topics). */
  messagesOut(group: string, topic: string, count: number, bytes: number): void {
    if (isRetryOrDlq(topic) || count <= 0) return;
    let byTopic = this.outByGroup.get(group);
    if (!byTopic) this.outByGroup.set(group, (byTopic = new Map()));
    let s = byTopic.get(topic);
    if (!s) {
      const system = isSystemTopic(topic) || isSystemGroup(group);
      s = { labels: labelText({ ...this.base, topic, consumer_group: group, is_system: String(system) }), messages: 0, bytes: 0 };
      byTopic.set(topic, s);
    }
    s.messages += count;
    s.bytes += bytes;
  }

  /** END_TRANSACTION committed a half message; `bornTimestamp` of the half gives the finish latency (in whole seconds). */
  transactionCommitted(topic: string, bornTimestamp: number, now = Date.now()): void {
    this.topicCount(this.commits, topic);
    let h = this.finishLatency.get(topic);
    if (!h) this.finishLatency.set(topic, (h = { labels: labelText({ ...this.base, topic }), h: new Histogram(FINISH_LATENCY_BUCKETS) }));
    h.h.observe(Math.floor((now - bornTimestamp) / 1000));
  }

  /** A message of `group` from `topic` went to the DLQ (rocketmq_send_to_dlq_messages_total). */
  sentToDlq(group: string, topic: string): void {
    let byTopic = this.toDlq.get(group);
    if (!byTopic) this.toDlq.set(group, (byTopic = new Map()));
    let s = byTopic.get(topic);
    if (!s) {
      const labels = labelText({ ...this.base, consumer_group: group, topic, is_system: String(isSystemTopic(topic) || isSystemGroup(group)) });
      byTopic.set(topic, (s = { labels, n: 0 }));
    }
    s.n++;
  }

  /** UPDATE_AND_CREATE_TOPIC(_LIST) answered: how long it took, whether it succeeded, whether the topic is a system one. */
  topicCreated(ms: number, success: boolean, system: boolean): void {
    const key = `${success}/${system}`;
    let h = this.topicCreate.get(key);
    if (!h) {
      const labels = labelText({ ...this.base, invocation_status: success ? 'success' : 'failure', is_system: String(system) });
      this.topicCreate.set(key, (h = { labels, h: new Histogram(CREATE_TIME_BUCKETS) }));
    }
    h.h.observe(Math.floor(ms));
  }

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP(_LIST) answered. */
  groupCreated(ms: number, success: boolean): void {
    const key = String(success);
    let h = this.groupCreate.get(key);
    if (!h) this.groupCreate.set(key, (h = { labels: labelText({ ...this.base, invocation_status: success ? 'success' : 'failure' }), h: new Histogram(CREATE_TIME_BUCKETS) }));
    h.h.observe(Math.floor(ms));
  }

  /**
   * The dispatcher's observer, after rocketmq_rpc_latency: the topic and group creation times
   * (AdminBrokerProcessor records them around its work; here they are the request's time to its answer).
   */
  requestAnswered(request: RemotingCommand, responseCode: number, elapsedMs: number): void {
    const ok = responseCode === ResponseCode.SUCCESS;
    switch (request.code) {
      case RequestCode.UPDATE_AND_CREATE_TOPIC:
        this.topicCreated(elapsedMs, ok, isSystemTopic(request.extFields?.topic ?? ''));
        return;
      case RequestCode.UPDATE_AND_CREATE_TOPIC_LIST:
        // Java asks isSystemTopic of the names joined into one string: never a system topic.
        this.topicCreated(elapsedMs, ok, false);
        return;
      case RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
      case RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST:
        this.groupCreated(elapsedMs, ok);
    }
  }

  transactionRolledBack(topic: string): void {
    this.topicCount(this.rollbacks, topic);
  }

  private topicCount(m: Map<string, TopicSeries>, topic: string): void {
    let s = m.get(topic);
    if (!s) m.set(topic, (s = { labels: labelText({ ...this.base, topic }), n: 0 }));
    s.n++;
  }

  write(w: PromWriter): void {
    this.gauges?.(w);
    const ins = this.inByType.flatMap((m) => [...m.values()]);
    if (ins.length > 0) {
      w.family('rocketmq_messages_in_total', 'counter', 'default view for counter.');
      for (const s of ins) w.sample('rocketmq_messages_in_total', s.labels, s.messages);
      w.family('rocketmq_throughput_in_total', 'counter', 'default view for counter.');
      for (const s of ins) w.sample('rocketmq_throughput_in_total', s.labels, s.bytes);
      w.family('rocketmq_message_size', 'histogram', 'Incoming messages size');
      for (const s of ins) w.histogram('rocketmq_message_size', s.labels, s.size);
    }
    const outs = [...this.outByGroup.values()].flatMap((m) => [...m.values()]);
    if (outs.length > 0) {
      w.family('rocketmq_messages_out_total', 'counter', 'default view for counter.');
      for (const s of outs) w.sample('rocketmq_messages_out_total', s.labels, s.messages);
      w.family('rocketmq_throughput_out_total', 'counter', 'default view for counter.');
      for (const s of outs) w.sample('rocketmq_throughput_out_total', s.labels, s.bytes);
    }
    if (this.commits.size > 0) {
      w.family('rocketmq_commit_messages_total', 'counter', 'default view for counter.');
      for (const s of this.commits.values()) w.sample('rocketmq_commit_messages_total', s.labels, s.n);
      w.family('rocketmq_finish_message_latency', 'histogram', 'Transaction finish latency');
      for (const s of this.finishLatency.values()) w.histogram('rocketmq_finish_message_latency_milliseconds', s.labels, s.h);
    }
    if (this.rollbacks.size > 0) {
      w.family('rocketmq_rollback_messages_total', 'counter', 'default view for counter.');
      for (const s of this.rollbacks.values()) w.sample('rocketmq_rollback_messages_total', s.labels, s.n);
    }
    const dlq = [...this.toDlq.values()].flatMap((m) => [...m.values()]);
    if (dlq.length > 0) {
      w.family('rocketmq_send_to_dlq_messages_total', 'counter', 'default view for counter.');
      for (const s of dlq) w.sample('rocketmq_send_to_dlq_messages_total', s.labels, s.n);
    }
    if (this.topicCreate.size > 0) {
      w.family('rocketmq_topic_create_execution_time', 'histogram', 'The distribution of create topic time');
      for (const s of this.topicCreate.values()) w.histogram('rocketmq_topic_create_execution_time_milliseconds', s.labels, s.h);
    }
    if (this.groupCreate.size > 0) {
      w.family('rocketmq_consumer_group_create_execution_time', 'histogram', 'The distribution of create subscription time');
      for (const s of this.groupCreate.values()) w.histogram('rocketmq_consumer_group_create_execution_time_milliseconds', s.labels, s.h);
    }
    for (const src of this.extraSources) src.write(w);
  }

  /** Messages counted in (all types), for tests and the console. */
  totalIn(): { messages: number; bytes: number } {
    let messages = 0;
    let bytes = 0;
    for (const m of this.inByType) for (const s of m.values()) { messages += s.messages; bytes += s.bytes; }
    return { messages, bytes };
  }
}
