import type { Connection } from '../remoting/connection.js';
import { PermName } from '../protocol/perm-name.js';
import { log } from '../logger.js';
import type { DataVersion } from '../protocol/data-version.js';
import type { BrokerData, QueueData, TopicConfigView } from '../protocol/route-data.js';

export type { BrokerData, QueueData };

interface BrokerLiveInfo {
  lastUpdateMs: number;
  dataVersion: DataVersion;
  conn?: Connection;
  haServerAddr: string;
}

export interface RegisterResult {
  masterAddr?: string;
  haServerAddr?: string;
}

export interface TopicRoute {
  brokerDatas: BrokerData[];
  queueDatas: QueueData[];
  filterServerTable: Map<string, string[]>;
}

/** RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME: a broker silent this long is dropped. */
export const BROKER_CHANNEL_EXPIRED_MS = 120_000;

/**
 * The NameServer's whole state: which broker serves which topic, and which brokers are alive.
 * Mirrors namesrv/routeinfo/RouteInfoManager.java semantics (queue data rebuilt only from a
 * master's registration whose data version changed).
 */
export class RouteInfoManager {
  readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  readonly brokerAddrTable = new Map<string, BrokerData>();
  readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly filterServerTable = new Map<string, string[]>();

  /** brokerChannelExpiredMs: the namesrv's `brokerChannelExpiredTime` (tests shorten it; a closed channel is dropped at once anyway). */
  constructor(private readonly brokerChannelExpiredMs = BROKER_CHANNEL_EXPIRED_MS) {}

  registerBroker(
    clusterName: string,
    brokerAddr: string,
    brokerName: string,
    brokerId: number,
    haServerAddr: string,
    dataVersion: DataVersion | undefined,
    topicConfigs: TopicConfigView[] | undefined,
    filterServerList: string[],
    conn: Connection | undefined,
  ): RegisterResult {
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let registerFirst = false;
    let brokerData = this.brokerAddrTable.get(brokerName);
    if (!brokerData) {
      registerFirst = true;
      brokerData = { cluster: clusterName, brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(brokerName, brokerData);
    }
    // The same address under another id is a slave promoted to master (or the reverse): forget the old id.
    for (const [id, addr] of brokerData.brokerAddrs) {
      if (addr === brokerAddr && id !== brokerId) brokerData.brokerAddrs.delete(id);
    }
    const previous = brokerData.brokerAddrs.get(brokerId);
    if (previous !== undefined && previous !== brokerAddr && this.isStale(previous, dataVersion)) {
      // 5.x: another live address holds this id with a newer role-change epoch (a master the controller
      // elected after the one registering now): the registration is ignored and its address forgotten.
      log.warn(`namesrv: ${brokerName} id=${brokerId} registration from ${brokerAddr} ignored: ${previous} holds it with a newer stateVersion`);
      this.brokerLiveTable.delete(brokerAddr);
      return {};
    }
    brokerData.brokerAddrs.set(brokerId, brokerAddr);
    registerFirst = registerFirst || previous === undefined;

    const live = this.brokerLiveTable.get(brokerAddr);
    if (brokerId === 0 && topicConfigs) {
      const changed = !live || !dataVersion || live.dataVersion.counter !== dataVersion.counter || live.dataVersion.timestamp !== dataVersion.timestamp;
      if (changed || registerFirst) {
        for (const tc of topicConfigs) this.createAndUpdateQueueData(brokerName, tc);
      }
    }
    if (!live) log.info(`namesrv: new broker registered ${brokerName}@${brokerAddr} id=${brokerId} cluster=${clusterName}`);
    this.brokerLiveTable.set(brokerAddr, {
      lastUpdateMs: Date.now(),
      dataVersion: dataVersion ?? { counter: 0, timestamp: 0 },
      conn,
      haServerAddr,
    });
    if (filterServerList.length) this.filterServerTable.set(brokerAddr, filterServerList);
    else this.filterServerTable.delete(brokerAddr);

    const result: RegisterResult = {};
    if (brokerId !== 0) {
      // A slave learns its master here: the HA address to replicate from, the address for metadata sync
      // (in controller mode the HA address reaches the store this way only). Both only while the master is alive.
      const masterAddr = brokerData.brokerAddrs.get(0);
      const masterLive = masterAddr === undefined ? undefined : this.brokerLiveTable.get(masterAddr);
      if (masterLive) {
        result.masterAddr = masterAddr;
        result.haServerAddr = masterLive.haServerAddr;
      }
    }
    return result;
  }

  /** RouteInfoManager#registerBroker: the live holder's stateVersion above the newcomer's. */
  private isStale(holderAddr: string, incoming: DataVersion | undefined): boolean {
    const holder = this.brokerLiveTable.get(holderAddr);
    if (!holder) return false;
    return (holder.dataVersion.stateVersion ?? 0) > (incoming?.stateVersion ?? 0);
  }

  private createAndUpdateQueueData(brokerName: string, tc: TopicConfigView): void {
    let byBroker = this.topicQueueTable.get(tc.topicName);
    if (!byBroker) this.topicQueueTable.set(tc.topicName, (byBroker = new Map()));
    byBroker.set(brokerName, {
      brokerName,
      readQueueNums: tc.readQueueNums,
      writeQueueNums: tc.writeQueueNums,
      perm: tc.perm,
      topicSysFlag: tc.topicSysFlag ?? 0,
    });
  }

  unregisterBroker(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const bd = this.brokerAddrTable.get(brokerName);
    if (bd && bd.brokerAddrs.get(brokerId) === brokerAddr) bd.brokerAddrs.delete(brokerId);
    log.info(`namesrv: broker unregistered ${brokerName}@${brokerAddr} id=${brokerId}`);
    if (bd && bd.brokerAddrs.size === 0) {
      this.brokerAddrTable.delete(brokerName);
      const names = this.clusterAddrTable.get(clusterName);
      names?.delete(brokerName);
      if (names && names.size === 0) this.clusterAddrTable.delete(clusterName);
      this.removeTopicsOfBroker(brokerName);
    }
  }

  private removeTopicsOfBroker(brokerName: string): void {
    for (const [topic, byBroker] of this.topicQueueTable) {
      byBroker.delete(brokerName);
      if (byBroker.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  /** Drops brokers silent for brokerChannelExpiredMs (default BROKER_CHANNEL_EXPIRED_MS); returns how many. */
  scanNotActiveBroker(nowMs = Date.now()): number {
    let removed = 0;
    for (const [addr, live] of this.brokerLiveTable) {
      if (live.lastUpdateMs + this.brokerChannelExpiredMs < nowMs) {
        log.warn(`namesrv: broker ${addr} expired, ${nowMs - live.lastUpdateMs} ms since last registration`);
        live.conn?.close();
        this.destroyBroker(addr);
        removed++;
      }
    }
    return removed;
  }

  /** A broker's registration connection closed: remove it at once, as the Java namesrv does. */
  onConnectionClosed(conn: Connection): void {
    for (const [addr, live] of this.brokerLiveTable) {
      if (live.conn === conn) this.destroyBroker(addr);
    }
  }

  private destroyBroker(brokerAddr: string): void {
    for (const bd of this.brokerAddrTable.values()) {
      for (const [id, addr] of bd.brokerAddrs) {
        if (addr === brokerAddr) this.unregisterBroker(bd.cluster, brokerAddr, bd.brokerName, id);
      }
    }
    this.brokerLiveTable.delete(brokerAddr);
  }

  pickupTopicRouteData(topic: string): TopicRoute | undefined {
    const byBroker = this.topicQueueTable.get(topic);
    if (!byBroker || byBroker.size === 0) return undefined;
    const queueDatas = [...byBroker.values()].map((q) => ({ ...q }));
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    for (const name of byBroker.keys()) {
      const bd = this.brokerAddrTable.get(name);
      if (!bd) continue;
      brokerDatas.push({ cluster: bd.cluster, brokerName: bd.brokerName, brokerAddrs: new Map(bd.brokerAddrs) });
      for (const addr of bd.brokerAddrs.values()) {
        const fs = this.filterServerTable.get(addr);
        if (fs) filterServerTable.set(addr, fs);
      }
    }
    if (brokerDatas.length === 0) return undefined;
    return { brokerDatas, queueDatas, filterServerTable };
  }

  allTopics(): string[] {
    return [...this.topicQueueTable.keys()];
  }

  topicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (!names) return [];
    return this.allTopics().filter((t) => [...this.topicQueueTable.get(t)!.keys()].some((b) => names.has(b)));
  }

  /** Topics named after a cluster or a broker (the system topics brokers register). */
  systemTopics(): { topics: string[]; brokerAddr?: string } {
    const topics: string[] = [];
    let brokerAddr: string | undefined;
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.push(cluster);
      for (const n of names) {
        topics.push(n);
        const bd = this.brokerAddrTable.get(n);
        brokerAddr ??= bd?.brokerAddrs.get(0) ?? bd?.brokerAddrs.values().next().value;
      }
    }
    return { topics, brokerAddr };
  }

  deleteTopic(topic: string, clusterName?: string): void {
    if (!clusterName) {
      this.topicQueueTable.delete(topic);
      return;
    }
    const byBroker = this.topicQueueTable.get(topic);
    const names = this.clusterAddrTable.get(clusterName);
    if (!byBroker || !names) return;
    for (const n of names) byBroker.delete(n);
    if (byBroker.size === 0) this.topicQueueTable.delete(topic);
  }

  /** Clears (wipe) or restores (add) PERM_WRITE on every queue of a broker; returns topics touched. */
  changeWritePerm(brokerName: string, writable: boolean): number {
    let count = 0;
    for (const byBroker of this.topicQueueTable.values()) {
      const qd = byBroker.get(brokerName);
      if (!qd) continue;
      qd.perm = writable ? qd.perm | PermName.PERM_WRITE : qd.perm & ~PermName.PERM_WRITE;
      count++;
    }
    return count;
  }

  /** True if the broker's registered data version differs from `dv` (QUERY_DATA_VERSION). */
  isBrokerTopicConfigChanged(brokerAddr: string, dv: DataVersion): boolean {
    const live = this.brokerLiveTable.get(brokerAddr);
    return !live || live.dataVersion.counter !== dv.counter || live.dataVersion.timestamp !== dv.timestamp;
  }

  touchBroker(brokerAddr: string): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live) live.lastUpdateMs = Date.now();
  }

  brokerDataVersion(brokerAddr: string): DataVersion | undefined {
    return this.brokerLiveTable.get(brokerAddr)?.dataVersion;
  }
}
