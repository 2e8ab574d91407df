import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { long } from '../../remoting/header-fields.js';

/** VIEW_MESSAGE_BY_ID (33): the stored record at a CommitLog offset (decoded from an offset message id by the client). */
export function viewMessageById(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const offset = long(req.extFields, 'offset');
  const record = ctx.store.lookMessageByOffset(offset);
  if (!record) return createResponse(req, ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, record);
}
