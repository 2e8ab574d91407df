/**
 * Heartbeat and NotifyClientTermination (ClientActivity): a client known by its Telemetry settings
 * keeps itself alive; one without settings is UNRECOGNIZED_CLIENT_TYPE "cannot find client settings
 * for this client", as the Apache proxy answers before the settings handshake.
 */
import type { ProxyContext } from '../context.js';
import { OK_STATUS, ProxyError } from '../proxy-error.js';
import type { RequestMeta } from '../grpc/rpc-types.js';
import { validateGroupName } from '../validate.js';

const NO_SETTINGS = 'cannot find client settings for this client';

export async function heartbeat(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  const client = ctx.clients.get(meta.clientId);
  if (!client?.settings) throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', NO_SETTINGS);
  switch (client.clientType) {
    case 'PRODUCER':
      break;
    case 'PUSH_CONSUMER':
    case 'SIMPLE_CONSUMER':
      client.consumerGroup = validateGroupName(req.group?.name);
      break;
    default:
      throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', client.clientType);
  }
  return { status: OK_STATUS };
}

export async function notifyClientTermination(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  const client = ctx.clients.get(meta.clientId);
  if (!client?.settings) throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', NO_SETTINGS);
  switch (client.clientType) {
    case 'PRODUCER':
      break;
    case 'PUSH_CONSUMER':
    case 'SIMPLE_CONSUMER':
      validateGroupName(req.group?.name);
      break;
    default:
      throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', client.clientType);
  }
  ctx.clients.remove(meta.clientId);
  return { status: OK_STATUS };
}
