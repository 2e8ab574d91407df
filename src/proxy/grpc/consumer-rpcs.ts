/**
 * The consumer side of the MessagingService (QueryAssignment, ReceiveMessage, AckMessage,
 * ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue, PullMessage, UpdateOffset, GetOffset,
 * QueryOffset). Owned by helper G2; empty until filled.
 */
import type { ProxyContext } from '../context.js';
import type { RpcTable } from './rpc-types.js';

export const CONSUMER_RPCS: RpcTable = {};

/** Called once when an endpoint starts (timers via ctx.every, stop hooks via ctx.onStop, ctx.hooks). */
export function setupConsumerSide(_ctx: ProxyContext): void {}
