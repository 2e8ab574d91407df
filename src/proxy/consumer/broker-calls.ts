/**
 * The remoting requests the consumer RPCs send to a broker on a client's behalf, with the answers
 * read as the Apache proxy's MQClientAPIExt reads them: ACK_MESSAGE (any code but SUCCESS is
 * AckStatus.NO_EXIST), CHANGE_MESSAGE_INVISIBLETIME (SUCCESS gives the new handle), and
 * CONSUMER_SEND_MSG_BACK to the DLQ (ProducerProcessor#forwardMessageToDeadLetterQueue: delayLevel
 * -1, maxReconsumeTimes 0, then the message acked).
 */
import { createRequest, type RemotingCommand } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { ProxyError } from '../proxy-error.js';
import type { ProxyContext } from '../context.js';
import { MASTER_ID } from '../topic-routes.js';
import { handleTopic, renewedHandle, type ReceiptHandle } from './receipt-handle.js';

/**
 * A broker's master address by name (ClusterMessageService#resolveBrokerAddrInReceiptHandle): from
 * the routes fetched so far, else the route of `topic`, else the route of the topic named after the
 * broker (every broker registers one). Unknown: INVALID_RECEIPT_HANDLE "cannot find broker <name>".
 */
export async function brokerAddrOf(ctx: ProxyContext, brokerName: string, topic: string): Promise<string> {
  const known = ctx.routes.masterAddr(brokerName);
  if (known) return known;
  for (const t of [topic, brokerName]) {
    try {
      const route = await ctx.routes.route(t);
      const b = route.brokerDatas.find((d) => d.brokerName === brokerName);
      const addr = b?.brokerAddrs.get(MASTER_ID) ?? b?.brokerAddrs.values().next().value;
      if (addr) return addr;
    } catch {
      // next source
    }
  }
  throw new ProxyError('INVALID_RECEIPT_HANDLE', `cannot find broker ${brokerName}`);
}

/** ACK_MESSAGE for a handle; true when the broker answered SUCCESS (AckStatus.OK). */
export async function ackOnBroker(ctx: ProxyContext, h: ReceiptHandle, group: string, topic: string): Promise<boolean> {
  const addr = await brokerAddrOf(ctx, h.brokerName, topic);
  const res = await ctx.brokers.invoke(addr, createRequest(RequestCode.ACK_MESSAGE, {
    consumerGroup: group, topic: handleTopic(h, topic, group), queueId: String(h.queueId), extraInfo: h.text, offset: String(h.offset),
  }));
  return res.code === ResponseCode.SUCCESS;
}

/** CHANGE_MESSAGE_INVISIBLETIME for a handle: the new handle, or undefined when the broker did not answer SUCCESS. */
export async function changeInvisibleOnBroker(
  ctx: ProxyContext, h: ReceiptHandle, group: string, topic: string, invisibleMs: number,
): Promise<string | undefined> {
  const addr = await brokerAddrOf(ctx, h.brokerName, topic);
  const real = handleTopic(h, topic, group);
  const res = await ctx.brokers.invoke(addr, createRequest(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, {
    consumerGroup: group, topic: real, queueId: String(h.queueId), extraInfo: h.text, offset: String(h.offset),
    invisibleTime: String(invisibleMs),
  }));
  if (res.code !== ResponseCode.SUCCESS) return undefined;
  const x = res.extFields ?? {};
  return renewedHandle(h, real, Number(x.popTime ?? Date.now()), Number(x.invisibleTime ?? invisibleMs), Number(x.reviveQid ?? h.reviveQueueId));
}

/**
 * CONSUMER_SEND_MSG_BACK straight to `%DLQ%<group>`; on SUCCESS the message is acked (not waited
 * for, as in Java). The broker's answer is returned whatever its code.
 */
export async function forwardToDlq(ctx: ProxyContext, h: ReceiptHandle, messageId: string, group: string, topic: string): Promise<RemotingCommand> {
  if (h.commitLogOffset < 0) throw new ProxyError('INVALID_RECEIPT_HANDLE', 'commit log offset is empty');
  const addr = await brokerAddrOf(ctx, h.brokerName, topic);
  const res = await ctx.brokers.invoke(addr, createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
    offset: String(h.commitLogOffset), group, delayLevel: '-1', originMsgId: messageId, originTopic: handleTopic(h, topic, group),
    maxReconsumeTimes: '0',
  }));
  if (res.code === ResponseCode.SUCCESS) ackOnBroker(ctx, h, group, topic).catch(() => {});
  return res;
}
