import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { int, long, str } from '../../remoting/header-fields.js';

const ok = (req: RemotingCommand, ext: Record<string, string>): RemotingCommand => createResponse(req, ResponseCode.SUCCESS, undefined, ext);

/** GET_MAX_OFFSET (30): the next queue offset to be written. */
export function getMaxOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  return ok(req, { offset: String(ctx.store.getMaxOffsetInQueue(str(h, 'topic'), int(h, 'queueId'))) });
}

/** GET_MIN_OFFSET (31). */
export function getMinOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  return ok(req, { offset: String(ctx.store.getMinOffsetInQueue(str(h, 'topic'), int(h, 'queueId'))) });
}

/** SEARCH_OFFSET_BY_TIMESTAMP (29). */
export function searchOffsetByTimestamp(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  return ok(req, { offset: String(ctx.store.getOffsetInQueueByTime(str(h, 'topic'), int(h, 'queueId'), long(h, 'timestamp'))) });
}

/** GET_EARLIEST_MSG_STORETIME (32). */
export function getEarliestMsgStoretime(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  return ok(req, { timestamp: String(ctx.store.getEarliestMessageTime(str(h, 'topic'), int(h, 'queueId'))) });
}
