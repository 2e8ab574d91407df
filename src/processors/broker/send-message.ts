import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RequestCode } from '../../protocol/request-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { PermName, isWriteable } from '../../protocol/perm-name.js';
import { TopicSysFlag } from '../../protocol/sys-flag.js';
import { parseSendHeader, type SendMessageRequestHeader } from '../../codec/send-header.js';
import { decodeBatch } from '../../codec/message-batch.js';
import { getProperty, tagsCode } from '../../codec/message-properties.js';
import { validateTopic, isNotAllowedSendTopic, RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import { describeTopicConfig, type TopicConfig } from '../../broker/metadata/topic-config-manager.js';
import { storedProperties } from '../../broker/put/message-rewrite.js';
import { putResultToResponse, isStored } from './put-result.js';
import { putSingleMessage, refuseSpecialBatch } from './send-special.js';
import type { MessageInner } from '../../codec/message.js';

/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320).
 * Steps: parse header → check broker, topic and queue (auto-creating the topic) → build the
 * stored message(s) → append → map the store status to a response code.
 */
export async function sendMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): Promise<RemotingCommand> {
  const header = parseSendHeader(req);
  const ext = { MSG_REGION: ctx.config.regionId, TRACE_ON: String(ctx.config.traceOn) };
  const fail = (code: number, remark: string): RemotingCommand => createResponse(req, code, remark, { ...ext });

  const checked = checkMessage(ctx, header, conn);
  if (typeof checked === 'object' && 'code' in checked) return fail(checked.code, checked.remark);
  const topicConfig = checked;

  let queueId = header.queueId;
  if (queueId < 0) queueId = Math.floor(Math.random() * 0x7fffffff) % Math.max(1, topicConfig.writeQueueNums);

  const body = requestBody(req) ?? Buffer.alloc(0);
  if (body.length > ctx.config.maxMessageSize) {
    return fail(ResponseCode.MESSAGE_ILLEGAL, `the message body size over max value, MAX: ${ctx.config.maxMessageSize}`);
  }
  const bornHost = { ip: conn.remoteAddress, port: conn.socket.remotePort ?? 0 };
  const inner = (flag: number, msgBody: Buffer, props: string): MessageInner => ({
    topic: header.topic,
    queueId,
    flag,
    body: msgBody,
    propertiesString: props,
    tagsCode: tagsCode(getProperty(props, MessageConst.PROPERTY_TAGS)),
    sysFlag: header.sysFlag,
    bornTimestamp: header.bornTimestamp,
    bornHost,
    storeHost: ctx.storeHost,
    reconsumeTimes: header.reconsumeTimes,
    preparedTransactionOffset: 0,
  });
  const clusterName = ctx.config.brokerClusterName;
  let result;
  if (req.code === RequestCode.SEND_BATCH_MESSAGE || header.batch) {
    if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return fail(ResponseCode.MESSAGE_ILLEGAL, 'batch request does not support retry group ' + header.topic);
    // CommitLog#asyncPutMessages: a batch can be neither transactional nor delayed.
    const batchRefusal = refuseSpecialBatch(header);
    if (batchRefusal) return fail(batchRefusal.code, batchRefusal.remark);
    let items;
    try {
      items = decodeBatch(body);
    } catch (e) {
      return fail(ResponseCode.MESSAGE_ILLEGAL, `the batch message is malformed: ${(e as Error).message}`);
    }
    if (items.length === 0) return fail(ResponseCode.MESSAGE_ILLEGAL, 'the batch message is empty');
    result = await ctx.store.putMessages(items.map((it) => inner(it.flag, it.body, storedProperties(it.properties, header.properties, clusterName))));
  } else {
    const msg = inner(header.flag, body, storedProperties(header.properties, undefined, clusterName));
    const put = await putSingleMessage(ctx, req, header, msg);
    if ('code' in put) return fail(put.code, put.remark);
    result = put;
  }
  const response = putResultToResponse(req, result, ctx.config.maxMessageSize, ext);
  if (result.appendResult && isStored(result)) {
    ctx.stats.incPut(header.topic, result.appendResult.msgNum, result.appendResult.wroteBytes);
    response.extFields!.msgId = result.appendResult.msgId;
    response.extFields!.queueId = String(queueId);
    response.extFields!.queueOffset = String(result.appendResult.logicsOffset);
  }
  return response;
}

/** AbstractSendMessageProcessor#msgCheck: the topic config to send to, or the first broken rule. */
function checkMessage(ctx: BrokerContext, header: SendMessageRequestHeader, conn: Connection): TopicConfig | { code: number; remark: string } {
  if (!isWriteable(ctx.config.brokerPermission) && ctx.topics.isOrderTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the broker[${ctx.config.brokerIP1}] sending message is forbidden` };
  }
  const bad = validateTopic(header.topic);
  if (bad) return { code: ResponseCode.SYSTEM_ERROR, remark: bad };
  if (isNotAllowedSendTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `Sending message to topic[${header.topic}] is forbidden.` };
  }
  let tc = ctx.topics.select(header.topic);
  if (!tc) {
    let topicSysFlag = 0;
    if (header.unitMode) topicSysFlag = header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? TopicSysFlag.FLAG_UNIT_SUB : TopicSysFlag.FLAG_UNIT;
    tc = ctx.topics.createTopicInSendMessageMethod(header.topic, header.defaultTopic, conn.remoteAddr, header.defaultTopicQueueNums, topicSysFlag);
    if (!tc && header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      tc = ctx.topics.createIfAbsent(header.topic, 1, PermName.PERM_WRITE | PermName.PERM_READ, topicSysFlag);
    }
    if (!tc) {
      return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `topic[${header.topic}] not exist, apply first please!` };
    }
    ctx.registerBrokerAll();
  }
  if (!isWriteable(tc.perm)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the topic[${header.topic}] sending message is forbidden` };
  }
  if (header.queueId >= Math.max(tc.writeQueueNums, tc.readQueueNums)) {
    return { code: ResponseCode.SYSTEM_ERROR, remark: `request queueId[${header.queueId}] is illegal, ${describeTopicConfig(tc)} Producer: ${conn.remoteAddr}` };
  }
  return tc;
}
