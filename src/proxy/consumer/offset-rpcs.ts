/**
 * UpdateOffset, GetOffset and QueryOffset, in the newest service.proto for PullConsumer (rocketmq-proxy
 * 5.3.3 does not serve them: gRPC UNIMPLEMENTED). Each names one queue (topic, broker, id) and is one
 * remoting request to that broker's master, as ConsumerProcessor sends them: UPDATE_CONSUMER_OFFSET,
 * QUERY_CONSUMER_OFFSET (a group with no offset there: OFFSET_NOT_FOUND), and GET_MIN_OFFSET /
 * GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP for the BEGINNING / END / TIMESTAMP policies.
 */
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { OK_STATUS, ProxyError, fromRemoting } from '../proxy-error.js';
import type { ProxyContext } from '../context.js';
import type { UnaryRpc } from '../grpc/rpc-types.js';
import { MASTER_ID } from '../topic-routes.js';
import { toMillis } from '../convert/from-remoting.js';
import { validateTopic, validateTopicAndGroup } from './validate.js';

/**
 * The master of the broker a request's queue names (TopicRouteService#buildAddressableMessageQueue);
 * a broker the topic's route does not list is BAD_REQUEST (ProxyExceptionCode.INVALID_BROKER_NAME).
 */
export async function queueAddr(ctx: ProxyContext, topic: string, brokerName: string | undefined): Promise<string> {
  const route = await ctx.routes.route(topic);
  const b = route.brokerDatas.find((d) => d.brokerName === brokerName);
  const addr = b?.brokerAddrs.get(MASTER_ID);
  if (!addr) throw new ProxyError('BAD_REQUEST', `cannot find broker ${brokerName ?? ''}`);
  return addr;
}

/** One offset request to the queue's broker; its `offset` field. */
async function offsetCall(ctx: ProxyContext, addr: string, code: number, header: Record<string, string>): Promise<number> {
  const res = await ctx.brokers.invoke(addr, createRequest(code, header));
  if (res.code === ResponseCode.QUERY_NOT_FOUND) throw new ProxyError('OFFSET_NOT_FOUND', res.remark ?? 'Not found, maybe this group consumer boot first');
  if (res.code !== ResponseCode.SUCCESS) throw fromRemoting(res.code, res.remark);
  return Number(res.extFields?.offset ?? -1);
}

export const updateOffset: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req) {
    const [topic, group] = validateTopicAndGroup(req.messageQueue?.topic, req.group);
    const addr = await queueAddr(ctx, topic, req.messageQueue?.broker?.name);
    const res = await ctx.brokers.invoke(addr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: group, topic, queueId: String(req.messageQueue?.id ?? 0), commitOffset: String(req.offset ?? 0),
    }));
    if (res.code !== ResponseCode.SUCCESS) throw fromRemoting(res.code, res.remark);
    return { status: OK_STATUS };
  },
};

export const getOffset: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req) {
    const [topic, group] = validateTopicAndGroup(req.messageQueue?.topic, req.group);
    const addr = await queueAddr(ctx, topic, req.messageQueue?.broker?.name);
    const offset = await offsetCall(ctx, addr, RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(req.messageQueue?.id ?? 0) });
    return { status: OK_STATUS, offset };
  },
};

export const queryOffset: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req) {
    const topic = validateTopic(req.messageQueue?.topic?.name);
    const addr = await queueAddr(ctx, topic, req.messageQueue?.broker?.name);
    const base = { topic, queueId: String(req.messageQueue?.id ?? 0) };
    let offset: number;
    switch (req.queryOffsetPolicy) {
      case 'END':
        offset = await offsetCall(ctx, addr, RequestCode.GET_MAX_OFFSET, base);
        break;
      case 'TIMESTAMP':
        if (!req.timestamp) throw new ProxyError('BAD_REQUEST', 'timestamp is required for the TIMESTAMP policy');
        offset = await offsetCall(ctx, addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...base, timestamp: String(toMillis(req.timestamp)) });
        break;
      default:
        offset = await offsetCall(ctx, addr, RequestCode.GET_MIN_OFFSET, base);
    }
    return { status: OK_STATUS, offset };
  },
};
