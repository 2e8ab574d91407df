/**
 * Where a failed message goes next (protocol.md §6.3; SendMessageProcessor#asyncConsumerSendMsgBack and
 * #handleRetryAndDLQ): `%RETRY%<group>` with a delay while the group's reconsume budget lasts, then
 * `%DLQ%<group>`, created on demand with one queue and read+write permission (4.9.7 broker).
 */
import type { BrokerContext } from '../broker-context.js';
import type { MessageInner } from '../../codec/message.js';
import type { SendMessageRequestHeader } from '../../codec/send-header.js';
import type { RemotingCommand } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { PermName } from '../../protocol/perm-name.js';
import { Version } from '../../protocol/version.js';
import { RETRY_GROUP_TOPIC_PREFIX, dlqTopic } from '../../protocol/topic-validator.js';
import { editProperties } from '../message/stored-message.js';
import type { SubscriptionGroupConfig } from '../metadata/subscription-group-manager.js';

/** MixAll.DLQ_NUMS_PER_GROUP. */
export const DLQ_NUMS_PER_GROUP = 1;

export type Refusal = { code: number; remark: string };

/** Random queue in [0, n), as ThreadLocalRandom.nextInt(99999999) % n. */
export const randomQueue = (n: number): number => Math.floor(Math.random() * 99_999_999) % Math.max(1, n);

export function groupNotExist(group: string): Refusal {
  return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${group} ` };
}

/** The group's reconsume budget: the header's maxReconsumeTimes wins for clients from V3_4_9 on. */
export function maxReconsumeTimes(sg: SubscriptionGroupConfig, req: RemotingCommand, headerMax: number | undefined): number {
  return req.version >= Version.V3_4_9 && headerMax !== undefined ? headerMax : sg.retryMaxTimes;
}

/** Creates `%DLQ%<group>` if needed (TopicConfigManager#createTopicInSendMessageBackMethod). */
export function ensureDlqTopic(ctx: BrokerContext, group: string): string {
  const topic = dlqTopic(group);
  if (!ctx.topics.select(topic)) {
    ctx.topics.createIfAbsent(topic, DLQ_NUMS_PER_GROUP, PermName.PERM_WRITE | PermName.PERM_READ, 0);
    ctx.registerBrokerAll();
  }
  return topic;
}

/**
 * Send path, for messages a client sends to `%RETRY%<group>` itself (the consumer's fallback when
 * CONSUMER_SEND_MSG_BACK failed, and orderly consumers' final send-back): once the header's
 * reconsumeTimes reaches the budget the message goes to the DLQ instead, without delay.
 * (The Java broker keeps the client's DELAY there, so its DLQ copy waits out one more delay level
 * first; delivering it at once changes only when, not where.)
 */
export function handleRetryAndDLQ(ctx: BrokerContext, req: RemotingCommand, header: SendMessageRequestHeader, msg: MessageInner): MessageInner | Refusal {
  if (!header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return msg;
  const group = header.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  const sg = ctx.groups.find(group);
  if (!sg) return groupNotExist(group);
  if (header.reconsumeTimes < maxReconsumeTimes(sg, req, header.maxReconsumeTimes)) return msg;
  const topic = ensureDlqTopic(ctx, group);
  return {
    ...msg,
    topic,
    queueId: randomQueue(DLQ_NUMS_PER_GROUP),
    propertiesString: editProperties(msg.propertiesString, { [MessageConst.PROPERTY_DELAY_TIME_LEVEL]: undefined }),
  };
}
