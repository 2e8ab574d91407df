import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { isReadable } from '../../protocol/perm-name.js';
import { bool, int, long, str } from '../../remoting/header-fields.js';
import { POP_ORDER_REVIVE_QUEUE, popRetryTopicV1, popRetryTopicV2 } from '../../protocol/pop-const.js';
import { buildSubscriptionData, isTagType } from '../../broker/filter/subscription-data.js';
import { buildMessageFilter } from '../../broker/filter/message-filter.js';
import { buildFilterData } from '../../broker/filter/consumer-filter-manager.js';
import { newBatch, popQueue, type PopArgs, type PopBatch } from '../../broker/pop/pop-queue.js';

/** PopMessageProcessor: a pop whose bornTime + pollTime passed by more than this is refused POLLING_TIMEOUT. */
const POP_TIMEOUT_SLACK_MS = 500;
/** PopMessageProcessor: the most messages one pop may ask for. */
const MAX_POP_MSG_NUMS = 32;

/** POP_MESSAGE (200050), long-polled when nothing is there. */
export function popMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processPop(ctx, req, conn, true);
}

/** A held pop woken by an arrival or its poll time: answered now, never held again. */
export function resumePop(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processPop(ctx, req, conn, false);
}

/**
 * Steps: the header checks in PopMessageProcessor's order → which topics to read (the group's POP
 * retry topics with popFromRetryProbability percent, first; the topic; the retry topics again if
 * the batch is not full) → each queue (one, or all round-robin for queueId -1) popped with a
 * checkpoint → answer, or hold the request while nothing was found.
 */
function processPop(ctx: BrokerContext, req: RemotingCommand, conn: Connection, allowHold: boolean): RemotingCommand | null {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const maxMsgNums = int(h, 'maxMsgNums');
  const invisibleTime = long(h, 'invisibleTime');
  const pollTime = long(h, 'pollTime');
  const bornTime = long(h, 'bornTime');
  const initMode = int(h, 'initMode');
  const order = bool(h, 'order');
  const fail = (code: number, remark: string): RemotingCommand => createResponse(req, code, remark);
  const broker = ctx.brokerAddr;
  const now = Date.now();

  if (allowHold && now - bornTime - pollTime > POP_TIMEOUT_SLACK_MS) {
    return fail(ResponseCode.POLLING_TIMEOUT, `the broker[${broker}] pop message is timeout too much`);
  }
  if (!isReadable(ctx.config.brokerPermission)) return fail(ResponseCode.NO_PERMISSION, `the broker[${broker}] pop message is forbidden`);
  if (maxMsgNums > MAX_POP_MSG_NUMS) return fail(ResponseCode.INVALID_PARAMETER, `the broker[${broker}] pop message's num is greater than 32`);
  if (!ctx.config.timerWheelEnable) {
    return fail(ResponseCode.SYSTEM_ERROR, `the broker[${broker}] pop message is forbidden because timerWheelEnable is false`);
  }
  const tc = ctx.topics.select(topic);
  if (!tc) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
  if (!isReadable(tc.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${topic}] peeking message is forbidden`);
  if (queueId >= tc.readQueueNums) {
    return fail(ResponseCode.INVALID_PARAMETER, `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${conn.remoteAddr}]`);
  }
  const sg = ctx.groups.find(group);
  if (!sg) return fail(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
  if (!sg.consumeEnable) return fail(ResponseCode.NO_PERMISSION, `subscription group no permission, ${group}`);

  const sub = buildSubscriptionData(topic, h?.exp, h?.expType);
  const filterData = isTagType(sub.expressionType) ? undefined : buildFilterData(topic, group, sub.subString, sub.expressionType, 0);
  if (!isTagType(sub.expressionType) && !filterData) return fail(ResponseCode.SUBSCRIPTION_PARSE_FAILED, "parse the consumer's subscription failed");
  const filter = buildMessageFilter(sub, filterData);

  const args: PopArgs = {
    group, topic, maxMsgNums, invisibleTime, popTime: now, initMode, order, filter,
    reviveQid: order ? POP_ORDER_REVIVE_QUEUE : ctx.pop.nextReviveQid(),
  };
  const batch = newBatch();
  const retryTopics = [popRetryTopicV1(topic, group), popRetryTopicV2(topic, group)].filter((t) => ctx.topics.select(t));
  const retryFirst = !order && Math.random() * 100 < ctx.config.popFromRetryProbability;
  if (retryFirst) for (const t of retryTopics) popAll(ctx, args, t, -1, batch);
  popAll(ctx, args, topic, queueId, batch);
  if (!retryFirst && !order && batch.count < maxMsgNums) for (const t of retryTopics) popAll(ctx, args, t, -1, batch);

  const ext: Record<string, string> = {
    popTime: String(now), invisibleTime: String(invisibleTime), reviveQid: String(args.reviveQid), restNum: String(batch.restNum),
    startOffsetInfo: batch.startOffsetInfo.join(';'), msgOffsetInfo: batch.msgOffsetInfo.join(';'),
  };
  if (order) ext.orderCountInfo = batch.orderCountInfo.join(';');
  if (batch.count > 0) return createResponse(req, ResponseCode.SUCCESS, 'FOUND', ext, batch.buffers);
  if (allowHold && pollTime > 0) {
    const waitMs = bornTime + pollTime - now;
    if (ctx.pop.hold.hold(req, conn, [...new Set([topic, ...retryTopics, popRetryTopicV1(topic, group)])], waitMs, `${topic}@${group}@${queueId}`)) return null;
    return createResponse(req, ResponseCode.POLLING_FULL, 'NO_MESSAGE_IN_QUEUE', ext);
  }
  return createResponse(req, ResponseCode.POLLING_TIMEOUT, 'NO_MESSAGE_IN_QUEUE', ext);
}

/** One queue, or every readable queue starting at a random one (queueId -1), as PopMessageProcessor walks them. */
function popAll(ctx: BrokerContext, a: PopArgs, realTopic: string, queueId: number, batch: PopBatch): void {
  if (queueId >= 0) {
    popQueue(ctx, a, realTopic, queueId, batch);
    return;
  }
  const n = ctx.topics.select(realTopic)?.readQueueNums ?? 0;
  const start = Math.floor(Math.random() * 100);
  for (let i = 0; i < n; i++) popQueue(ctx, a, realTopic, (start + i) % n, batch);
}
