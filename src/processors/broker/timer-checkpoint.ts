import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { encodeTimerCheckpoint } from '../../codec/timer-checkpoint.js';

/** GET_TIMER_CHECK_POINT (60), AdminBrokerProcessor#getTimerCheckPoint: where the timer's delivery stands. */
export function getTimerCheckPoint(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeTimerCheckpoint(ctx.timer.checkpoint()));
}
