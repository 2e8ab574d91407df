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

/**
 * The caller as both RPCs check it: known by its settings, of a client type the proxy serves, and (for a
 * consumer) naming a legal group, which is returned.
 */
function checkedClient(ctx: ProxyContext, req: any, meta: RequestMeta) {
  const client = ctx.clients.get(meta.clientId);
  if (!client?.settings) throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', NO_SETTINGS);
  switch (client.clientType) {
    case 'PRODUCER':
      return { client, group: undefined };
    case 'PUSH_CONSUMER':
    case 'SIMPLE_CONSUMER':
      return { client, group: validateGroupName(req.group?.name) };
    default:
      throw new ProxyError('UNRECOGNIZED_CLIENT_TYPE', client.clientType);
  }
}

export async function heartbeat(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  const { client, group } = checkedClient(ctx, req, meta);
  if (group !== undefined) client.consumerGroup = group;
  return { status: OK_STATUS };
}

export async function notifyClientTermination(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  checkedClient(ctx, req, meta);
  ctx.clients.remove(meta.clientId);
  return { status: OK_STATUS };
}
