/**
 * QueryRoute (RouteActivity#queryRoute): the topic's queues, each broker's endpoint being this
 * proxy (cluster mode hands out the proxy's address, so every later call comes back here): the hosts
 * the client used, with our bound port. Queues per QueueData split as RouteActivity does: read-only,
 * then write-only, then read-write ids, NONE for an inaccessible one; accepted message types from
 * the topic's message.type.
 */
import { isReadable, isWriteable } from '../../protocol/perm-name.js';
import type { ProxyContext } from '../context.js';
import { OK_STATUS } from '../proxy-error.js';
import type { TopicMessageType } from '../topic-metadata.js';
import { validateTopicName } from '../validate.js';
import type { RequestMeta } from '../grpc/rpc-types.js';

export async function queryRoute(ctx: ProxyContext, req: any, meta: RequestMeta): Promise<object> {
  validateTopicName(req.topic?.name);
  const topic = req.topic.name as string;
  const route = await ctx.routes.route(topic);
  const endpoints = proxyEndpoints(ctx, req.endpoints, meta);
  const type = await ctx.metadata.topicMessageType(topic);
  const accept = acceptTypes(type);
  const messageQueues: object[] = [];
  for (const q of route.queueDatas) {
    const b = route.brokerDatas.find((d) => d.brokerName === q.brokerName);
    // RouteActivity stops at the first queue data without a broker.
    if (!b) break;
    for (const id of [...b.brokerAddrs.keys()].sort((x, y) => x - y)) {
      const broker = { name: q.brokerName, id, endpoints };
      for (const [queueId, permission] of queuePermissions(q.perm, q.readQueueNums, q.writeQueueNums)) {
        messageQueues.push({ topic: req.topic, id: queueId, permission, broker, acceptMessageTypes: accept });
      }
    }
  }
  return { status: OK_STATUS, messageQueues };
}

/**
 * The endpoints the client reached us by, with our port (useEndpointPortFromRequest=false: the
 * proxy's grpcServerPort); when it sent none, the address its call arrived on.
 */
export function proxyEndpoints(ctx: ProxyContext, requested: any, meta: RequestMeta): object {
  const addresses = (requested?.addresses ?? []).map((a: { host: string }) => ({ host: a.host, port: ctx.grpcPort }));
  if (addresses.length > 0) return { scheme: requested.scheme || 'IPv4', addresses };
  const host = meta.localAddr ? meta.localAddr.slice(0, meta.localAddr.lastIndexOf(':')) : '127.0.0.1';
  return { scheme: host.includes(':') ? 'IPv6' : 'IPv4', addresses: [{ host, port: ctx.grpcPort }] };
}

/** RouteActivity#genMessageQueueFromQueueData: [queueId, Permission] in its order. */
export function queuePermissions(perm: number, readNums: number, writeNums: number): [number, string][] {
  let r = 0;
  let w = 0;
  let rw = 0;
  let n = 0;
  const readable = isReadable(perm);
  const writable = isWriteable(perm);
  if (readable && writable) {
    rw = Math.min(readNums, writeNums);
    r = readNums - rw;
    w = writeNums - rw;
  } else if (writable) w = writeNums;
  else if (readable) r = readNums;
  else n = Math.max(1, readNums, writeNums);
  const out: [number, string][] = [];
  let id = 0;
  for (let i = 0; i < r; i++) out.push([id++, 'READ']);
  for (let i = 0; i < w; i++) out.push([id++, 'WRITE']);
  for (let i = 0; i < rw; i++) out.push([id++, 'READ_WRITE']);
  for (let i = 0; i < n; i++) out.push([id++, 'NONE']);
  return out;
}

function acceptTypes(type: TopicMessageType): string[] {
  switch (type) {
    case 'MIXED': return ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
    case 'UNSPECIFIED': return ['MESSAGE_TYPE_UNSPECIFIED'];
    default: return [type];
  }
}
