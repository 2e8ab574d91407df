import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';

/** GET_ALL_DELAY_OFFSET (45): delayOffset.json's content, compact (AdminBrokerProcessor#getAllDelayOffset). */
export function getAllDelayOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const content = ctx.schedule.encode();
  if (!content) return createResponse(req, ResponseCode.SYSTEM_ERROR, 'No delay offset in this broker');
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(content, 'utf8'));
}
