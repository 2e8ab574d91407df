import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { int, str, bool } from '../../codec/header-fields.js';
import { toFastJson } from '../../codec/fastjson.js';
import { validateTopic } from '../../broker/topic-validator.js';
import type { TopicConfig } from '../../broker/topic-config-manager.js';

/** UPDATE_AND_CREATE_TOPIC (17). */
export function updateAndCreateTopic(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const topic = str(h, 'topic');
  if (topic === ctx.config.brokerClusterName) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `the topic[${topic}] is conflict with system reserved words.`);
  }
  const bad = validateTopic(topic);
  if (bad) return createResponse(req, ResponseCode.SYSTEM_ERROR, bad);
  const tc: TopicConfig = {
    topicName: topic,
    readQueueNums: int(h, 'readQueueNums'),
    writeQueueNums: int(h, 'writeQueueNums'),
    perm: int(h, 'perm'),
    topicFilterType: h?.topicFilterType || 'SINGLE_TAG',
    topicSysFlag: int(h, 'topicSysFlag', 0),
    order: bool(h, 'order'),
  };
  ctx.topics.put(tc);
  ctx.registerBrokerAll();
  return createResponse(req, ResponseCode.SUCCESS);
}

/** DELETE_TOPIC_IN_BROKER (215): config, offsets and stored queues. */
export function deleteTopicInBroker(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = str(req.extFields, 'topic');
  ctx.topics.delete(topic);
  ctx.offsets.removeTopic(topic);
  ctx.store.deleteTopics([topic]);
  ctx.registerBrokerAll();
  return createResponse(req, ResponseCode.SUCCESS);
}

/** GET_ALL_TOPIC_CONFIG (21): a TopicConfigSerializeWrapper. */
export function getAllTopicConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const body = toFastJson({ dataVersion: ctx.topics.dataVersion, topicConfigTable: ctx.topics.table });
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body, 'utf8'));
}
