/** Topic queries of the admin tools (AdminBrokerProcessor): offsets per queue, consume time spans, system topics. */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { str } from '../../remoting/header-fields.js';
import { toFastJson, JavaDouble } from '../../codec/fastjson.js';
import { StatsName } from '../../broker/stats/broker-stats.js';
import { SYSTEM_TOPICS } from '../../protocol/topic-validator.js';
import type { MessageQueueKey } from './admin-group.js';
import { Slices, jsonBodySliced } from './slices.js';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/**
 * GET_TOPIC_STATS_INFO (202): TopicStatsTable, one entry per write queue with min/max offset and
 * the store time of the newest message (topicStatus). Up to maxTopicQueueNums queues, each a few store
 * reads: done in slices (slices.ts).
 */
export async function getTopicStatsInfo(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const topic = str(req.extFields, 'topic');
  const tc = ctx.topics.select(topic);
  if (!tc) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const s = new Slices();
  const offsetTable = new Map<MessageQueueKey, { lastUpdateTimestamp: number; maxOffset: number; minOffset: number }>();
  // Read once: a change of the topic between slices does not change how many queues this answer has.
  const queues = tc.writeQueueNums;
  for (let queueId = 0; queueId < queues; queueId++) {
    if (s.due()) await s.yield();
    const minOffset = Math.max(0, ctx.store.getMinOffsetInQueue(topic, queueId));
    const maxOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, queueId));
    const lastUpdateTimestamp = maxOffset > 0 ? ctx.store.getMessageStoreTimeStamp(topic, queueId, maxOffset - 1) : 0;
    offsetTable.set({ brokerName: ctx.config.brokerName, queueId, topic }, { lastUpdateTimestamp, maxOffset, minOffset });
  }
  // 5.x adds the topic's put rate over the last minute (printed by 5.x topicStatus); 4.9 tools ignore it.
  const topicPutTps = ctx.stats.sets.get(StatsName.TOPIC_PUT_NUMS)?.get(topic)?.inMinute().tps ?? 0;
  const body = await jsonBodySliced({ offsetTable, topicPutTps: new JavaDouble(topicPutTps) }, s);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

/** QUERY_CONSUME_TIME_SPAN (303): QueryConsumeTimeSpanBody, per write queue, in slices. */
export async function queryConsumeTimeSpan(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const topic = str(req.extFields, 'topic');
  const group = str(req.extFields, 'group');
  const tc = ctx.topics.select(topic);
  if (!tc) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const s = new Slices();
  const spans = [];
  const queues = tc.writeQueueNums;
  for (let queueId = 0; queueId < queues; queueId++) {
    if (s.due()) await s.yield();
    const minTimeStamp = ctx.store.getEarliestMessageTime(topic, queueId);
    const max = ctx.store.getMaxOffsetInQueue(topic, queueId);
    const maxTimeStamp = ctx.store.getMessageStoreTimeStamp(topic, queueId, max - 1);
    const consumerOffset = ctx.offsets.queryOffset(group, topic, queueId);
    const consumeTimeStamp = consumerOffset > 0 ? ctx.store.getMessageStoreTimeStamp(topic, queueId, consumerOffset - 1) : minTimeStamp;
    const delayTime = consumerOffset < max ? Date.now() - ctx.store.getMessageStoreTimeStamp(topic, queueId, consumerOffset) : 0;
    spans.push({
      consumeTimeStamp,
      delayTime,
      maxTimeStamp,
      messageQueue: { brokerName: ctx.config.brokerName, queueId, topic },
      minTimeStamp,
    });
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, await jsonBodySliced({ consumeTimeSpanSet: spans }, s));
}

/**
 * GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305): TopicValidator#getSystemTopicSet, which in Java also holds
 * the names the broker added at start (cluster, broker, reply and trace topics).
 */
export function getSystemTopicListFromBroker(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topicList = [...new Set([...SYSTEM_TOPICS, ...ctx.topics.systemTopics])];
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ topicList }));
}

/**
 * GET_TOPIC_CONFIG (351, 5.x): one topic's config as TopicConfigAndQueueMapping (a TopicConfig
 * plus static-topic mapping detail, which we never have); 5.x mqadmin reads it in topicStatus.
 */
export function getTopicConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = str(req.extFields, 'topic');
  const tc = ctx.topics.select(topic);
  if (!tc) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ ...tc, attributes: new Map(Object.entries(tc.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b))) }));
}
