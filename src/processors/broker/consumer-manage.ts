import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { int, long, str } from '../../remoting/header-fields.js';
import { toFastJson } from '../../codec/fastjson.js';

/** GET_CONSUMER_LIST_BY_GROUP (38): the client ids a member rebalances against. */
export function getConsumerListByGroup(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const group = str(req.extFields, 'consumerGroup');
  const gi = ctx.consumers.get(group);
  const ids = gi?.clientIds() ?? [];
  if (ids.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${group}`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson({ consumerIdList: ids }), 'utf8'));
}

/**
 * QUERY_CONSUMER_OFFSET (14). A group that never committed gets offset 0 when the queue still
 * starts at 0 (so a new group on a fresh queue reads it from the start, as on the Java broker),
 * else QUERY_NOT_FOUND and the client falls back to its consumeFromWhere.
 */
export function queryConsumerOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  const offset = ctx.offsets.queryOffset(group, topic, queueId);
  if (offset >= 0) return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: String(offset) });
  const minOffset = ctx.store.getMinOffsetInQueue(topic, queueId);
  // The Java broker also requires offset 0 to be "in memory" (within 40% of RAM of the log tail);
  // with the whole queue still present that only differs for backlogs larger than that.
  if (minOffset <= 0) {
    return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: '0' });
  }
  return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first');
}

/** UPDATE_CONSUMER_OFFSET (15): usually one-way, every 5 s from each consumer. */
export function updateConsumerOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  ctx.offsets.commitOffset(str(h, 'consumerGroup'), str(h, 'topic'), int(h, 'queueId'), long(h, 'commitOffset'));
  return createResponse(req, ResponseCode.SUCCESS);
}

/**
 * GET_ALL_CONSUMER_OFFSET (43), asked by slaves every 10 s (AdminBrokerProcessor#getAllConsumerOffset):
 * `{"dataVersion":{...},"offsetTable":{"topic@group":{0:12}}}`, queue keys unquoted as fastjson writes
 * an Integer key. 4.9.8 sends no dataVersion; a 5.x slave needs one (its syncConsumerOffset adopts it).
 * Java's "No consumer offset in this broker" cannot happen: an empty table still encodes.
 */
export function getAllConsumerOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(ctx.offsets.encode(), 'utf8'));
}
