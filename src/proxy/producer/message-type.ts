/**
 * The topic message type check of rocketmq-proxy 5.3.3 (ProducerProcessor + DefaultTopicMessageTypeValidator):
 * what a message is (NORMAL, FIFO, DELAY, TRANSACTION, from its properties) must be the topic's
 * `message.type`, or the topic must be MIXED. Retry and DLQ topics are not checked.
 *
 * One difference: the Apache proxy also refuses every send to a topic whose type it cannot read
 * (UNSPECIFIED: a 4.9 broker, which has no GET_TOPIC_CONFIG and no attributes); this one lets those
 * through, so the endpoint can front 4.9.x brokers.
 */
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import type { ProxyContext } from '../context.js';
import { ProxyError } from '../proxy-error.js';

export async function checkMessageType(ctx: ProxyContext, topic: string, actual: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION'): Promise<void> {
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) return;
  const expected = await ctx.metadata.topicMessageType(topic);
  if (expected === 'UNSPECIFIED' || expected === 'MIXED' || expected === actual) return;
  throw new ProxyError(
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    `TopicMessageType validate failed, the expected type is ${expected}, but actual type is ${actual}`,
  );
}
