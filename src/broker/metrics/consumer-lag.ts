import type { BrokerContext } from '../broker-context.js';
import { isReadable, isWriteable } from '../../protocol/perm-name.js';
import { RETRY_GROUP_TOPIC_PREFIX, isSystemTopic } from '../../protocol/topic-validator.js';
import { popRetryTopic } from '../../protocol/pop-const.js';
import { labelText } from '../../remoting/prom-format.js';
import { isSystemGroup } from './broker-metrics.js';

/** One (group, topic, is_retry) row of the lag gauges, as ConsumerLagCalculator computes it. */
export interface LagRow {
  labels: string;
  /** rocketmq_consumer_lag_messages: max offset minus the committed offset (POP: the pop offset, plus in flight). */
  lag: number;
  /** Store time of the first unconsumed message, 0 if none. */
  earliestUnconsumedMs: number;
  /** rocketmq_consumer_inflight_messages: pulled (popped) and not committed (acked). */
  inflight: number;
  /** Store time of the first message not pulled yet, 0 if none. */
  earliestUnpulledMs: number;
  /** rocketmq_consumer_ready_messages: max offset minus the pull offset. */
  ready: number;
}

/**
 * ConsumerLagCalculator: every subscription group with consumers online, each topic they subscribe to
 * (not retry topics, not topics without read and write permission), summed over the topic's write
 * queues; a POP group gets a second row for its retry topic (is_retry=true). The offsets are the
 * broker's own: committed (ConsumerOffsetManager), the last pull's next offset (BrokerStats#pullOffset),
 * and for POP the pop offset and the un-acked checkpoints (PopState).
 */
export function consumerLagRows(ctx: BrokerContext, base: Record<string, string>): LagRow[] {
  const rows: LagRow[] = [];
  const perm = ctx.config.brokerPermission;
  const usable = (topic: string) => {
    const tc = ctx.topics.table.get(topic);
    if (!tc) return undefined;
    const p = tc.perm & perm;
    return isReadable(p) || isWriteable(p) ? tc : undefined;
  };
  for (const group of ctx.groups.table.keys()) {
    const info = ctx.consumers.get(group);
    if (!info) continue;
    const pop = info.consumeType === 'CONSUME_POP';
    for (const topic of info.subscriptionTable.keys()) {
      if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) continue;
      const tc = usable(topic);
      if (!tc) continue;
      const labels = (isRetry: boolean) => labelText({
        ...base, consumer_group: group, topic, is_retry: String(isRetry), is_system: String(isSystemTopic(topic) || isSystemGroup(group)),
      });
      rows.push(queueSums(ctx, group, topic, tc.writeQueueNums, pop, labels(false)));
      if (pop) {
        const retryTopic = popRetryTopic(topic, group, ctx.config.enableRetryTopicV2);
        const retry = usable(retryTopic);
        const row = retry ? queueSums(ctx, group, retryTopic, retry.writeQueueNums, true, labels(true))
          : { labels: labels(true), lag: 0, earliestUnconsumedMs: 0, inflight: 0, earliestUnpulledMs: 0, ready: 0 };
        rows.push(row);
      }
    }
  }
  return rows;
}

function queueSums(ctx: BrokerContext, group: string, topic: string, queues: number, pop: boolean, labels: string): LagRow {
  const { store, offsets, stats } = ctx;
  const row: LagRow = { labels, lag: 0, earliestUnconsumedMs: 0, inflight: 0, earliestUnpulledMs: 0, ready: 0 };
  let unconsumed = Infinity;
  let unpulled = Infinity;
  const storeTime = (q: number, offset: number): number => {
    if (offset < 0) return Infinity;
    const t = store.getMessageStoreTimeStamp(topic, q, offset);
    return t > 0 ? t : Infinity;
  };
  for (let q = 0; q < queues; q++) {
    const max = Math.max(0, store.getMaxOffsetInQueue(topic, q));
    const committed = offsets.queryOffset(group, topic, q);
    if (pop) {
      // The pop offset is committed as messages are popped; what is popped and not acked is in flight.
      const inflight = ctx.pop.state.inflight(group, topic, q);
      const pulled = committed < 0 ? max : committed;
      row.lag += Math.max(0, max - pulled) + inflight;
      row.inflight += inflight;
      row.ready += Math.max(0, max - pulled);
      unconsumed = Math.min(unconsumed, storeTime(q, pulled - inflight));
      unpulled = Math.min(unpulled, storeTime(q, pulled));
      continue;
    }
    const consumed = committed < 0 ? max : committed;
    row.lag += Math.max(0, max - consumed);
    unconsumed = Math.min(unconsumed, storeTime(q, consumed));
    const pullOffset = stats.pullOffset(group, topic, q);
    const pulledTo = pullOffset < 0 ? 0 : pullOffset;
    row.inflight += Math.max(0, pulledTo - (committed < 0 ? pulledTo : committed));
    unpulled = Math.min(unpulled, storeTime(q, pulledTo));
    row.ready += Math.max(0, max - (pullOffset < 0 ? max : pullOffset));
  }
  row.earliestUnconsumedMs = unconsumed === Infinity ? 0 : unconsumed;
  row.earliestUnpulledMs = unpulled === Infinity ? 0 : unpulled;
  return row;
}
