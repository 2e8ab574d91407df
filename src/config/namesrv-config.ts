import os from 'node:os';
import path from 'node:path';

/** NamesrvConfig + NettyServerConfig keys as a Java namesrv.conf spells them. */
export const NAMESRV_CONFIG_DEFAULTS = {
  listenPort: 9876,
  /** Bind address; loopback by default so a dev box never exposes the namesrv. */
  listenHost: '127.0.0.1',
  kvConfigPath: path.join(os.homedir(), 'namesrv', 'kvConfig.json'),
  /** How often brokers silent for brokerChannelExpiredTime are looked for. */
  scanNotActiveBrokerInterval: 10_000,
  /**
   * Ms without a registration after which a broker is dropped: RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME,
   * a constant in Java (120 s). A key here so the failover test (compat-tests/broker-failover.test.ts) need not
   * wait two minutes; a broker whose connection closes is dropped at once regardless.
   */
  brokerChannelExpiredTime: 120_000,
  orderMessageEnable: false,
  serverChannelMaxIdleTimeSeconds: 120,
};

export type NamesrvConfig = { -readonly [K in keyof typeof NAMESRV_CONFIG_DEFAULTS]: (typeof NAMESRV_CONFIG_DEFAULTS)[K] };
