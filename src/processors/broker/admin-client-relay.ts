/**
 * Admin requests the broker answers by asking one consumer (AdminBrokerProcessor#callConsumer):
 * the admin's header and body are copied into a new request to the client's connection, and the
 * client's answer goes back to the admin unchanged.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createRequest, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RequestCode } from '../../protocol/request-code.js';
import { Version } from '../../protocol/version.js';
import { str } from '../../remoting/header-fields.js';
import { decodeOffsetMessageId } from '../../codec/message-id.js';

/** Broker2Client#callClient waits this long for the consumer. */
const CALL_CLIENT_TIMEOUT_MS = 10_000;

/** GET_CONSUMER_RUNNING_INFO (307): relayed to the consumer `clientId` of `consumerGroup`. */
export function getConsumerRunningInfo(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  return callConsumer(ctx, req, RequestCode.GET_CONSUMER_RUNNING_INFO, str(h, 'consumerGroup'), str(h, 'clientId'), requestBody(req));
}

/**
 * CONSUME_MESSAGE_DIRECTLY (309): the message named by an offset message id is read here and sent
 * with the request; `brokerName` is overwritten with ours.
 */
export function consumeMessageDirectly(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = { ...req.extFields };
  h.brokerName = ctx.config.brokerName;
  const id = h.msgId ? decodeOffsetMessageId(h.msgId) : undefined;
  const record = id ? ctx.store.lookMessageByOffset(id.commitLogOffset) : undefined;
  return callConsumer(ctx, { ...req, extFields: h }, RequestCode.CONSUME_MESSAGE_DIRECTLY, str(h, 'consumerGroup'), h.clientId ?? '', record);
}

async function callConsumer(ctx: BrokerContext, req: RemotingCommand, code: number, group: string, clientId: string, body: Buffer | undefined): Promise<RemotingCommand> {
  const channel = [...(ctx.consumers.get(group)?.channels.values() ?? [])].find((c) => c.clientId === clientId && !c.conn.closed);
  if (!channel) return createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
  if (channel.version < Version.V3_1_8_SNAPSHOT) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> Version <${channel.version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT`);
  }
  const request = createRequest(code, { ...req.extFields }, body);
  try {
    return await channel.conn.invoke(request, CALL_CLIENT_TIMEOUT_MS);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.startsWith('timeout')) return createResponse(req, ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: ${msg}`);
    return createResponse(req, ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${msg}`);
  }
}
