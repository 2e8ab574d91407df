import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { isReadable } from '../../protocol/perm-name.js';
import { int, long, str } from '../../remoting/header-fields.js';
import { popRetryTopicV1, popRetryTopicV2 } from '../../protocol/pop-const.js';
import { queueKey } from '../../broker/pop/pop-state.js';

/** The queues to look at: one, or all (queueId -1). */
function queuesOf(ctx: BrokerContext, topic: string, queueId: number): number[] {
  const n = ctx.topics.select(topic)?.readQueueNums ?? 0;
  return queueId >= 0 ? [queueId] : Array.from({ length: n }, (_, i) => i);
}

/** Where the group pops `topic`'s queue next (no pop yet: the committed offset, else the queue's start). */
function popOffset(ctx: BrokerContext, group: string, topic: string, queueId: number): number {
  const o = ctx.pop.state.offsets.get(queueKey(group, topic, queueId)) ?? ctx.offsets.queryOffset(group, topic, queueId);
  return o >= 0 ? o : ctx.store.getMinOffsetInQueue(topic, queueId);
}

/** PEEK_MESSAGE (200052): messages from the group's pop offsets, without a checkpoint (PeekMessageProcessor). */
export function peekMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const maxMsgNums = int(h, 'maxMsgNums');
  const refused = checkCommon(ctx, group, topic, queueId, conn);
  if (refused) return createResponse(req, refused.code, refused.remark);
  const buffers: Buffer[] = [];
  let restNum = 0;
  for (const q of queuesOf(ctx, topic, queueId)) {
    const want = maxMsgNums - buffers.length;
    const offset = popOffset(ctx, group, topic, q);
    const r = want > 0 ? ctx.store.getMessage(group, topic, q, offset, want) : undefined;
    if (r) buffers.push(...r.buffers);
    restNum += ctx.store.getMaxOffsetInQueue(topic, q) - (r?.nextBeginOffset ?? offset);
  }
  // PopMessageResponseHeader's primitives are always sent; a peek sets only restNum.
  const ext = { popTime: '0', invisibleTime: '0', reviveQid: '0', restNum: String(Math.max(0, restNum)) };
  if (buffers.length > 0) return createResponse(req, ResponseCode.SUCCESS, 'FOUND', ext, buffers);
  return createResponse(req, ResponseCode.PULL_NOT_FOUND, 'NO_MESSAGE_IN_QUEUE', ext);
}

/** Whether any queue (or the group's POP retry topics) has a message past the group's pop offset. */
function hasMessage(ctx: BrokerContext, group: string, topic: string, queueId: number): boolean {
  for (const q of queuesOf(ctx, topic, queueId)) if (ctx.store.getMaxOffsetInQueue(topic, q) > popOffset(ctx, group, topic, q)) return true;
  for (const t of [popRetryTopicV1(topic, group), popRetryTopicV2(topic, group)]) {
    for (const q of queuesOf(ctx, t, -1)) if (ctx.store.getMaxOffsetInQueue(t, q) > popOffset(ctx, group, t, q)) return true;
  }
  return false;
}

export function notification(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processNotification(ctx, req, conn, true);
}
export function resumeNotification(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processNotification(ctx, req, conn, false);
}

/** NOTIFICATION (200054): answers hasMsg at once when there is one, else long-polls like a pop (NotificationProcessor). */
function processNotification(ctx: BrokerContext, req: RemotingCommand, conn: Connection, allowHold: boolean): RemotingCommand | null {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const pollTime = long(h, 'pollTime');
  const bornTime = long(h, 'bornTime');
  const refused = checkCommon(ctx, group, topic, queueId, conn);
  if (refused) return createResponse(req, refused.code, refused.remark);
  // NotificationResponseHeader's two booleans are primitives: always sent.
  if (hasMessage(ctx, group, topic, queueId)) return createResponse(req, ResponseCode.SUCCESS, undefined, { hasMsg: 'true', pollingFull: 'false' });
  let pollingFull = false;
  if (allowHold && pollTime > 0) {
    const topics = [topic, popRetryTopicV1(topic, group), popRetryTopicV2(topic, group)];
    if (ctx.pop.hold.hold(req, conn, topics, bornTime + pollTime - Date.now(), pollingKey(topic, group, queueId))) return null;
    pollingFull = true;
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, { hasMsg: 'false', pollingFull: String(pollingFull) });
}

/** POLLING_INFO (200055): how many pops are long-polling the topic (PollingInfoProcessor). */
export function pollingInfo(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const refused = checkCommon(ctx, group, topic, queueId, conn);
  if (refused) return createResponse(req, refused.code, refused.remark);
  return createResponse(req, ResponseCode.SUCCESS, undefined, { pollingNum: String(ctx.pop.hold.count(pollingKey(topic, group, queueId))) });
}

/** KeyBuilder#buildPollingKey: what POLLING_INFO counts held requests by. */
export const pollingKey = (topic: string, group: string, queueId: number): string => `${topic}@${group}@${queueId}`;

/**
 * The checks PEEK, NOTIFICATION and POLLING_INFO share, in the Java processors' order: broker readable,
 * topic known and readable, queueId in range, group known and allowed to consume.
 */
function checkCommon(ctx: BrokerContext, group: string, topic: string, queueId: number, conn: Connection): { code: number; remark?: string } | undefined {
  if (!isReadable(ctx.config.brokerPermission)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the broker[${ctx.config.brokerIP1}] peeking message is forbidden` };
  }
  const tc = ctx.topics.select(topic);
  if (!tc) return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `topic[${topic}] not exist, apply first please!` };
  if (!isReadable(tc.perm)) return { code: ResponseCode.NO_PERMISSION, remark: `the topic[${topic}] peeking message is forbidden` };
  if (queueId >= tc.readQueueNums) {
    return {
      code: ResponseCode.INVALID_PARAMETER,
      remark: `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${conn.remoteAddr}]`,
    };
  }
  const sg = ctx.groups.find(group);
  if (!sg) return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group [${group}] does not exist` };
  if (!sg.consumeEnable) return { code: ResponseCode.NO_PERMISSION, remark: `subscription group no permission, ${group}` };
  return undefined;
}
