import { RemotingServer } from '../remoting/server.js';
import { tlsServerSide, type TlsServerSide } from '../remoting/tls.js';
import { Dispatcher } from '../remoting/dispatcher.js';
import { RouteInfoManager } from '../namesrv/route-info-manager.js';
import { KVConfigManager } from '../namesrv/kv-config-manager.js';
import type { NamesrvContext } from '../namesrv/namesrv-context.js';
import { NAMESRV_FAMILIES, NAMESRV_REQUESTS } from '../processors/namesrv/table.js';
import { NAMESRV_SCHEMA, type NamesrvConfig } from '../config/namesrv-config.js';
import { validateConfig } from '../config/config-rules.js';
import { log } from '../logger.js';

/** A NameServer: route table, KV config, one listener, the expiry scan. */
export class NamesrvController {
  readonly routes: RouteInfoManager;
  readonly kv: KVConfigManager;
  private server?: RemotingServer;
  private scanTimer?: NodeJS.Timeout;
  private readonly tls: TlsServerSide;

  constructor(readonly config: NamesrvConfig) {
    // A config built in code (tests, embedding) meets the same checks as a namesrv.conf.
    validateConfig(config, NAMESRV_SCHEMA, 'namesrv config');
    // Certificate files are read here, so a bad TLS setting stops the start before anything listens.
    this.tls = tlsServerSide(config, 'namesrv');
    this.routes = new RouteInfoManager(config.brokerChannelExpiredTime);
    this.kv = new KVConfigManager(config.kvConfigPath);
  }

  get port(): number {
    return this.server?.port ?? this.config.listenPort;
  }

  async start(): Promise<void> {
    this.kv.load();
    const ctx: NamesrvContext = { config: this.config, routes: this.routes, kv: this.kv };
    // The 4.9.8 namesrv does not answer unknown codes at all; we answer REQUEST_CODE_NOT_SUPPORTED so clients fail fast.
    const dispatcher = new Dispatcher(ctx, NAMESRV_REQUESTS, {
      families: NAMESRV_FAMILIES,
      defaultFamily: 'default',
      turnBudgetMs: (c) => c.config.requestTurnBudgetMills,
    });
    this.server = new RemotingServer(
      {
        host: this.config.listenHost,
        port: this.config.listenPort,
        channelMaxIdleMs: this.config.serverChannelMaxIdleTimeSeconds * 1000,
        limits: this.config,
        tls: this.tls,
      },
      dispatcher.handle,
    );
    this.server.onDisconnect((c) => this.routes.onConnectionClosed(c));
    await this.server.listen();
    this.scanTimer = setInterval(() => this.routes.scanNotActiveBroker(), this.config.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
    log.info(`namesrv listening on ${this.config.listenHost}:${this.port}`);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.scanTimer);
    await this.server?.close();
    // Changes are written at once; this retries one whose write failed.
    this.kv.persist();
  }
}
