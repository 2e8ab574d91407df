import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { int, str, bool } from '../../remoting/header-fields.js';
import { jsonBodySliced } from './slices.js';
import { TOPIC_BLANK_REMARK, isSystemTopic, systemTopicConflict, validateTopic } from '../../protocol/topic-validator.js';
import type { TopicConfig } from '../../broker/metadata/topic-config-manager.js';
import { refuseOnSlave } from './slave-guard.js';
import { TOPIC_MESSAGE_TYPE_ATTRIBUTE, alterTopicAttributes, parseAttributeModification } from '../../broker/metadata/topic-attributes.js';

/*
 * The topic admin requests refuse what AdminBrokerProcessor refuses, with 5.3.3's code for it
 * (INVALID_PARAMETER; 4.9.7 answered SYSTEM_ERROR with the same remarks, and 4.9 tools print any code
 * they do not know as the error): names TopicValidator rejects, and system topics, which the broker
 * itself defines and depends on (redefining SCHEDULE_TOPIC_XXXX changes where delayed messages wait).
 */

const refuse = (req: RemotingCommand, remark: string): RemotingCommand => createResponse(req, ResponseCode.INVALID_PARAMETER, remark);

/**
 * The first reason to refuse a queue count; Java takes any int, we take 0 (a drained topic) to
 * maxTopicQueueNums. Also a group's retryQueueNums, which becomes its %RETRY% topic's queue count.
 */
export function badQueueNums(field: string, n: number, max: number): string | undefined {
  return n >= 0 && n <= max ? undefined : `${field} ${n} is out of range: 0 to ${max} (maxTopicQueueNums)`;
}

/** UPDATE_AND_CREATE_TOPIC (17): name, then system topic, then queue counts; answered once topics.json has it. */
export async function updateAndCreateTopic(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const onSlave = refuseOnSlave(ctx, req);
  if (onSlave) return onSlave;
  const h = req.extFields;
  const topic = str(h, 'topic');
  const badName = validateTopic(topic);
  if (badName) return refuse(req, badName);
  if (ctx.config.validateSystemTopicWhenUpdateTopic && isSystemTopic(topic, ctx.topics.systemTopics)) {
    return refuse(req, systemTopicConflict(topic));
  }
  const readQueueNums = int(h, 'readQueueNums');
  const writeQueueNums = int(h, 'writeQueueNums');
  const max = ctx.config.maxTopicQueueNums;
  const badCount = badQueueNums('readQueueNums', readQueueNums, max) ?? badQueueNums('writeQueueNums', writeQueueNums, max);
  if (badCount) return refuse(req, badCount);
  const attributes = topicAttributesAfter(ctx, topic, h?.attributes);
  if ('code' in attributes) return createResponse(req, attributes.code, attributes.remark);
  const tc: TopicConfig = {
    topicName: topic,
    readQueueNums,
    writeQueueNums,
    perm: int(h, 'perm'),
    topicFilterType: h?.topicFilterType || 'SINGLE_TAG',
    topicSysFlag: int(h, 'topicSysFlag', 0),
    order: bool(h, 'order'),
    ...(Object.keys(attributes.value).length ? { attributes: attributes.value } : {}),
  };
  ctx.topics.put(tc);
  ctx.registerBrokerAll();
  // As ConfigManager#persist: a failed write is logged and retried, and the change stands.
  await ctx.topics.persist();
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * 5.3.3 AdminBrokerProcessor#updateAndCreateTopic and TopicConfigManager#updateTopicConfig: the
 * topic's attributes after the request's modification string. A malformed string or a rule
 * AttributeUtil breaks is an exception there (SYSTEM_ERROR with its message); MIXED is refused as
 * INVALID_PARAMETER (enableMixedMessageType, false by default; this broker has no such switch).
 */
function topicAttributesAfter(ctx: BrokerContext, topic: string, text: string | undefined):
  { value: Record<string, string> } | { code: number; remark: string } {
  const modification = parseAttributeModification(text);
  if ('error' in modification) return { code: ResponseCode.SYSTEM_ERROR, remark: String(modification.error) };
  if (modification.get(`+${TOPIC_MESSAGE_TYPE_ATTRIBUTE}`) === 'MIXED') {
    return { code: ResponseCode.INVALID_PARAMETER, remark: 'MIXED message type is not supported.' };
  }
  const existing = ctx.topics.select(topic);
  const altered = alterTopicAttributes(existing === undefined, existing?.attributes ?? {}, modification);
  if ('error' in altered) return { code: ResponseCode.SYSTEM_ERROR, remark: String(altered.error) };
  return { value: altered };
}

/**
 * DELETE_TOPIC_IN_BROKER (215): config, offsets and stored queues. As in 5.3.3, a blank name and a system
 * topic are refused; other names go through unchecked (4.9.7 also ran validateTopic): a name no topic
 * can have deletes nothing, and the store never takes one as a path outside consumequeue/.
 */
export async function deleteTopicInBroker(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const onSlave = refuseOnSlave(ctx, req);
  if (onSlave) return onSlave;
  const topic = str(req.extFields, 'topic');
  if (!topic.trim()) return refuse(req, TOPIC_BLANK_REMARK);
  if (ctx.config.validateSystemTopicWhenUpdateTopic && isSystemTopic(topic, ctx.topics.systemTopics)) {
    return refuse(req, systemTopicConflict(topic));
  }
  ctx.topics.delete(topic);
  ctx.offsets.removeTopic(topic);
  ctx.store.deleteTopics([topic]);
  ctx.registerBrokerAll();
  await ctx.topics.persist();
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * GET_ALL_TOPIC_CONFIG (21): a TopicConfigSerializeWrapper. Heartbeats grow the table by a retry topic
 * per group, so it is encoded in slices, from a copy taken at once: a slave adopts the data version
 * with the table, and the two must match.
 */
export async function getAllTopicConfig(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const snapshot = { dataVersion: { ...ctx.topics.dataVersion }, topicConfigTable: new Map(ctx.topics.table) };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, await jsonBodySliced(snapshot));
}
