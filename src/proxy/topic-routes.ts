/**
 * Topic routes from the NameServer (GET_ROUTEINFO_BY_TOPIC), cached as the Apache proxy's
 * TopicRouteService caches them: a route is served from memory for `routeCacheMs` and then fetched
 * again; a fetch that fails keeps the last route. TOPIC_NOT_EXIST from the NameServer is a
 * TOPIC_NOT_FOUND status (TopicRouteHelper#isTopicNotExistError).
 */
import { parseFastJson } from '../codec/fastjson.js';
import { createRequest } from '../remoting/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { ProxyError, fromRemoting } from './proxy-error.js';
import type { BrokerApi } from './broker-api.js';
import type { BrokerData, QueueData } from '../protocol/route-data.js';

export const MASTER_ID = 0;

export type { BrokerData, QueueData };

export interface TopicRoute {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
}

interface Entry {
  route: TopicRoute;
  fetchedAtMs: number;
}

/** How many topics' routes are kept; the least recently fetched goes first past it. */
const ROUTE_CACHE_TOPICS_MAX = 10_000;

export class TopicRoutes {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<TopicRoute>>();
  /** brokerName → master address, learnt from every route fetched. */
  private readonly masters = new Map<string, string>();

  constructor(
    private readonly api: BrokerApi,
    private readonly namesrvAddrs: readonly string[],
    private readonly routeCacheMs: number,
  ) {}

  /** The topic's route: cached, or fetched now. Throws TOPIC_NOT_FOUND. */
  async route(topic: string): Promise<TopicRoute> {
    const hit = this.cache.get(topic);
    if (hit && Date.now() - hit.fetchedAtMs < this.routeCacheMs) return hit.route;
    try {
      return await this.fetch(topic);
    } catch (e) {
      // A NameServer that does not answer leaves the last route in use, as the proxy's cache does.
      if (hit && !(e instanceof ProxyError && e.code === 'TOPIC_NOT_FOUND')) return hit.route;
      throw e;
    }
  }

  /** Drops the cached route (after a broker said the topic is not there, or on a send failure). */
  invalidate(topic: string): void {
    this.cache.delete(topic);
  }

  /** The master's address for a broker name, from any route fetched so far. */
  masterAddr(brokerName: string): string | undefined {
    return this.masters.get(brokerName);
  }

  /** Every broker master learnt so far: brokerName → address. */
  knownMasters(): ReadonlyMap<string, string> {
    return this.masters;
  }

  private fetch(topic: string): Promise<TopicRoute> {
    let p = this.inflight.get(topic);
    if (p) return p;
    p = this.fetchNow(topic).finally(() => this.inflight.delete(topic));
    this.inflight.set(topic, p);
    return p;
  }

  private async fetchNow(topic: string): Promise<TopicRoute> {
    const res = await this.api.invokeNamesrv(this.namesrvAddrs, () => createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
      this.cache.delete(topic);
      throw new ProxyError('TOPIC_NOT_FOUND', res.remark ?? `No topic route info in name server for the topic: ${topic}`);
    }
    if (res.code !== ResponseCode.SUCCESS) throw fromRemoting(res.code, res.remark);
    const route = parseRoute(res.body as Buffer | undefined);
    for (const b of route.brokerDatas) {
      const master = b.brokerAddrs.get(MASTER_ID);
      if (master) this.masters.set(b.brokerName, master);
    }
    if (this.cache.size >= ROUTE_CACHE_TOPICS_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.delete(topic);
    this.cache.set(topic, { route, fetchedAtMs: Date.now() });
    return route;
  }
}

/** TopicRouteData's fastjson body (brokerAddrs has number keys, so it parses as a Map). */
export function parseRoute(body: Buffer | undefined): TopicRoute {
  const o = (body?.length ? parseFastJson(body.toString('utf8')) : null) as Record<string, unknown> | null;
  const queueDatas = ((o?.queueDatas as Record<string, unknown>[] | undefined) ?? []).map((q) => ({
    brokerName: String(q.brokerName),
    readQueueNums: Number(q.readQueueNums ?? 0),
    writeQueueNums: Number(q.writeQueueNums ?? 0),
    perm: Number(q.perm ?? 0),
    topicSysFlag: Number(q.topicSysFlag ?? 0),
  }));
  const brokerDatas = ((o?.brokerDatas as Record<string, unknown>[] | undefined) ?? []).map((b) => {
    const addrs = new Map<number, string>();
    const raw = b.brokerAddrs;
    const entries = raw instanceof Map ? [...raw.entries()] : Object.entries((raw as object) ?? {});
    for (const [id, addr] of entries) addrs.set(Number(id), String(addr));
    return { cluster: String(b.cluster ?? ''), brokerName: String(b.brokerName), brokerAddrs: addrs };
  });
  // Sorted by broker name as TopicRouteData's producers sort them, so queue choice is stable.
  queueDatas.sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  return { queueDatas, brokerDatas };
}
