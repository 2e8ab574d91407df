import type { Connection } from '../../remoting/connection.js';
import type { ClientChannelInfo } from './client-channel.js';
import { log } from '../../logger.js';

/** Producer groups and their connections (broker/client/ProducerManager.java): transaction check-back picks one. */
export class ProducerManager {
  readonly groups = new Map<string, Map<Connection, ClientChannelInfo>>();
  /** clientId → its connection, for pushing replies to a requester (ProducerManager#findChannel). */
  private readonly byClientId = new Map<string, Connection>();

  constructor(private readonly channelExpiredMs: number) {}

  register(group: string, info: ClientChannelInfo): void {
    let m = this.groups.get(group);
    if (!m) this.groups.set(group, (m = new Map()));
    const old = m.get(info.conn);
    if (old) old.lastUpdateTimestamp = info.lastUpdateTimestamp;
    else m.set(info.conn, info);
    this.byClientId.set(info.clientId, info.conn);
  }

  unregister(group: string, conn: Connection): void {
    const m = this.groups.get(group);
    if (!m) return;
    const info = m.get(conn);
    if (info) this.forgetClientId(info.clientId, conn);
    m.delete(conn);
    if (m.size === 0) this.groups.delete(group);
  }

  onConnectionClosed(conn: Connection): void {
    for (const [group, m] of this.groups) {
      const info = m.get(conn);
      if (info) this.forgetClientId(info.clientId, conn);
      m.delete(conn);
      if (m.size === 0) this.groups.delete(group);
    }
  }

  scanNotActiveChannel(nowMs = Date.now()): void {
    for (const [group, m] of this.groups) {
      for (const [conn, info] of m) {
        if (nowMs - info.lastUpdateTimestamp > this.channelExpiredMs) {
          log.warn(`broker: producer ${info.clientId} of ${group} expired`);
          this.forgetClientId(info.clientId, conn);
          m.delete(conn);
          conn.close();
        }
      }
      if (m.size === 0) this.groups.delete(group);
    }
  }

  /** The connection of the producer client `clientId`, while it is open. */
  findChannel(clientId: string): Connection | undefined {
    const conn = this.byClientId.get(clientId);
    return conn && !conn.closed ? conn : undefined;
  }

  /** Only the connection the id points at now: a client that reconnected keeps its new one. */
  private forgetClientId(clientId: string, conn: Connection): void {
    if (this.byClientId.get(clientId) === conn) this.byClientId.delete(clientId);
  }

  /** A live connection of the group, rotating so check-backs spread over producers. */
  availableChannel(group: string): ClientChannelInfo | undefined {
    const m = this.groups.get(group);
    if (!m) return undefined;
    const live = [...m.values()].filter((c) => !c.conn.closed);
    if (live.length === 0) return undefined;
    return live[Math.floor(Math.random() * live.length)];
  }
}
