/**
 * What every handler receives: the config, the way to brokers and NameServers (remoting), the
 * topic routes, topic metadata, the gRPC client registry, and the transaction bookkeeping. One per
 * running endpoint (grpc-proxy.ts builds and stops it).
 */
import { tlsClientOptions } from '../remoting/tls.js';
import { BrokerApi, splitNamesrvAddr } from './broker-api.js';
import { ClientRegistry } from './client-registry.js';
import type { ProxyConfig } from './proxy-config.js';
import { TopicMetadata } from './topic-metadata.js';
import { TopicRoutes } from './topic-routes.js';
import { TransactionRelay } from './transaction-relay.js';
import { defaultSubscriptionSettings } from './settings.js';

export class ProxyContext {
  readonly brokers: BrokerApi;
  readonly routes: TopicRoutes;
  readonly metadata: TopicMetadata;
  readonly clients = new ClientRegistry();
  readonly transactions: TransactionRelay;
  /**
   * Points where one side fills in what the other needs. `subscriptionSettings` completes a
   * consumer's Settings for the Telemetry answer (GrpcClientSettingsManager#mergeSubscriptionData:
   * receiveBatchSize, longPollingTimeout, fifo, backoffPolicy from the group's config); the
   * consumer side replaces it in setupConsumerSide. The default gives the proxy's defaults.
   */
  readonly hooks: { subscriptionSettings: (settings: any) => Promise<any> };
  /** The port the gRPC server is bound to (QueryRoute hands it out as every broker's endpoint). */
  grpcPort = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stopHooks: (() => void | Promise<void>)[] = [];
  private readonly abort = new AbortController();

  constructor(readonly config: ProxyConfig) {
    this.brokers = new BrokerApi(config.remotingTimeoutMills, config.tls ? tlsClientOptions(config.tls) : undefined);
    const cacheMs = config.topicRouteServiceCacheRefreshSeconds * 1000;
    this.routes = new TopicRoutes(this.brokers, splitNamesrvAddr(config.namesrvAddr), cacheMs);
    this.metadata = new TopicMetadata(this.brokers, this.routes, cacheMs);
    this.transactions = new TransactionRelay(this);
    this.hooks = { subscriptionSettings: async (settings) => defaultSubscriptionSettings(config, settings) };
  }

  /** Aborts when the endpoint stops: long polls and streams listen to it. */
  get stopping(): AbortSignal {
    return this.abort.signal;
  }

  /** Runs `task` every `periodMs` until stop (unref'd: it never keeps the process alive). */
  every(periodMs: number, task: () => void | Promise<void>): void {
    const t = setInterval(() => void Promise.resolve().then(task).catch(() => {}), periodMs);
    t.unref();
    this.timers.push(t);
  }

  /** Runs at stop, in reverse order of registration. */
  onStop(hook: () => void | Promise<void>): void {
    this.stopHooks.push(hook);
  }

  start(): void {
    this.every(5_000, () => this.clients.sweep(this.config.grpcClientIdleTimeMills));
    this.transactions.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.clients.endStreams();
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const hook of this.stopHooks.splice(0).reverse()) await hook();
    this.brokers.close();
  }
}
