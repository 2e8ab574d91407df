import type { Connection } from '../../remoting/connection.js';

/** broker/client/ClientChannelInfo.java: one client connection of a producer or consumer group. */
export interface ClientChannelInfo {
  conn: Connection;
  clientId: string;
  language: string;
  version: number;
  lastUpdateTimestamp: number;
}
