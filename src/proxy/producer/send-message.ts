/**
 * SendMessage: the SDK's messages to one broker queue over remoting. Steps, as rocketmq-proxy 5.3.3
 * runs them (SendMessageActivity, ProducerProcessor#sendMessage, ClusterMessageService):
 *   1. at least one message, all for the same topic (MESSAGE_CORRUPTED), a valid topic (ILLEGAL_TOPIC);
 *   2. each message checked and turned into properties (convert/to-remoting.ts);
 *   3. the topic's message.type against what is sent (MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);
 *   4. a queue chosen (queue-selector.ts; none writable: FORBIDDEN "no writable queue");
 *   5. SEND_MESSAGE_V2 (one message) or SEND_BATCH_MESSAGE (several) to the broker's master;
 *   6. the answer mapped: SEND_OK and the flush/slave statuses per entry, any other code as the
 *      whole response's status (proxy-error.ts codeOfRemoting); a transactional half is remembered
 *      for EndTransaction (transaction-relay.ts).
 */
import { createRequest, type RemotingCommand } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { decodeOffsetMessageId } from '../../codec/message-id.js';
import { MessageSysFlag } from '../../protocol/sys-flag.js';
import type { ProxyContext } from '../context.js';
import { OK_STATUS, ProxyError, fromRemoting, type Status, type StatusCode } from '../proxy-error.js';
import type { RequestMeta } from '../grpc/rpc-types.js';
import { encodeBatch, sendHeaderV2, sysFlagOf, toOutgoing, type OutgoingMessage } from '../convert/to-remoting.js';
import { validateTopicName } from '../validate.js';
import { checkMessageType } from './message-type.js';
import { QueueSelector, writeQueues } from './queue-selector.js';

const selector = new QueueSelector();

export async function sendMessage(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  const messages: any[] = req.messages ?? [];
  if (messages.length === 0) throw new ProxyError('MESSAGE_CORRUPTED', 'no message to send');
  const topicResource = messages[0].topic ?? {};
  const topic = validateTopicName(topicResource.name);
  for (const m of messages) {
    if (m.topic?.name !== topic || (m.topic?.resourceNamespace ?? '') !== (topicResource.resourceNamespace ?? '')) {
      throw new ProxyError('MESSAGE_CORRUPTED', 'topic in message is not same');
    }
  }
  // The producer group of every gRPC producer is the topic (SendMessageActivity#buildMessage).
  const producerGroup = topic;
  const outgoing = messages.map((m) => toOutgoing(ctx.config, m, producerGroup, meta.remoteAddr));
  if (ctx.config.enableTopicMessageTypeCheck) await checkMessageType(ctx, topic, outgoing[0].messageType);
  const route = await ctx.routes.route(topic);
  const group = messages.length === 1 ? outgoing[0].messageGroup : undefined;
  const queue = selector.select(topic, writeQueues(route), group);
  if (!queue) throw new ProxyError('FORBIDDEN', 'no writable queue');
  const sysFlag = sysFlagOf(messages[0]);
  const header = sendHeaderV2(topic, producerGroup, queue.queueId, sysFlag, outgoing, queue.brokerName);
  const request = outgoing.length === 1
    ? createRequest(RequestCode.SEND_MESSAGE_V2, header, outgoing[0].body)
    : createRequest(RequestCode.SEND_BATCH_MESSAGE, header, encodeBatch(outgoing));
  let res: RemotingCommand;
  try {
    res = await ctx.brokers.invoke(queue.brokerAddr, request, Math.min(ctx.config.remotingTimeoutMills, Math.max(meta.remainingMs(), 1)));
  } catch (e) {
    selector.fault(queue.brokerName);
    throw e;
  }
  selector.ok(queue.brokerName);
  const entryCode = SEND_STATUS_CODES.get(res.code);
  if (!entryCode) {
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) ctx.routes.invalidate(topic);
    throw fromRemoting(res.code, res.remark);
  }
  const h = { ...res.extFields };
  // A 4.9 broker's answer has no transactionId; its clients use the message's UNIQ_KEY, and so does its check-back.
  if ((sysFlag & MessageSysFlag.TRANSACTION_PREPARED_TYPE) !== 0 && !h.transactionId) h.transactionId = outgoing[0].messageId;
  if (entryCode === 'OK' && (sysFlag & MessageSysFlag.TRANSACTION_PREPARED_TYPE) !== 0) {
    const offsets = decodeOffsetMessageId(h.msgId ?? '');
    ctx.transactions.remember(producerGroup, h.transactionId, {
      brokerName: queue.brokerName,
      brokerAddr: queue.brokerAddr,
      tranStateTableOffset: Number(h.queueOffset ?? 0),
      commitLogOffset: offsets ? offsets.commitLogOffset : 0,
    });
  }
  const entries = outgoing.map((m, i) => entryOf(entryCode, m, h, i));
  return { status: entryCode === 'OK' ? OK_STATUS : { code: entryCode, message: entryCode }, entries };
}

/** The send statuses a broker answers with a stored message (SendStatus), by response code. */
const SEND_STATUS_CODES = new Map<number, StatusCode>([
  [ResponseCode.SUCCESS, 'OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'MASTER_PERSISTENCE_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'SLAVE_PERSISTENCE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'HA_NOT_AVAILABLE'],
]);

const SEND_STATUS_NAMES: Partial<Record<StatusCode, string>> = {
  MASTER_PERSISTENCE_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  SLAVE_PERSISTENCE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  HA_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
};

/**
 * One SendResultEntry. A batch gets one entry per message (the Apache proxy answers one entry whose
 * id is the ids joined by commas, which the SDKs cannot decode); offsets count up from the first.
 */
function entryOf(code: StatusCode, m: OutgoingMessage, h: Record<string, string>, i: number): object {
  if (code !== 'OK') {
    const status: Status = { code, message: `send message failed, sendStatus=${SEND_STATUS_NAMES[code]}` };
    return { status };
  }
  return {
    status: OK_STATUS,
    messageId: m.messageId,
    transactionId: h.transactionId ?? '',
    offset: Number(h.queueOffset ?? 0) + i,
    recallHandle: h.recallHandle ?? '',
  };
}
