import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import { isReadable } from '../../protocol/perm-name.js';
import { parseFastJson, toFastJson } from '../../codec/fastjson.js';
import { RequestBodyError } from '../../remoting/header-fields.js';
import type { MessageRequestModeBody } from '../../broker/pop/message-request-mode-manager.js';

interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

function parseBody<T>(req: RemotingCommand): T {
  const body = requestBody(req);
  if (!body || body.length === 0) throw new RequestBodyError('request body is empty');
  return parseFastJson(body.toString('utf8')) as T;
}

/** MessageQueue#compareTo: topic, broker name, queue id. */
function compareMq(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

/** AllocateMessageQueueAveragely ("AVG") and AllocateMessageQueueAveragelyByCircle ("AVG_BY_CIRCLE"). */
function allocate(strategy: string, clientId: string, mqAll: MessageQueue[], cidAll: string[]): MessageQueue[] {
  const index = cidAll.indexOf(clientId);
  if (index < 0) return [];
  if (strategy === 'AVG_BY_CIRCLE') return mqAll.filter((_, i) => i % cidAll.length === index);
  const mod = mqAll.length % cidAll.length;
  const size = mqAll.length <= cidAll.length ? 1 : mod > 0 && index < mod ? Math.floor(mqAll.length / cidAll.length) + 1 : Math.floor(mqAll.length / cidAll.length);
  const start = mod > 0 && index < mod ? index * size : index * size + mod;
  const range = Math.min(size, mqAll.length - start);
  return range > 0 ? mqAll.slice(start, start + range) : [];
}

/**
 * QUERY_ASSIGNMENT (400): the queues a client of a broker-balanced consumer gets, each with the mode
 * (QueryAssignmentProcessor). The mode is the SET_MESSAGE_REQUEST_MODE setting, else PULL for
 * `%RETRY%` topics, else defaultMessageRequestMode. POP with popShareQueueNum <= 0 or >= clients - 1:
 * every client gets queueId -1 on every broker (the broker picks queues per pop).
 */
export async function queryAssignment(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const b = parseBody<{ topic: string; consumerGroup: string; clientId: string; strategyName?: string; messageModel?: string }>(req);
  let mode: MessageRequestModeBody | undefined = ctx.pop.modes.get(b.topic, b.consumerGroup);
  if (!mode) {
    const m = b.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? 'PULL' : (ctx.config.defaultMessageRequestMode as 'PULL' | 'POP');
    mode = { topic: b.topic, consumerGroup: b.consumerGroup, mode: m, popShareQueueNum: m === 'POP' ? ctx.config.defaultPopShareQueueNum : 0 };
  }
  const mqAll = await subscribeQueues(ctx, b.topic);
  let assigned: MessageQueue[] | undefined;
  if (mqAll.length > 0) {
    mqAll.sort(compareMq);
    const cidAll = [...(ctx.consumers.get(b.consumerGroup)?.clientIds() ?? [])].sort();
    if (b.messageModel === 'BROADCASTING' || !ctx.config.serverLoadBalancerEnable) assigned = mqAll;
    else if (cidAll.length === 0) assigned = undefined;
    else if (mode.mode === 'POP') assigned = allocate4Pop(b.strategyName ?? 'AVG', b.clientId, mqAll, cidAll, mode.popShareQueueNum);
    else assigned = allocate(b.strategyName ?? 'AVG', b.clientId, mqAll, cidAll);
  }
  const body = assigned === undefined ? {} : { messageQueueAssignments: assigned.map((mq) => ({ messageQueue: mq, mode: mode!.mode })) };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson(body)));
}

/**
 * The topic's readable queues on every broker: the namesrv's route, plus this broker's own queues
 * (a topic created a moment ago may not be registered yet).
 */
async function subscribeQueues(ctx: BrokerContext, topic: string): Promise<MessageQueue[]> {
  const route = await ctx.pop.routes.subscribeQueues(topic);
  const out = (route ?? []).filter((mq) => mq.brokerName !== ctx.config.brokerName);
  const tc = ctx.topics.select(topic);
  if (tc && isReadable(tc.perm)) for (let q = 0; q < tc.readQueueNums; q++) out.push({ topic, brokerName: ctx.config.brokerName, queueId: q });
  return out;
}

/** QueryAssignmentProcessor#allocate4Pop. */
function allocate4Pop(strategy: string, clientId: string, mqAll: MessageQueue[], cidAll: string[], share: number): MessageQueue[] {
  if (share <= 0 || share >= cidAll.length - 1) {
    const seen = new Map<string, MessageQueue>();
    for (const mq of mqAll) seen.set(mq.brokerName, { topic: mq.topic, brokerName: mq.brokerName, queueId: -1 });
    return [...seen.values()];
  }
  if (cidAll.length <= mqAll.length) {
    // Each client takes its own share, plus `share` neighbours' (the Java loop over cidAll).
    const mine = new Map<string, MessageQueue>();
    const index = cidAll.indexOf(clientId);
    for (let i = 0; i <= share; i++) {
      const cid = cidAll[(index + i) % cidAll.length];
      for (const mq of allocate(strategy, cid, mqAll, cidAll)) mine.set(`${mq.brokerName}@${mq.queueId}`, mq);
    }
    return [...mine.values()];
  }
  // More clients than queues: each client one queue, round-robin.
  const index = cidAll.indexOf(clientId);
  return index < 0 ? [] : [mqAll[index % mqAll.length]];
}

/** SET_MESSAGE_REQUEST_MODE (401): body SetMessageRequestModeRequestBody; persisted before the answer. */
export async function setMessageRequestMode(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const b = parseBody<{ topic: string; consumerGroup: string; mode?: string; popShareQueueNum?: number }>(req);
  if (b.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return createResponse(req, ResponseCode.NO_PERMISSION, 'retry topic is not allowed to set mode');
  if (!ctx.topics.select(b.topic)) return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `topic[${b.topic}] not exist`);
  if (!ctx.groups.find(b.consumerGroup)) return createResponse(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'subscription group does not exist');
  ctx.pop.modes.set({ topic: b.topic, consumerGroup: b.consumerGroup, mode: b.mode === 'POP' ? 'POP' : 'PULL', popShareQueueNum: Number(b.popShareQueueNum ?? 0) });
  await ctx.pop.modes.persist();
  return createResponse(req, ResponseCode.SUCCESS);
}
