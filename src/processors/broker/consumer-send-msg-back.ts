import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { PermName, isWriteable } from '../../protocol/perm-name.js';
import { TopicSysFlag } from '../../protocol/sys-flag.js';
import { bool, int, long, optInt, str } from '../../remoting/header-fields.js';
import { getProperty } from '../../codec/message-properties.js';
import { createOffsetMessageId } from '../../codec/message-id.js';
import { retryTopic } from '../../protocol/topic-validator.js';
import { editProperties, nextAttempt, storedMessage } from '../../broker/message/stored-message.js';
import { DLQ_NUMS_PER_GROUP, ensureDlqTopic, groupNotExist, maxReconsumeTimes, putMessage, randomQueue } from '../../broker/put/put-message.js';

/**
 * CONSUMER_SEND_MSG_BACK (36): a push consumer could not consume a message
 * (SendMessageProcessor#asyncConsumerSendMsgBack). Steps: group and permissions → `%RETRY%<group>` topic
 * (created on demand) → the original record by CommitLog offset → RETRY_TOPIC / ORIGIN_MESSAGE_ID kept,
 * reconsumeTimes + 1 → out of budget (or delayLevel < 0): `%DLQ%<group>` at once; else delay level
 * 3 + reconsumeTimes unless the client chose one → put (delay routing parks it in SCHEDULE_TOPIC_XXXX).
 */
export async function consumerSendMsgBack(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const group = str(h, 'group');
  const offset = long(h, 'offset');
  let delayLevel = int(h, 'delayLevel');
  const fail = (code: number, remark: string): RemotingCommand => createResponse(req, code, remark);

  const sg = ctx.groups.find(group);
  if (!sg) {
    const r = groupNotExist(group);
    return fail(r.code, r.remark);
  }
  if (!isWriteable(ctx.config.brokerPermission)) {
    return fail(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] sending message is forbidden`);
  }
  // A group without retry queues drops failed messages.
  if (sg.retryQueueNums <= 0) return createResponse(req, ResponseCode.SUCCESS);

  let topic = retryTopic(group);
  let queueId = randomQueue(sg.retryQueueNums);
  let tc = ctx.topics.select(topic);
  if (!tc) {
    tc = ctx.topics.createIfAbsent(topic, sg.retryQueueNums, PermName.PERM_WRITE | PermName.PERM_READ, bool(h, 'unitMode') ? TopicSysFlag.FLAG_UNIT_SUB : 0);
    ctx.registerBrokerAll();
  }
  if (!isWriteable(tc.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${topic}] sending message is forbidden`);

  const record = ctx.store.lookMessageByOffset(offset);
  if (!record) return fail(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${offset}`);
  const orig = storedMessage(record);
  const props = orig.propertiesString;

  const changes: Record<string, string | undefined> = { [MessageConst.PROPERTY_WAIT_STORE_MSG_OK]: 'false' };
  if (getProperty(props, MessageConst.PROPERTY_RETRY_TOPIC) === undefined) changes[MessageConst.PROPERTY_RETRY_TOPIC] = orig.topic;
  if (!getProperty(props, MessageConst.PROPERTY_ORIGIN_MESSAGE_ID)) {
    changes[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] = createOffsetMessageId(orig.storeHost, orig.commitLogOffset);
  }
  const budget = maxReconsumeTimes(sg, req.version, optInt(h, 'maxReconsumeTimes'));
  const toDlq = orig.reconsumeTimes >= budget || delayLevel < 0;
  if (toDlq) {
    // AbstractSendMessageProcessor#consumerSendMsgBack counts it under the header's originTopic.
    ctx.metrics?.sentToDlq(group, h?.originTopic ?? orig.topic);
    topic = ensureDlqTopic(ctx, group);
    queueId = randomQueue(DLQ_NUMS_PER_GROUP);
    changes[MessageConst.PROPERTY_DELAY_TIME_LEVEL] = '0';
  } else {
    if (delayLevel === 0) delayLevel = 3 + orig.reconsumeTimes;
    changes[MessageConst.PROPERTY_DELAY_TIME_LEVEL] = String(delayLevel);
  }
  const newProps = editProperties(props, changes);
  const msg = nextAttempt(orig, topic, queueId, newProps, orig);
  // No timer parking here: a retried timer message waits for its delay level, a dead one not at all.
  const r = await putMessage(ctx, msg, { parkTimers: false });
  if ('code' in r) return fail(r.code, r.remark);
  if (r.status !== 'PUT_OK') return fail(ResponseCode.SYSTEM_ERROR, r.status);
  ctx.stats.incPut(r.storedTopic, 1);
  return createResponse(req, ResponseCode.SUCCESS);
}
