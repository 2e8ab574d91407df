/**
 * Consumer/producer group administration (AdminBrokerProcessor): subscription group configs,
 * consume progress, who is connected. Bodies are the fastjson forms the admin tools parse
 * (for example ConsumeStats, whose map keys are MessageQueue objects written as JSON).
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { str, bool } from '../../remoting/header-fields.js';
import { toFastJson, JavaDouble } from '../../codec/fastjson.js';
import { subscriptionGroupConfig, type SubscriptionGroupConfig } from '../../broker/metadata/subscription-group-manager.js';
import type { ClientChannelInfo } from '../../broker/client/client-channel.js';
import type { Connection } from '../../remoting/connection.js';
import { refuseOnSlave } from './slave-guard.js';
import { badQueueNums } from './topic-admin.js';
import { Slices, jsonBodySliced } from './slices.js';
import { jsonObjectBody } from '../request-body.js';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/** common/message/MessageQueue.java as a bean: the key of ConsumeStats/TopicStatsTable maps. */
export interface MessageQueueKey {
  brokerName: string;
  queueId: number;
  topic: string;
}

/**
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): body is a SubscriptionGroupConfig; 5.x-only fields are
 * dropped as a 4.9 broker does, but consumeMessageOrderly (a FIFO group for the gRPC endpoint). A
 * retryQueueNums outside 0..maxTopicQueueNums is refused as
 * UPDATE_AND_CREATE_TOPIC refuses a queue count: the group's heartbeat would create its %RETRY% topic
 * with that many queues. Answered once subscriptionGroup.json has the group.
 */
export async function updateAndCreateSubscriptionGroup(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const onSlave = refuseOnSlave(ctx, req);
  if (onSlave) return onSlave;
  const o = jsonObjectBody<Partial<Record<keyof SubscriptionGroupConfig, unknown>>>(req, 'subscription group config', false);
  if (!o) return createResponse(req, ResponseCode.SUCCESS);
  if (typeof o.groupName !== 'string' || o.groupName === '') {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, 'the subscription group config has no groupName');
  }
  const sg = subscriptionGroupConfig(o.groupName);
  for (const k of Object.keys(sg) as Array<keyof SubscriptionGroupConfig>) {
    const v = o[k];
    if (v === undefined || v === null || k === 'groupName') continue;
    const def = sg[k];
    if (typeof def === 'number') (sg as unknown as Record<string, unknown>)[k] = Number(v);
    else if (typeof def === 'boolean') (sg as unknown as Record<string, unknown>)[k] = v === true || v === 'true';
  }
  const badRetry = badQueueNums('retryQueueNums', sg.retryQueueNums, ctx.config.maxTopicQueueNums);
  if (badRetry) return createResponse(req, ResponseCode.INVALID_PARAMETER, badRetry);
  ctx.groups.put(sg);
  // As ConfigManager#persist: a failed write is logged and retried, and the change stands.
  await ctx.groups.persist();
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the manager as subscriptionGroup.json holds it; heartbeats
 * grow it, so encoded in slices from a copy taken at once (a slave adopts the version with the table).
 */
export async function getAllSubscriptionGroup(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const snapshot = { dataVersion: { ...ctx.groups.dataVersion }, subscriptionGroupTable: new Map(ctx.groups.table) };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, await jsonBodySliced(snapshot));
}

/** DELETE_SUBSCRIPTIONGROUP (207): 4.9 tools send `removeOffset`, 5.x tools `cleanOffset`; either drops the offsets. */
export async function deleteSubscriptionGroup(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const onSlave = refuseOnSlave(ctx, req);
  if (onSlave) return onSlave;
  const h = req.extFields;
  const group = str(h, 'groupName');
  ctx.groups.delete(group);
  if (bool(h, 'removeOffset') || bool(h, 'cleanOffset')) ctx.offsets.removeGroup(group);
  ctx.stats.forget(undefined, group);
  await ctx.groups.persist();
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * GET_CONSUME_STATS (208): per read queue the broker's max offset, the group's committed offset
 * and the store time of the last consumed message, plus the group's pull TPS over the last minute.
 * No topic in the header means every topic the group has offsets for; 5.x tools may send a
 * comma-separated `topicList` instead, each topic counted once as Java collects them in a Set (a list
 * naming one topic over and over would otherwise multiply the work). Every queue of every topic is
 * a few store reads: done in slices (slices.ts).
 */
export async function getConsumeStats(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topics = h?.topic ? [h.topic] : h?.topicList ? new Set(h.topicList.split(',').filter(Boolean)) : ctx.offsets.topicsOfGroup(group);
  const s = new Slices();
  const offsetTable = new Map<MessageQueueKey, OffsetWrapper>();
  let tps = 0;
  const gi = ctx.consumers.get(group);
  for (const topic of topics) {
    const tc = ctx.topics.select(topic);
    if (!tc) continue;
    // A live group that does not subscribe to the topic any more is not reported for it.
    if (gi && gi.subscriptionTable.size > 0 && !gi.subscriptionTable.has(topic)) continue;
    const queues = tc.readQueueNums;
    for (let queueId = 0; queueId < queues; queueId++) {
      if (s.due()) await s.yield();
      const wrapper = consumeOffsets(ctx, group, topic, queueId);
      offsetTable.set({ brokerName: ctx.config.brokerName, queueId, topic }, wrapper);
    }
    tps += ctx.stats.groupGetTps(group, topic);
  }
  const body = await jsonBodySliced({ consumeTps: new JavaDouble(tps), offsetTable }, s);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

interface OffsetWrapper {
  brokerOffset: number;
  consumerOffset: number;
  lastTimestamp: number;
  /**
   * 5.x only: the next offset handed out by the group's last pull (never below the committed
   * offset); mqadmin 5.x prints pullOffset - consumerOffset as #Inflight. 4.9 tools ignore it.
   */
  pullOffset: number;
}

/** OffsetWrapper of one queue (AdminBrokerProcessor#getConsumeStats). */
export function consumeOffsets(ctx: BrokerContext, group: string, topic: string, queueId: number): OffsetWrapper {
  const brokerOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, queueId));
  const consumerOffset = Math.max(0, ctx.offsets.queryOffset(group, topic, queueId));
  let lastTimestamp = 0;
  if (consumerOffset > 0) {
    const t = ctx.store.getMessageStoreTimeStamp(topic, queueId, consumerOffset - 1);
    if (t > 0) lastTimestamp = t;
  }
  const pullOffset = Math.max(consumerOffset, ctx.stats.pullOffset(group, topic, queueId));
  return { brokerOffset, consumerOffset, lastTimestamp, pullOffset };
}

/**
 * GET_BROKER_CONSUME_STATS (317): ConsumeStatsList over every subscription group (brokerConsumeStats):
 * groups × their topics × queues, in slices. The topics of each group come from one pass over the
 * offset table (in its order, as topicsOfGroup gives them) rather than one pass per group.
 */
export async function getBrokerConsumeStats(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const isOrder = bool(req.extFields, 'isOrder');
  const s = new Slices();
  const topicsByGroup = new Map<string, string[]>();
  for (const key of ctx.offsets.offsetTable.keys()) {
    if (s.due()) await s.yield();
    const at = key.lastIndexOf('@');
    const group = key.slice(at + 1);
    let topics = topicsByGroup.get(group);
    if (!topics) topicsByGroup.set(group, (topics = []));
    topics.push(key.slice(0, at));
  }
  let totalDiff = 0;
  const consumeStatsList: Array<Map<string, unknown[]>> = [];
  for (const group of [...ctx.groups.table.keys()]) {
    const list: unknown[] = [];
    const gi = ctx.consumers.get(group);
    for (const topic of topicsByGroup.get(group) ?? []) {
      const tc = ctx.topics.select(topic);
      if (!tc || (isOrder && !tc.order)) continue;
      if (gi && gi.subscriptionTable.size > 0 && !gi.subscriptionTable.has(topic)) continue;
      const offsetTable = new Map<MessageQueueKey, OffsetWrapper>();
      const queues = tc.writeQueueNums;
      for (let queueId = 0; queueId < queues; queueId++) {
        if (s.due()) await s.yield();
        const w = consumeOffsets(ctx, group, topic, queueId);
        totalDiff += w.brokerOffset - w.consumerOffset;
        offsetTable.set({ brokerName: ctx.config.brokerName, queueId, topic }, w);
      }
      list.push({ consumeTps: new JavaDouble(ctx.stats.groupGetTps(group, topic)), offsetTable });
    }
    consumeStatsList.push(new Map([[group, list]]));
  }
  const body = await jsonBodySliced({ brokerAddr: ctx.brokerAddr, consumeStatsList, totalDiff }, s);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

/** common/protocol/body/Connection.java for one client channel. */
function connectionOf(info: ClientChannelInfo): { clientAddr: string; clientId: string; language: string; version: number } {
  return { clientAddr: info.conn.remoteAddr, clientId: info.clientId, language: info.language, version: info.version };
}

/**
 * GET_CONSUMER_CONNECTION_LIST (203): CONSUMER_NOT_ONLINE when nobody of the group is connected. A
 * heartbeat can give a group any number of subscriptions: encoded in slices, from a copy of the table.
 */
export async function getConsumerConnectionList(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const group = str(req.extFields, 'consumerGroup');
  const gi = ctx.consumers.get(group);
  if (!gi) return createResponse(req, ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
  const body = await jsonBodySliced({
    connectionSet: liveConnections(gi.channels).map(connectionOf),
    consumeFromWhere: gi.consumeFromWhere,
    consumeType: gi.consumeType,
    messageModel: gi.messageModel,
    subscriptionTable: new Map(gi.subscriptionTable),
  });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
}

/** GET_PRODUCER_CONNECTION_LIST (204). */
export function getProducerConnectionList(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const group = str(req.extFields, 'producerGroup');
  const channels = ctx.producers.groups.get(group);
  if (!channels) return createResponse(req, ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ connectionSet: liveConnections(channels).map(connectionOf) }));
}

function liveConnections(channels: Map<Connection, ClientChannelInfo>): ClientChannelInfo[] {
  return [...channels.values()].filter((c) => !c.conn.closed);
}

/** QUERY_TOPIC_CONSUME_BY_WHO (300): groups subscribed now plus groups with offsets (GroupList). */
export function queryTopicConsumeByWho(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = str(req.extFields, 'topic');
  const groups = new Set([...ctx.consumers.groupsOfTopic(topic), ...ctx.offsets.groupsOfTopic(topic)]);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, json({ groupList: [...groups] }));
}
