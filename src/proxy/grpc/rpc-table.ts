/**
 * The one MessagingService table: the producer side (producer-rpcs.ts: route, heartbeat, send,
 * end transaction, telemetry, termination) and the consumer side (consumer-rpcs.ts). An RPC in
 * service.proto that neither serves is answered by server-binding.ts with NOT_IMPLEMENTED.
 */
import type { ProxyContext } from '../context.js';
import { CONSUMER_RPCS, setupConsumerSide } from './consumer-rpcs.js';
import { PRODUCER_RPCS } from './producer-rpcs.js';
import type { RpcTable } from './rpc-types.js';

export const RPC_TABLE: RpcTable = { ...PRODUCER_RPCS, ...CONSUMER_RPCS };

/** Each side's start-up work (timers, listeners, hooks), run once per endpoint. */
export function setupSides(ctx: ProxyContext): void {
  setupConsumerSide(ctx);
}
