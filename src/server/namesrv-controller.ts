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
import { RpcMetrics } from '../remoting/rpc-metrics.js';
import { startPromExporter, type PromExporter } from './prom-exporter.js';

export interface NamesrvOptions {
  /**
   * false: count the request metrics (metricsExporterType=PROM) but serve them from someone else's
   * /metrics (the standalone server adds them to its broker's). Default true.
   */
  ownExporter?: boolean;
}

/** A NameServer: route table, KV config, one listener, the expiry scan. */
export class NamesrvController {
  readonly routes: RouteInfoManager;
  readonly kv: KVConfigManager;
  private server?: RemotingServer;
  private scanTimer?: NodeJS.Timeout;
  private readonly tls: TlsServerSide;
  /** rocketmq_rpc_latency of this NameServer's requests, when metricsExporterType=PROM. */
  readonly metrics?: RpcMetrics;
  /** node_id is this NameServer's address, known once it listens (port 0 binds a free one). */
  private readonly metricsLabels = { node_type: 'nameserver', node_id: '' };
  private exporter?: PromExporter;

  constructor(readonly config: NamesrvConfig, private readonly options: NamesrvOptions = {}) {
    // A config built in code (tests, embedding) meets the same checks as a namesrv.conf.
    validateConfig(config, NAMESRV_SCHEMA, 'namesrv config');
    // Certificate files are read here, so a bad TLS setting stops the start before anything listens.
    this.tls = tlsServerSide(config, 'namesrv');
    this.routes = new RouteInfoManager(config.brokerChannelExpiredTime);
    this.kv = new KVConfigManager(config.kvConfigPath);
    if (config.metricsExporterType === 'PROM') this.metrics = new RpcMetrics(this.metricsLabels);
  }

  /** host:port of its own /metrics, when it serves one. */
  get metricsAddress(): string | undefined {
    return this.exporter?.address;
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
      observer: this.metrics,
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
    this.metricsLabels.node_id = `${this.config.listenHost}:${this.port}`;
    if (this.metrics && this.options.ownExporter !== false) {
      const host = this.config.metricsPromExporterHost || this.config.listenHost;
      this.exporter = await startPromExporter(host, this.config.metricsPromExporterPort, [this.metrics], 'namesrv');
    }
    this.scanTimer = setInterval(() => this.routes.scanNotActiveBroker(), this.config.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
    log.info(`namesrv listening on ${this.config.listenHost}:${this.port}`);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.scanTimer);
    await this.exporter?.close();
    this.exporter = undefined;
    await this.server?.close();
    // Changes are written at once; this retries one whose write failed.
    this.kv.persist();
  }
}
