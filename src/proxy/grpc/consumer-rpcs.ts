/**
 * The consumer side of the MessagingService (QueryAssignment, ReceiveMessage, AckMessage,
 * ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue, PullMessage, UpdateOffset, GetOffset,
 * QueryOffset); each handler lives in consumer/ under its RPC's name.
 */
import type { ProxyContext } from '../context.js';
import type { RpcTable } from './rpc-types.js';
import { queryAssignment } from '../consumer/query-assignment.js';
import { receiveMessage } from '../consumer/receive-message.js';
import { ackMessage } from '../consumer/ack-message.js';
import { changeInvisibleDuration } from '../consumer/change-invisible-duration.js';
import { forwardMessageToDeadLetterQueue } from '../consumer/forward-to-dlq.js';
import { pullMessage } from '../consumer/pull-message.js';
import { getOffset, queryOffset, updateOffset } from '../consumer/offset-rpcs.js';
import { consumerState } from '../consumer/consumer-state.js';
import { subscriptionSettings } from '../consumer/subscription-settings.js';

export const CONSUMER_RPCS: RpcTable = {
  QueryAssignment: queryAssignment,
  ReceiveMessage: receiveMessage,
  AckMessage: ackMessage,
  ChangeInvisibleDuration: changeInvisibleDuration,
  ForwardMessageToDeadLetterQueue: forwardMessageToDeadLetterQueue,
  PullMessage: pullMessage,
  UpdateOffset: updateOffset,
  GetOffset: getOffset,
  QueryOffset: queryOffset,
};

/** Called once when an endpoint starts: the consumer state (group configs, handle renewal, its timers) and the Telemetry settings hook. */
export function setupConsumerSide(ctx: ProxyContext): void {
  consumerState(ctx);
  ctx.hooks.subscriptionSettings = (settings) => subscriptionSettings(ctx, settings);
}
