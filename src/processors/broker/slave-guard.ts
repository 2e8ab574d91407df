import type { BrokerContext } from '../../broker/broker-context.js';
import { createResponse, type RemotingCommand } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';

/**
 * Topics and subscription groups are changed on the master only: a slave copies them from it every 10 s
 * (SlaveSynchronize), which would silently undo a change made on the slave. AdminBrokerProcessor#validateSlave
 * refuses such a request on a slave with this code and remark.
 */
export function refuseOnSlave(ctx: BrokerContext, req: RemotingCommand): RemotingCommand | undefined {
  if (ctx.config.brokerRole !== 'SLAVE') return undefined;
  return createResponse(req, ResponseCode.SYSTEM_ERROR,
    "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
}
