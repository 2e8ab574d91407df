/**
 * QueryAssignment, as rocketmq-proxy 5.3.3's RouteActivity#queryAssignment answers it: for each
 * broker with readable queues of the topic, one assignment of queue -1 (the consumer pops all its
 * queues), or, for a FIFO group (consumeMessageOrderly), one per readable queue. The broker is named
 * with the endpoints the client reached us at (the port ours), as QueryRoute names them; none
 * readable is FORBIDDEN "no readable queue".
 */
import { PermName, isReadable } from '../../protocol/perm-name.js';
import { OK_STATUS } from '../proxy-error.js';
import type { ProxyContext } from '../context.js';
import type { UnaryRpc } from '../grpc/rpc-types.js';
import { MASTER_ID } from '../topic-routes.js';
import { validateTopicAndGroup } from './validate.js';
import { consumerState } from './consumer-state.js';

/** RouteActivity#convertToPermission. */
function permissionOf(perm: number): string {
  const r = isReadable(perm);
  const w = (perm & PermName.PERM_WRITE) !== 0;
  if (r && w) return 'READ_WRITE';
  if (r) return 'READ';
  if (w) return 'WRITE';
  return 'NONE';
}

/** RouteActivity#convertToAddressList + buildEndpoints: the request's hosts with our gRPC port (useEndpointPortFromRequest false). */
function endpointsOf(ctx: ProxyContext, req: any): { scheme: string; addresses: { host: string; port: number }[] } {
  const addresses = ((req.endpoints?.addresses ?? []) as { host: string }[]).map((a) => ({ host: a.host, port: ctx.grpcPort }));
  const scheme = req.endpoints?.scheme && req.endpoints.scheme !== 'ADDRESS_SCHEME_UNSPECIFIED' ? req.endpoints.scheme : 'IPv4';
  return { scheme, addresses };
}

export const queryAssignment: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req) {
    const [topic, group] = validateTopicAndGroup(req.topic, req.group);
    const route = await ctx.routes.route(topic);
    const endpoints = endpointsOf(ctx, req);
    const anyMaster = route.brokerDatas.map((b) => b.brokerAddrs.get(MASTER_ID)).find((a) => a);
    const fifo = anyMaster ? (await consumerState(ctx).groups.get(anyMaster, group)).consumeMessageOrderly : false;
    const assignments: unknown[] = [];
    for (const q of route.queueDatas) {
      if (!isReadable(q.perm) || q.readQueueNums <= 0) continue;
      const b = route.brokerDatas.find((d) => d.brokerName === q.brokerName);
      if (!b || !b.brokerAddrs.has(MASTER_ID)) continue;
      const broker = { name: q.brokerName, id: MASTER_ID, endpoints };
      const permission = permissionOf(q.perm);
      const ids = fifo ? Array.from({ length: q.readQueueNums }, (_, i) => i) : [-1];
      for (const id of ids) assignments.push({ messageQueue: { topic: req.topic, id, permission, broker } });
    }
    if (assignments.length === 0) return { status: { code: 'FORBIDDEN', message: 'no readable queue' }, assignments: [] };
    return { status: OK_STATUS, assignments };
  },
};
