/**
 * The console's admin calls: the request codes mqadmin's DefaultMQAdminExtImpl sends (tools 5.3.3),
 * over a remoting client to the NameServer and the brokers, one method per call. Nothing here reaches
 * into a broker object: the console sees what any admin tool on the network would see.
 */
import { RemotingClient, type RemotingClientOptions } from '../remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../remoting/command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { PullSysFlag } from '../protocol/sys-flag.js';
import { parseFastJson } from '../codec/fastjson.js';
import { decodeRecord, type DecodedRecord } from '../codec/message-record.js';

/** A failed admin call: the response code and remark the server gave, as mqadmin prints them. */
export class AdminError extends Error {
  constructor(
    readonly code: number,
    remark: string,
  ) {
    super(`CODE: ${code} DESC: ${remark}`);
  }
}

export interface BrokerEntry {
  cluster: string;
  brokerName: string;
  /** brokerId → address; 0 is the master (MixAll.MASTER_ID). */
  addrs: Map<number, string>;
}

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

export interface TopicRoute {
  queueDatas: QueueData[];
  brokerDatas: BrokerEntry[];
}

/** One queue of a TopicStatsTable (TopicOffset) or ConsumeStats (OffsetWrapper). */
export interface QueueRow {
  topic: string;
  brokerName: string;
  queueId: number;
  minOffset?: number;
  maxOffset?: number;
  brokerOffset?: number;
  consumerOffset?: number;
  lastTimestamp?: number;
}

export interface ConsumerConnection {
  connections: Array<{ clientId: string; clientAddr: string; language: string; version: number }>;
  consumeType: string;
  messageModel: string;
  subscriptions: Array<{ topic: string; expression: string }>;
}

/** PULL_MESSAGE's answer: the records found, or the status the broker gave instead. */
export interface PullOutcome {
  status: 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_MOVED' | 'OTHER';
  records: DecodedRecord[];
  minOffset: number;
  maxOffset: number;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v ?? 0));
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** A fastjson object read either as a Map (number or object keys) or a plain object. */
function entriesOf(v: unknown): Array<[unknown, unknown]> {
  if (v instanceof Map) return [...v.entries()];
  if (v && typeof v === 'object') return Object.entries(v);
  return [];
}

const brokerEntry = (b: Record<string, unknown>): BrokerEntry => ({
  cluster: str(b.cluster),
  brokerName: str(b.brokerName),
  addrs: new Map(entriesOf(b.brokerAddrs).map(([id, addr]) => [num(id), str(addr)])),
});

/** BrokerData#selectBrokerAddr: the master, else any replica. */
export function selectBrokerAddr(b: BrokerEntry): string | undefined {
  return b.addrs.get(0) ?? [...b.addrs.entries()].sort((x, y) => x[0] - y[0])[0]?.[1];
}

export function recordsOf(res: RemotingCommand): DecodedRecord[] {
  const body = requestBody(res);
  const out: DecodedRecord[] = [];
  if (!body) return out;
  for (let pos = 0; pos + 4 <= body.length; pos += body.readInt32BE(pos)) {
    if (body.readInt32BE(pos) <= 0) break;
    out.push(decodeRecord(body, pos));
  }
  return out;
}

export class AdminClient {
  private readonly client: RemotingClient;
  private readonly namesrvAddrs: string[];

  constructor(
    namesrvAddr: string,
    options: RemotingClientOptions = {},
    private readonly timeoutMs = 5000,
  ) {
    this.namesrvAddrs = namesrvAddr.split(';').map((a) => a.trim()).filter(Boolean);
    this.client = new RemotingClient(undefined, options);
  }

  close(): void {
    this.client.close();
  }

  /** One request; a response code outside `accept` (SUCCESS by default) throws AdminError. */
  async call(addr: string, code: number, ext?: Record<string, string>, body?: Buffer, accept: number[] = [ResponseCode.SUCCESS]): Promise<RemotingCommand> {
    const res = await this.client.invoke(addr, createRequest(code, ext, body), this.timeoutMs);
    if (!accept.includes(res.code)) throw new AdminError(res.code, res.remark ?? '');
    return res;
  }

  /** A NameServer request, tried on each configured NameServer until one answers (as the Java client fails over). */
  private async namesrv(code: number, ext?: Record<string, string>): Promise<unknown> {
    let last: unknown = new Error('no NameServer address');
    for (const addr of this.namesrvAddrs) {
      try {
        return jsonBody(await this.call(addr, code, ext));
      } catch (e) {
        last = e;
        if (e instanceof AdminError) break;
      }
    }
    throw last;
  }

  /** GET_BROKER_CLUSTER_INFO (106): clusterList's source. */
  async clusterInfo(): Promise<{ brokers: BrokerEntry[]; clusters: Map<string, string[]> }> {
    const b = (await this.namesrv(RequestCode.GET_BROKER_CLUSTER_INFO)) as Record<string, unknown>;
    return {
      brokers: entriesOf(b?.brokerAddrTable).map(([, v]) => brokerEntry(v as Record<string, unknown>)),
      clusters: new Map(entriesOf(b?.clusterAddrTable).map(([k, v]) => [str(k), (v as unknown[]).map(str)])),
    };
  }

  /** GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): topicList's source. */
  async topicList(): Promise<string[]> {
    const b = (await this.namesrv(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)) as { topicList?: unknown[] };
    return (b?.topicList ?? []).map(str).sort();
  }

  /** GET_ROUTEINFO_BY_TOPIC (105): topicRoute's source. */
  async topicRoute(topic: string): Promise<TopicRoute> {
    const b = (await this.namesrv(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic })) as Record<string, unknown[]>;
    return {
      queueDatas: (b?.queueDatas ?? []).map((q) => {
        const r = q as Record<string, unknown>;
        return { brokerName: str(r.brokerName), readQueueNums: num(r.readQueueNums), writeQueueNums: num(r.writeQueueNums), perm: num(r.perm) };
      }),
      brokerDatas: (b?.brokerDatas ?? []).map((x) => brokerEntry(x as Record<string, unknown>)),
    };
  }

  /** GET_BROKER_RUNTIME_INFO (28): brokerStatus's KVTable. */
  async runtimeInfo(addr: string): Promise<Record<string, string>> {
    const b = jsonBody(await this.call(addr, RequestCode.GET_BROKER_RUNTIME_INFO)) as { table?: unknown };
    return Object.fromEntries(entriesOf(b?.table).map(([k, v]) => [str(k), str(v)]));
  }

  /** GET_TOPIC_STATS_INFO (202): topicStatus's min/max offsets per queue. */
  async topicStats(addr: string, topic: string): Promise<QueueRow[]> {
    const b = jsonBody(await this.call(addr, RequestCode.GET_TOPIC_STATS_INFO, { topic })) as { offsetTable?: unknown };
    return entriesOf(b?.offsetTable).map(([mq, v]) => {
      const o = v as Record<string, unknown>;
      return { ...queueOf(mq), minOffset: num(o.minOffset), maxOffset: num(o.maxOffset), lastTimestamp: num(o.lastUpdateTimestamp) };
    });
  }

  /** GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the groups a broker knows. */
  async subscriptionGroups(addr: string): Promise<string[]> {
    const b = jsonBody(await this.call(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)) as { subscriptionGroupTable?: unknown };
    return entriesOf(b?.subscriptionGroupTable).map(([k]) => str(k));
  }

  /** GET_CONSUME_STATS (208): consumerProgress's offsets and TPS of one group on one broker. */
  async consumeStats(addr: string, group: string, topic?: string): Promise<{ queues: QueueRow[]; consumeTps: number }> {
    const ext: Record<string, string> = { consumerGroup: group };
    if (topic) ext.topic = topic;
    const b = jsonBody(await this.call(addr, RequestCode.GET_CONSUME_STATS, ext)) as { offsetTable?: unknown; consumeTps?: unknown };
    const queues = entriesOf(b?.offsetTable).map(([mq, v]) => {
      const o = v as Record<string, unknown>;
      return { ...queueOf(mq), brokerOffset: num(o.brokerOffset), consumerOffset: num(o.consumerOffset), lastTimestamp: num(o.lastTimestamp) };
    });
    return { queues, consumeTps: num(b?.consumeTps) };
  }

  /** GET_CONSUMER_CONNECTION_LIST (203): consumerConnection's source; undefined when nobody is online. */
  async consumerConnection(addr: string, group: string): Promise<ConsumerConnection | undefined> {
    const res = await this.call(addr, RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: group }, undefined, [ResponseCode.SUCCESS, ResponseCode.CONSUMER_NOT_ONLINE]);
    if (res.code !== ResponseCode.SUCCESS) return undefined;
    const b = jsonBody(res) as Record<string, unknown>;
    return {
      connections: ((b?.connectionSet as unknown[]) ?? []).map((c) => {
        const r = c as Record<string, unknown>;
        return { clientId: str(r.clientId), clientAddr: str(r.clientAddr), language: str(r.language), version: num(r.version) };
      }),
      consumeType: str(b?.consumeType),
      messageModel: str(b?.messageModel),
      subscriptions: entriesOf(b?.subscriptionTable).map(([t, s]) => ({ topic: str(t), expression: str((s as Record<string, unknown>)?.subString) })),
    };
  }

  /** QUERY_MESSAGE (12): queryMsgByKey, or by unique key (queryMsgById with a client-side id). */
  async queryMessage(addr: string, topic: string, key: string, uniqueKey: boolean, maxNum = 64): Promise<DecodedRecord[]> {
    const ext: Record<string, string> = { topic, key, maxNum: String(maxNum), beginTimestamp: '0', endTimestamp: String(Number.MAX_SAFE_INTEGER) };
    if (uniqueKey) ext._UNIQUE_KEY_QUERY = 'true';
    const res = await this.call(addr, RequestCode.QUERY_MESSAGE, ext, undefined, [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND]);
    return res.code === ResponseCode.SUCCESS ? recordsOf(res) : [];
  }

  /** VIEW_MESSAGE_BY_ID (33): the record at a CommitLog offset (queryMsgById with an offset message id). */
  async viewMessage(addr: string, commitLogOffset: number): Promise<DecodedRecord | undefined> {
    return recordsOf(await this.call(addr, RequestCode.VIEW_MESSAGE_BY_ID, { offset: String(commitLogOffset) }))[0];
  }

  /** PULL_MESSAGE (11) as queryMsgByOffset's pull consumer sends it: TOOLS_CONSUMER, "*", not held. */
  async pull(addr: string, topic: string, queueId: number, offset: number, maxNums = 1): Promise<PullOutcome> {
    const res = await this.call(addr, RequestCode.PULL_MESSAGE, {
      consumerGroup: 'TOOLS_CONSUMER', topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: String(maxNums),
      sysFlag: String(PullSysFlag.FLAG_SUBSCRIPTION), commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
    }, undefined, [ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED]);
    const status = ({ [ResponseCode.SUCCESS]: 'FOUND', [ResponseCode.PULL_NOT_FOUND]: 'NO_NEW_MSG', [ResponseCode.PULL_RETRY_IMMEDIATELY]: 'NO_MATCHED_MSG', [ResponseCode.PULL_OFFSET_MOVED]: 'OFFSET_MOVED' } as Record<number, PullOutcome['status']>)[res.code] ?? 'OTHER';
    return {
      status,
      records: res.code === ResponseCode.SUCCESS ? recordsOf(res) : [],
      minOffset: num(res.extFields?.minOffset),
      maxOffset: num(res.extFields?.maxOffset),
    };
  }

  /** SEND_MESSAGE_V2 (310) with SendMessageRequestHeaderV2's one-letter fields, as a DefaultMQProducer sends. */
  async send(addr: string, h: { group: string; topic: string; queueId: number; properties: string; body: Buffer }): Promise<{ offsetMsgId: string; queueId: number; queueOffset: number }> {
    const res = await this.call(addr, RequestCode.SEND_MESSAGE_V2, {
      a: h.group, b: h.topic, c: 'TBW102', d: '4', e: String(h.queueId), f: '0', g: String(Date.now()), h: '0', i: h.properties, j: '0', k: 'false', m: 'false',
    }, h.body);
    return { offsetMsgId: str(res.extFields?.msgId), queueId: num(res.extFields?.queueId), queueOffset: num(res.extFields?.queueOffset) };
  }

  /** INVOKE_BROKER_TO_RESET_OFFSET (222): resetOffsetByTime while members are online; CONSUMER_NOT_ONLINE throws. */
  async invokeResetOffset(addr: string, topic: string, group: string, timestamp: number): Promise<QueueRow[]> {
    const res = await this.call(addr, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group, timestamp: String(timestamp), isForce: 'true' });
    const b = jsonBody(res) as { offsetTable?: unknown };
    return entriesOf(b?.offsetTable).map(([mq, v]) => ({ ...queueOf(mq), consumerOffset: num(v) }));
  }

  /** SEARCH_OFFSET_BY_TIMESTAMP (29): the queue offset of the first message stored at or after `timestamp`. */
  async searchOffset(addr: string, topic: string, queueId: number, timestamp: number): Promise<number> {
    const res = await this.call(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic, queueId: String(queueId), timestamp: String(timestamp) });
    return num(res.extFields?.offset);
  }

  /** UPDATE_CONSUMER_OFFSET (15): commits a group's offset, as resetOffsetByTimeOld does. */
  async updateConsumerOffset(addr: string, group: string, topic: string, queueId: number, offset: number): Promise<void> {
    await this.call(addr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(queueId), commitOffset: String(offset) });
  }
}

function jsonBody(res: RemotingCommand): unknown {
  const body = requestBody(res);
  return body && body.length > 0 ? parseFastJson(body.toString('utf8')) : null;
}

function queueOf(mq: unknown): { topic: string; brokerName: string; queueId: number } {
  const m = (mq ?? {}) as Record<string, unknown>;
  return { topic: str(m.topic), brokerName: str(m.brokerName), queueId: num(m.queueId) };
}
