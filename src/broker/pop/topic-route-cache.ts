import { RemotingClient } from '../../remoting/client.js';
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { isReadable } from '../../protocol/perm-name.js';
import { parseFastJson } from '../../codec/fastjson.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import { brokerClientOptions } from '../out/client-options.js';
import { log } from '../../logger.js';

/** TopicRouteInfoManager refreshes its routes every 30 s. */
const ROUTE_TTL_MS = 30_000;
const ROUTE_TIMEOUT_MS = 3_000;

/** A readable queue of a topic on some broker (MessageQueue). */
export interface RouteQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/**
 * The brokers and queues of a topic across the cluster, as QUERY_ASSIGNMENT balances them
 * (TopicRouteInfoManager#getTopicSubscribeInfo): GET_ROUTEINFO_BY_TOPIC from the first namesrv that
 * answers, cached for 30 s; undefined when no namesrv knows the topic or none answers.
 */
export class TopicRouteCache {
  private readonly cache = new Map<string, { at: number; queues: RouteQueue[] | undefined }>();
  private client?: RemotingClient;

  constructor(private readonly config: BrokerConfig) {}

  async subscribeQueues(topic: string): Promise<RouteQueue[] | undefined> {
    const hit = this.cache.get(topic);
    if (hit && Date.now() - hit.at < ROUTE_TTL_MS) return hit.queues;
    const queues = await this.fetch(topic);
    // An unknown topic is asked again next time: it may be registered any moment.
    if (queues) this.cache.set(topic, { at: Date.now(), queues });
    return queues;
  }

  private async fetch(topic: string): Promise<RouteQueue[] | undefined> {
    const addrs = this.config.namesrvAddr.split(';').map((s) => s.trim()).filter(Boolean);
    this.client ??= new RemotingClient(undefined, brokerClientOptions(this.config));
    for (const addr of addrs) {
      try {
        const res = await this.client.invoke(addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), ROUTE_TIMEOUT_MS);
        if (res.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
        if (res.code !== ResponseCode.SUCCESS || !res.body) continue;
        const route = parseFastJson(Buffer.isBuffer(res.body) ? res.body.toString('utf8') : Buffer.concat(res.body).toString('utf8')) as {
          queueDatas?: Array<{ brokerName: string; readQueueNums: number; perm: number }>;
        };
        const out: RouteQueue[] = [];
        for (const qd of route.queueDatas ?? []) {
          if (!isReadable(Number(qd.perm))) continue;
          for (let q = 0; q < Number(qd.readQueueNums); q++) out.push({ topic, brokerName: qd.brokerName, queueId: q });
        }
        return out;
      } catch (e) {
        log.debug(`pop: route of ${topic} from ${addr} failed: ${(e as Error).message}`);
      }
    }
    return undefined;
  }

  close(): void {
    this.client?.close();
  }
}
