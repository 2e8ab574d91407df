/**
 * What the read-only pages show, put together from admin calls the way mqadmin's subcommands do:
 * clusterList (GET_BROKER_CLUSTER_INFO + GET_BROKER_RUNTIME_INFO), topicList / topicRoute / topicStatus
 * (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_ROUTEINFO_BY_TOPIC, GET_TOPIC_STATS_INFO), consumerProgress
 * and consumerConnection (GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST).
 */
import { AdminClient, AdminError, selectBrokerAddr, type BrokerEntry, type ConsumerConnection, type QueueRow } from './admin-client.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, SYSTEM_TOPICS, TopicValidator } from '../protocol/topic-validator.js';

/** Groups the broker creates for itself (MixAll's *_GROUP constants); hidden unless asked for. */
const SYSTEM_GROUPS = new Set(['TOOLS_CONSUMER', 'FILTERSRV_CONSUMER', 'SELF_TEST_C_GROUP', 'CID_ONS-HTTP-PROXY', 'CID_ONSAPI_PULL', 'CID_ONSAPI_PERMISSION', 'CID_ONSAPI_OWNER', '__MONITOR_CONSUMER']);
const SYSTEM_GROUP_PREFIX = 'CID_RMQ_SYS_';
/** A page lists at most this many groups with their stats (each costs one call per broker). */
export const GROUPS_MAX = 200;

export const isSystemGroup = (g: string): boolean => SYSTEM_GROUPS.has(g) || g.startsWith(SYSTEM_GROUP_PREFIX);

export function topicKind(t: string): 'retry' | 'dlq' | 'system' | 'normal' {
  if (t.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return 'retry';
  if (t.startsWith(DLQ_GROUP_TOPIC_PREFIX)) return 'dlq';
  if (SYSTEM_TOPICS.has(t) || t.startsWith(TopicValidator.SYSTEM_TOPIC_PREFIX)) return 'system';
  return 'normal';
}

/** "123.4 56.7 8.9" (10 s, 60 s, 600 s) as runtime info writes putTps: the first number. */
const firstNumber = (s: string | undefined): number => Number((s ?? '').trim().split(/\s+/)[0]) || 0;

export interface BrokerRow {
  cluster: string;
  brokerName: string;
  brokerId: number;
  addr: string;
  role: string;
  version: string;
  putTps: number;
  getTps: number;
  diskRatio: number;
  diskCapacity: string;
  msgPutToday: number;
  msgGetToday: number;
  bootTimestamp: number;
  error?: string;
}

export interface GroupRow {
  group: string;
  members: number;
  messageModel: string;
  topics: string[];
  lag: number;
  consumeTps: number;
  error?: string;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class ConsoleQueries {
  constructor(readonly admin: AdminClient) {}

  /** Every broker of every cluster, with its runtime info (clusterList -m's columns). */
  async brokers(): Promise<BrokerRow[]> {
    const { brokers } = await this.admin.clusterInfo();
    const rows: Array<Promise<BrokerRow>> = [];
    for (const b of brokers) {
      for (const [brokerId, addr] of b.addrs) rows.push(this.brokerRow(b, brokerId, addr));
    }
    return (await Promise.all(rows)).sort((x, y) => x.cluster.localeCompare(y.cluster) || x.brokerName.localeCompare(y.brokerName) || x.brokerId - y.brokerId);
  }

  private async brokerRow(b: BrokerEntry, brokerId: number, addr: string): Promise<BrokerRow> {
    const row: BrokerRow = {
      cluster: b.cluster, brokerName: b.brokerName, brokerId, addr, role: brokerId === 0 ? 'MASTER' : 'SLAVE',
      version: '', putTps: 0, getTps: 0, diskRatio: 0, diskCapacity: '', msgPutToday: 0, msgGetToday: 0, bootTimestamp: 0,
    };
    try {
      const t = await this.admin.runtimeInfo(addr);
      row.version = t.brokerVersionDesc ?? '';
      row.putTps = firstNumber(t.putTps);
      row.getTps = firstNumber(t.getTransferedTps);
      row.diskRatio = Number(t.commitLogDiskRatio) || 0;
      row.diskCapacity = t.commitLogDirCapacity ?? '';
      row.msgPutToday = Number(t.msgPutTotalTodayNow) || 0;
      row.msgGetToday = Number(t.msgGetTotalTodayNow) || 0;
      row.bootTimestamp = Number(t.bootTimestamp) || 0;
    } catch (e) {
      row.error = errorText(e);
    }
    return row;
  }

  /** The master (or first replica) of every broker name: where topicStatus and consumerProgress ask. */
  async brokerAddrs(): Promise<Map<string, string>> {
    const { brokers } = await this.admin.clusterInfo();
    const out = new Map<string, string>();
    for (const b of brokers) {
      const addr = selectBrokerAddr(b);
      if (addr) out.set(b.brokerName, addr);
    }
    return out;
  }

  async topics(): Promise<Array<{ topic: string; kind: string }>> {
    return (await this.admin.topicList()).map((topic) => ({ topic, kind: topicKind(topic) }));
  }

  /** topicRoute + topicStatus: queue counts and permissions per broker, min/max offset per queue. */
  async topic(topic: string): Promise<{ topic: string; route: { queueDatas: unknown[]; brokerDatas: unknown[] }; queues: QueueRow[]; errors: string[] }> {
    const route = await this.admin.topicRoute(topic);
    const errors: string[] = [];
    const queues: QueueRow[] = [];
    await Promise.all(route.brokerDatas.map(async (b) => {
      const addr = selectBrokerAddr(b);
      if (!addr) return;
      try {
        queues.push(...(await this.admin.topicStats(addr, topic)));
      } catch (e) {
        errors.push(`${b.brokerName}: ${errorText(e)}`);
      }
    }));
    queues.sort((x, y) => x.brokerName.localeCompare(y.brokerName) || x.queueId - y.queueId);
    return {
      topic,
      route: { queueDatas: route.queueDatas, brokerDatas: route.brokerDatas.map((b) => ({ cluster: b.cluster, brokerName: b.brokerName, brokerAddrs: Object.fromEntries(b.addrs) })) },
      queues,
      errors,
    };
  }

  /** Group names as consumerProgress finds them (retry topics) plus every broker's subscription groups. */
  async groupNames(includeSystem: boolean): Promise<string[]> {
    const names = new Set<string>();
    const [topics, addrs] = await Promise.all([this.admin.topicList(), this.brokerAddrs()]);
    for (const t of topics) if (t.startsWith(RETRY_GROUP_TOPIC_PREFIX)) names.add(t.slice(RETRY_GROUP_TOPIC_PREFIX.length));
    await Promise.all([...addrs.values()].map(async (addr) => {
      try {
        for (const g of await this.admin.subscriptionGroups(addr)) names.add(g);
      } catch {
        // A broker that does not answer leaves its groups out; the cluster page shows it as failing.
      }
    }));
    return [...names].filter((g) => includeSystem || !isSystemGroup(g)).sort();
  }

  async groups(includeSystem = false): Promise<GroupRow[]> {
    const addrs = [...(await this.brokerAddrs()).values()];
    const names = (await this.groupNames(includeSystem)).slice(0, GROUPS_MAX);
    return Promise.all(names.map((g) => this.groupRow(g, addrs)));
  }

  private async groupRow(group: string, addrs: string[]): Promise<GroupRow> {
    const d = await this.groupStats(group, addrs);
    const topics = [...new Set(d.queues.map((q) => q.topic))].filter((t) => !t.startsWith(RETRY_GROUP_TOPIC_PREFIX)).sort();
    return {
      group, members: d.connection?.connections.length ?? 0, messageModel: d.connection?.messageModel ?? '', topics,
      lag: d.queues.reduce((s, q) => s + lagOf(q), 0), consumeTps: d.consumeTps, error: d.errors[0],
    };
  }

  /** consumerProgress -g and consumerConnection -g over every broker, merged. */
  async groupStats(group: string, addrs?: string[]): Promise<{ queues: QueueRow[]; consumeTps: number; connection?: ConsumerConnection; errors: string[] }> {
    const brokerAddrs = addrs ?? [...(await this.brokerAddrs()).values()];
    const queues: QueueRow[] = [];
    const errors: string[] = [];
    let consumeTps = 0;
    let connection: ConsumerConnection | undefined;
    await Promise.all(brokerAddrs.map(async (addr) => {
      try {
        const s = await this.admin.consumeStats(addr, group);
        queues.push(...s.queues);
        consumeTps += s.consumeTps;
      } catch (e) {
        // A group this broker has not seen is not an error of the page (SUBSCRIPTION_GROUP_NOT_EXIST, ...).
        if (!(e instanceof AdminError)) errors.push(`${addr}: ${errorText(e)}`);
      }
      try {
        const c = await this.admin.consumerConnection(addr, group);
        if (c && (!connection || c.connections.length > connection.connections.length)) connection = c;
      } catch (e) {
        if (!(e instanceof AdminError)) errors.push(`${addr}: ${errorText(e)}`);
      }
    }));
    queues.sort((x, y) => x.topic.localeCompare(y.topic) || x.brokerName.localeCompare(y.brokerName) || x.queueId - y.queueId);
    return { queues, consumeTps, connection, errors };
  }

  async group(group: string): Promise<{ group: string; lag: number; consumeTps: number; queues: Array<QueueRow & { lag: number }>; connection?: ConsumerConnection; errors: string[] }> {
    const d = await this.groupStats(group);
    const queues = d.queues.map((q) => ({ ...q, lag: lagOf(q) }));
    return { group, lag: queues.reduce((s, q) => s + q.lag, 0), consumeTps: d.consumeTps, queues, connection: d.connection, errors: d.errors };
  }
}

/** consumerProgress's "#Diff": what the broker holds past the group's committed offset. */
export const lagOf = (q: QueueRow): number => Math.max(0, (q.brokerOffset ?? 0) - Math.max(0, q.consumerOffset ?? 0));
