import type { Connection } from '../../remoting/connection.js';
import type { ClientChannelInfo } from './client-channel.js';
import type { SubscriptionData } from '../filter/subscription-data.js';
import { log } from '../../logger.js';

/** broker/client/ConsumerGroupInfo.java. */
export class ConsumerGroupInfo {
  readonly channels = new Map<Connection, ClientChannelInfo>();
  readonly subscriptionTable = new Map<string, SubscriptionData>();
  lastUpdateTimestamp = Date.now();

  constructor(
    readonly groupName: string,
    public consumeType: string,
    public messageModel: string,
    public consumeFromWhere: string,
  ) {}

  clientIds(): string[] {
    return [...this.channels.values()].map((c) => c.clientId);
  }

  /** True if this is a new channel (or a new client id on it). */
  updateChannel(info: ClientChannelInfo, consumeType: string, messageModel: string, consumeFromWhere: string): boolean {
    this.consumeType = consumeType;
    this.messageModel = messageModel;
    this.consumeFromWhere = consumeFromWhere;
    this.lastUpdateTimestamp = Date.now();
    const old = this.channels.get(info.conn);
    if (!old || old.clientId !== info.clientId) {
      this.channels.set(info.conn, info);
      return true;
    }
    old.lastUpdateTimestamp = info.lastUpdateTimestamp;
    return false;
  }

  /** ConsumerGroupInfo#updateSubscription: true if a topic was added or removed. */
  updateSubscription(subs: SubscriptionData[]): boolean {
    let updated = false;
    for (const sub of subs) {
      const old = this.subscriptionTable.get(sub.topic);
      if (!old) {
        this.subscriptionTable.set(sub.topic, sub);
        updated = true;
      } else if (sub.subVersion > old.subVersion) {
        this.subscriptionTable.set(sub.topic, sub);
      }
    }
    const topics = new Set(subs.map((s) => s.topic));
    for (const t of [...this.subscriptionTable.keys()]) {
      if (!topics.has(t)) {
        this.subscriptionTable.delete(t);
        updated = true;
      }
    }
    this.lastUpdateTimestamp = Date.now();
    return updated;
  }
}

export type ConsumerIdsChangeListener = (group: string, channels: ClientChannelInfo[]) => void;

/** Consumer groups and their live connections (broker/client/ConsumerManager.java). */
export class ConsumerManager {
  readonly groups = new Map<string, ConsumerGroupInfo>();
  /** ConsumerGroupEvent.UNREGISTER: the group's last member left (its SQL92 filter data is then marked dead). */
  onGroupEmpty: (group: string) => void = () => {};

  constructor(
    private readonly onIdsChanged: ConsumerIdsChangeListener,
    private readonly channelExpiredMs: number,
  ) {}

  get(group: string): ConsumerGroupInfo | undefined {
    return this.groups.get(group);
  }

  findSubscription(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptionTable.get(topic);
  }

  register(
    group: string,
    info: ClientChannelInfo,
    consumeType: string,
    messageModel: string,
    consumeFromWhere: string,
    subs: SubscriptionData[],
    notifyEnabled: boolean,
  ): boolean {
    let gi = this.groups.get(group);
    if (!gi) this.groups.set(group, (gi = new ConsumerGroupInfo(group, consumeType, messageModel, consumeFromWhere)));
    const r1 = gi.updateChannel(info, consumeType, messageModel, consumeFromWhere);
    const r2 = gi.updateSubscription(subs);
    if ((r1 || r2) && notifyEnabled) this.onIdsChanged(group, [...gi.channels.values()]);
    return r1 || r2;
  }

  unregister(group: string, conn: Connection, notifyEnabled: boolean): void {
    const gi = this.groups.get(group);
    if (!gi || !gi.channels.delete(conn)) return;
    if (gi.channels.size === 0) {
      this.groups.delete(group);
      log.info(`broker: consumer group ${group} has no members left`);
      this.onGroupEmpty(group);
    }
    if (notifyEnabled) this.onIdsChanged(group, [...gi.channels.values()]);
  }

  /** A consumer connection closed: drop it from every group and tell the rest. */
  onConnectionClosed(conn: Connection): void {
    for (const [group, gi] of this.groups) {
      if (!gi.channels.delete(conn)) continue;
      if (gi.channels.size === 0) {
        this.groups.delete(group);
        this.onGroupEmpty(group);
      }
      this.onIdsChanged(group, [...gi.channels.values()]);
    }
  }

  /** ConsumerManager#scanNotActiveChannel: members silent for channelExpiredMs are closed and dropped. */
  scanNotActiveChannel(nowMs = Date.now()): void {
    for (const gi of this.groups.values()) {
      for (const [conn, info] of gi.channels) {
        if (nowMs - info.lastUpdateTimestamp > this.channelExpiredMs) {
          log.warn(`broker: consumer ${info.clientId} of ${gi.groupName} expired (${nowMs - info.lastUpdateTimestamp} ms since heartbeat)`);
          conn.close(); // the close handler removes it and notifies the group
        }
      }
    }
  }

  /** Groups consuming a topic. */
  groupsOfTopic(topic: string): string[] {
    return [...this.groups.values()].filter((g) => g.subscriptionTable.has(topic)).map((g) => g.groupName);
  }
}
