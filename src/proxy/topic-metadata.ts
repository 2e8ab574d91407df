/**
 * Topic message types (NORMAL, FIFO, DELAY, TRANSACTION, MIXED), read from a broker's
 * GET_TOPIC_CONFIG answer (the TopicConfig's `message.type` attribute; see
 * broker/metadata/topic-attributes.ts) and cached, as ClusterMetadataService#getTopicMessageType.
 * A topic without the attribute is NORMAL (TopicConfig#getTopicMessageType); one whose config
 * cannot be read (a 4.9 broker has no GET_TOPIC_CONFIG) is UNSPECIFIED.
 */
import { parseFastJson } from '../codec/fastjson.js';
import { createRequest } from '../remoting/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { MASTER_ID, type TopicRoutes } from './topic-routes.js';
import type { BrokerApi } from './broker-api.js';

export type TopicMessageType = 'UNSPECIFIED' | 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'MIXED';
const TYPES = new Set<string>(['UNSPECIFIED', 'NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED']);

/** How many topics' types are kept. */
const TYPE_CACHE_TOPICS_MAX = 10_000;

export class TopicMetadata {
  private readonly types = new Map<string, { type: TopicMessageType; atMs: number }>();

  constructor(
    private readonly api: BrokerApi,
    private readonly routes: TopicRoutes,
    private readonly cacheMs: number,
  ) {}

  async topicMessageType(topic: string): Promise<TopicMessageType> {
    const hit = this.types.get(topic);
    if (hit && Date.now() - hit.atMs < this.cacheMs) return hit.type;
    const type = await this.fetch(topic);
    if (this.types.size >= TYPE_CACHE_TOPICS_MAX) this.types.delete(this.types.keys().next().value as string);
    this.types.set(topic, { type, atMs: Date.now() });
    return type;
  }

  private async fetch(topic: string): Promise<TopicMessageType> {
    try {
      const route = await this.routes.route(topic);
      const broker = route.brokerDatas.find((b) => b.brokerAddrs.has(MASTER_ID)) ?? route.brokerDatas[0];
      const addr = broker?.brokerAddrs.get(MASTER_ID) ?? broker?.brokerAddrs.values().next().value;
      if (!addr) return 'UNSPECIFIED';
      const res = await this.api.invoke(addr, createRequest(RequestCode.GET_TOPIC_CONFIG, { topic }));
      if (res.code !== ResponseCode.SUCCESS || !res.body) return 'UNSPECIFIED';
      return messageTypeOf(parseFastJson((res.body as Buffer).toString('utf8')));
    } catch {
      return 'UNSPECIFIED';
    }
  }
}

/** TopicConfig#getTopicMessageType over a parsed TopicConfig(AndQueueMapping) body. */
export function messageTypeOf(topicConfig: unknown): TopicMessageType {
  const attrs = (topicConfig as { attributes?: unknown } | null)?.attributes;
  const value = attrs instanceof Map ? attrs.get('message.type') : (attrs as Record<string, unknown> | undefined)?.['message.type'];
  if (typeof value !== 'string' || value.trim() === '') return 'NORMAL';
  return TYPES.has(value) ? (value as TopicMessageType) : 'UNSPECIFIED';
}
