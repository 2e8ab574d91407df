import { BROKER_SCHEMA, type BrokerConfig } from '../config/broker-config.js';
import { validateConfig } from '../config/config-rules.js';
import { RemotingServer } from '../remoting/server.js';
import { tlsServerSide, type TlsServerSide } from '../remoting/tls.js';
import { Dispatcher, type RpcObserver } from '../remoting/dispatcher.js';
import { type AccessGate, chainGates } from '../auth/access.js';
import { PlainAclManager } from '../auth/plain/plain-acl-manager.js';
import { AuthManager } from '../auth/v2/auth-manager.js';
import { brokerClientOptions } from '../broker/out/client-options.js';
import { createRequest, type RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import { RequestCode } from '../protocol/request-code.js';
import { isReadable, isWriteable } from '../protocol/perm-name.js';
import type { MessageStore } from '../store/types.js';
import { StoreLock } from '../store/store-lock.js';
import { TopicConfigManager, type TopicConfig } from '../broker/metadata/topic-config-manager.js';
import { SubscriptionGroupManager } from '../broker/metadata/subscription-group-manager.js';
import { ConsumerOffsetManager } from '../broker/metadata/consumer-offset-manager.js';
import { ConsumerManager } from '../broker/client/consumer-manager.js';
import { ProducerManager } from '../broker/client/producer-manager.js';
import { PullRequestHoldService } from '../broker/longpolling/pull-request-hold-service.js';
import { RebalanceLockManager } from '../broker/client/rebalance-lock-manager.js';
import { BrokerStats } from '../broker/stats/broker-stats.js';
import { ScheduleMessageService } from '../broker/schedule/schedule-message-service.js';
import { TimerMessageService } from '../broker/schedule/timer-message-service.js';
import { TransactionalMessageService } from '../broker/transaction/transactional-message-service.js';
import { ConsumerFilterManager } from '../broker/filter/consumer-filter-manager.js';
import { BrokerOuterAPI, type BrokerIdentity } from '../broker/out/broker-outer-api.js';
import { SlaveSynchronize } from '../broker/slave/slave-synchronize.js';
import { PopService } from '../broker/pop/pop-service.js';
import { reviveCheckPoint } from '../broker/pop/pop-revive.js';
import type { BrokerContext } from '../broker/broker-context.js';
import type { ClientChannelInfo } from '../broker/client/client-channel.js';
import { BROKER_FAMILIES, BROKER_REQUESTS, checkBrokerPermission } from '../processors/broker/table.js';
import { log } from '../logger.js';
import { BrokerMetrics, MESSAGE_TYPE_DELAY } from '../broker/metrics/broker-metrics.js';
import { TopicValidator } from '../protocol/topic-validator.js';
import { writeBrokerGauges } from '../broker/metrics/broker-gauges.js';
import { RpcMetrics } from '../remoting/rpc-metrics.js';
import { startPromExporter, type PromExporter } from './prom-exporter.js';
import type { RoleChange, RoleHost } from '../broker/controller/role-host.js';
import { RoleSwitch } from './role-switch.js';
import { RegisterCoalescer } from './register-coalescer.js';

/** How often expired producer/consumer channels are looked for (ClientHousekeepingService). */
const CLIENT_SCAN_INTERVAL_MS = 10_000;
/** PullRequestHoldService check period with long polling on. */
const LONG_POLLING_CHECK_MS = 5_000;
/** consumerFilter.json is written every 10 s (BrokerController#initialize). */
const CONSUMER_FILTER_PERSIST_MS = 10_000;

/**
 * The one lifecycle of the broker's background services (delay levels, timer messages, transaction
 * check-back): the state file is loaded before the store starts, the work starts once the store has
 * recovered, progress is written every flushDelayOffsetInterval, and shutdown stops the work, waits for
 * deliveries in flight and writes the state while the store can still be read.
 */
export interface BrokerService {
  readonly name: string;
  load(): void;
  start(): void;
  /** Writes the state file if it changed; `force` writes it regardless. */
  persist(force?: boolean): void;
  shutdown(): void | Promise<void>;
}

/** One broker: managers, store, listeners (listenPort and the VIP port listenPort-2), namesrv registration. */
export class BrokerController implements RoleHost {
  readonly ctx: BrokerContext;
  private readonly servers: RemotingServer[] = [];
  private readonly outer: BrokerOuterAPI;
  /** A slave's metadata copy from its master (topics, groups, offsets), every 10 s. */
  private readonly slaveSync: SlaveSynchronize;
  /** The role given at run time (controller mode): config, master-only services, slave sync, registration. */
  private readonly roles: RoleSwitch;
  private readonly dispatcher: Dispatcher<BrokerContext>;
  private readonly services: readonly BrokerService[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly registrations = new RegisterCoalescer(() => this.registerBrokerAll(), () => this.started);
  private started = false;
  /** The /metrics endpoint, when metricsExporterType=PROM. */
  private exporter?: PromExporter;
  /** tls.server.mode and certificate: the main, VIP and HA ports. */
  private readonly tls: TlsServerSide;

  constructor(
    readonly config: BrokerConfig,
    readonly store: MessageStore,
    /** The -c file: UPDATE_BROKER_CONFIG persists into it (BrokerPathConfigHelper#brokerConfigPath). */
    brokerConfigPath?: string,
    /**
     * The lock on storePathRootDir when the caller took it already (the standalone CLI does, before its
     * NameServer starts); otherwise start() takes it. Either way this broker releases it at shutdown.
     */
    private storeLock?: StoreLock,
  ) {
    // A config built in code (tests, embedding) meets the same checks as a broker.conf.
    validateConfig(config, BROKER_SCHEMA, 'broker config');
    // Controller mode: no role until the controller gives one. The Java broker fences its store until then
    // (ReplicasManager#setFenced); a SLAVE role does the same here (puts refused, master-only services off).
    if (config.enableControllerMode) config.brokerRole = 'SLAVE';
    const brokerAddr = `${config.brokerIP1}:${config.listenPort}`;
    const topics = new TopicConfigManager(config);
    const consumers = new ConsumerManager((group, channels) => this.notifyConsumerIdsChanged(group, channels), config.channelExpiredTimeout);
    const pullHold = new PullRequestHoldService(
      // A woken pull is answered through the dispatcher, on its own tick.
      (p) => this.dispatcher.resume(p.conn, p.request),
      (topic, queueId) => store.getMaxOffsetInQueue(topic, queueId),
      config.longPollingEnable ? LONG_POLLING_CHECK_MS : config.shortPollingTimeMills,
      config.heldPullRequestsMax,
    );
    const producers = new ProducerManager(config.channelExpiredTimeout);
    const storeHost = { ip: config.brokerIP1, port: config.listenPort };
    this.ctx = {
      config,
      store,
      topics,
      groups: new SubscriptionGroupManager(config),
      offsets: new ConsumerOffsetManager(config),
      consumers,
      producers,
      pullHold,
      locks: new RebalanceLockManager(),
      stats: new BrokerStats(),
      filters: new ConsumerFilterManager(config),
      schedule: new ScheduleMessageService(config, store),
      timer: new TimerMessageService(config, store),
      transactions: new TransactionalMessageService(config, store, topics, producers, storeHost),
      pop: new PopService(config, (ck, offsets) => reviveCheckPoint(this.ctx, ck, offsets), (conn, req) => this.dispatcher.resume(conn, req)),
      storeHost,
      brokerAddr,
      brokerConfigPath,
      registerBrokerAll: () => this.registrations.request(),
    };
    this.services = [this.ctx.schedule, this.ctx.timer, this.ctx.transactions, this.ctx.pop];
    // RIP-46 metrics: counted only when exported (the Java broker's instruments are no-ops otherwise).
    let observer: RpcObserver | undefined;
    if (config.metricsExporterType === 'PROM') {
      const metrics = (this.ctx.metrics = new BrokerMetrics(config));
      metrics.gauges = (w) => writeBrokerGauges(this.ctx, metrics.base, w);
      const rpcMetrics = new RpcMetrics(metrics.base);
      metrics.extraSources.push(rpcMetrics);
      observer = {
        rpcCompleted: (req, code, longPolling, ms) => {
          rpcMetrics.rpcCompleted(req, code, longPolling, ms);
          metrics.requestAnswered(req, code, ms);
        },
      };
      // ScheduleMessageService#onSuccess: out of SCHEDULE_TOPIC_XXXX to SCHEDULE_CONSUMER, into the real topic as DELAY.
      this.ctx.schedule.onDelivered = (topic, bytes) => {
        metrics.messagesOut('SCHEDULE_CONSUMER', TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, 1, bytes);
        metrics.messagesIn(topic, MESSAGE_TYPE_DELAY, 1, bytes);
      };
    }
    // ACL 1.0 then ACL 2.0, as one gate every request passes on the main and the VIP port.
    const gates: AccessGate[] = [];
    if (config.aclEnable) gates.push((this.ctx.plainAcl = new PlainAclManager(config)).gate);
    if (config.authenticationEnabled || config.authorizationEnabled) {
      gates.push((this.ctx.auth = new AuthManager(config, config.storePathRootDir)).gate);
    }
    this.dispatcher = new Dispatcher(this.ctx, BROKER_REQUESTS, {
      gate: gates.length > 0 ? chainGates(gates) : undefined,
      checkPermission: checkBrokerPermission,
      families: BROKER_FAMILIES,
      defaultFamily: 'admin',
      turnBudgetMs: (c) => c.config.requestTurnBudgetMills,
      fastFailure: (c) => c.config.brokerFastFailureEnable,
      observer,
    });
    this.ctx.requestQueues = () => this.dispatcher.queueStats();
    const clientOptions = brokerClientOptions(config);
    this.tls = tlsServerSide(config, 'broker');
    store.useHaTls({ server: this.tls, client: clientOptions.tls });
    this.outer = new BrokerOuterAPI(config.registerBrokerTimeoutMills, clientOptions);
    this.slaveSync = new SlaveSynchronize(this.ctx, clientOptions);
    this.roles = new RoleSwitch({
      ctx: this.ctx,
      slaveSync: this.slaveSync,
      masterOnly: [this.ctx.schedule, this.ctx.timer, this.ctx.transactions],
      register: () => this.registerBrokerAll(),
      clientOptions,
      roleHost: this,
    });
  }

  /** RoleHost: the controller changed this broker's role (role-switch.ts). */
  applyRole(change: RoleChange): Promise<void> {
    return this.roles.apply(change);
  }

  /** Resolves once the role changes asked for so far are applied and their registrations answered. */
  roleSettled(): Promise<void> {
    return this.roles.settled();
  }

  get brokerAddr(): string {
    return this.ctx.brokerAddr;
  }

  /** host:port of /metrics when metricsExporterType=PROM and the broker has started. */
  get metricsAddress(): string | undefined {
    return this.exporter?.address;
  }

  /** What this broker listens on, for the start-up report: main, VIP (when its port was free) and HA (a master's). */
  listening(): Array<{ name: string; address: string }> {
    const out = this.servers.map((s, i) => ({ name: i === 0 ? 'main' : 'VIP', address: `0.0.0.0:${s.port}` }));
    // In controller mode every replica listens for HA (AutoSwitchHAService), whatever its role now.
    if (this.started && (this.config.enableControllerMode || this.config.brokerRole !== 'SLAVE')) out.push({ name: 'HA', address: `0.0.0.0:${this.config.haListenPort}` });
    return out;
  }

  async start(): Promise<void> {
    const { ctx, config } = this;
    // Before any file of the store is read: a second server on a live store must leave it untouched.
    this.storeLock ??= StoreLock.acquire(config.storePathRootDir);
    ctx.topics.load();
    ctx.groups.load();
    ctx.offsets.load();
    ctx.filters.load();
    ctx.consumers.onGroupEmpty = (group) => ctx.filters.unregisterGroup(group);
    for (const s of this.services) s.load();
    await this.store.start();
    // Schedule, timer and transaction check-back start only on a master (each checks brokerRole).
    for (const s of this.services) s.start();
    this.roles.markSpecialServices(config.brokerRole !== 'SLAVE');
    this.store.onArrival((topic, queueId, logicOffset, tagsCode) =>
      ctx.pullHold.notifyMessageArriving(topic, queueId, logicOffset + 1, tagsCode),
    );
    this.store.onArrival((topic) => ctx.pop.onArrival(topic));
    // A slave's puts are the records it replicates (the Java slave's reput counts them), so its put
    // figures (brokerStatus, clusterList #InTPS) follow the master's.
    // The role is read per record: in controller mode it changes while the broker runs.
    this.store.onArrival((topic, _q, _o, _t, _s, size) => {
      if (config.brokerRole === 'SLAVE') ctx.stats.incPut(topic, 1, size);
    });
    const { dispatcher } = this;
    const listen = { host: '0.0.0.0', channelMaxIdleMs: config.serverChannelMaxIdleTimeSeconds * 1000, limits: config, tls: this.tls };
    const main = new RemotingServer({ ...listen, port: config.listenPort }, dispatcher.handle);
    main.onDisconnect((c) => this.onConnectionClosed(c));
    await main.listen();
    this.servers.push(main);
    // Clients with vipChannelEnabled talk to listenPort-2; serve it when the port is free.
    if (config.listenPort > 2) {
      const vip = new RemotingServer({ ...listen, port: config.listenPort - 2 }, dispatcher.handle);
      vip.onDisconnect((c) => this.onConnectionClosed(c));
      try {
        await vip.listen();
        this.servers.push(vip);
      } catch (e) {
        log.warn(`broker: VIP channel port ${config.listenPort - 2} not available: ${(e as Error).message}`);
      }
    }
    ctx.pullHold.start();
    ctx.stats.start();
    ctx.topics.onChange = () => this.registrations.request();
    this.every(config.flushConsumerOffsetInterval, () => {
      ctx.offsets.persist();
      // Topics and groups are written on change; a write that failed (disk full) is retried here.
      ctx.topics.persist();
      ctx.groups.persist();
    });
    this.every(config.flushDelayOffsetInterval, () => {
      for (const s of this.services) s.persist();
    });
    this.every(CONSUMER_FILTER_PERSIST_MS, () => ctx.filters.persist());
    // A channelExpiredTimeout shorter than the scan period (tests) is honoured within half of it.
    this.every(Math.min(CLIENT_SCAN_INTERVAL_MS, Math.max(1_000, config.channelExpiredTimeout / 2)), () => {
      ctx.consumers.scanNotActiveChannel();
      ctx.producers.scanNotActiveChannel();
    });
    if (ctx.metrics) {
      // metricsPromExporterHost empty: the broker's own address (BrokerMetricsManager#init).
      const host = config.metricsPromExporterHost || config.brokerIP1;
      this.exporter = await startPromExporter(host, config.metricsPromExporterPort, [ctx.metrics], `broker ${config.brokerName}`);
    }
    this.started = true;
    // Controller mode: ReplicasManager joins the controller in the background and calls applyRole. The Java
    // broker starts it just before its listeners; here they listen first, so its first registration is reachable.
    if (config.enableControllerMode) this.roles.startController();
    this.slaveSync.start();
    await this.registerBrokerAll();
    const period = Math.max(10_000, Math.min(config.registerNameServerPeriod, 60_000));
    this.every(period, () => void this.registerBrokerAll());
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        log.error(`broker: periodic task failed: ${(e as Error).stack}`);
      }
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  namesrvAddrs(): string[] {
    return this.config.namesrvAddr
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  private identity(): BrokerIdentity {
    const c = this.config;
    return {
      clusterName: c.brokerClusterName,
      brokerName: c.brokerName,
      brokerId: c.brokerId,
      brokerAddr: this.brokerAddr,
      haServerAddr: `${c.brokerIP2}:${c.haListenPort}`,
    };
  }

  async registerBrokerAll(): Promise<void> {
    const addrs = this.namesrvAddrs();
    if (addrs.length === 0) return;
    // Controller mode: a broker the controller has not placed yet stays out of the routes (see applyRole).
    if (this.config.enableControllerMode && !this.roles.roleGiven) return;
    // A broker without read or write permission registers its topics with its own permission (BrokerController#registerBrokerAll).
    const perm = this.config.brokerPermission;
    let table: Map<string, TopicConfig> = this.ctx.topics.table;
    if (!isWriteable(perm) || !isReadable(perm)) {
      table = new Map([...table].map(([k, tc]) => [k, { ...tc, perm: tc.perm & perm }]));
    }
    const r = await this.outer.registerBrokerAll(addrs, this.identity(), this.ctx.topics.dataVersion, table);
    // A slave learns its master from the answer: the HA address for the byte stream, the broker address for the metadata sync.
    this.roles.onRegistered(r);
  }

  private onConnectionClosed(conn: Connection): void {
    this.ctx.consumers.onConnectionClosed(conn);
    this.ctx.producers.onConnectionClosed(conn);
  }

  /** NOTIFY_CONSUMER_IDS_CHANGED (40), one-way to every member (Broker2Client#notifyConsumerIdsChanged). */
  private notifyConsumerIdsChanged(group: string, channels: ClientChannelInfo[]): void {
    for (const ch of channels) {
      const req: RemotingCommand = createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: group });
      ch.conn.invokeOneway(req);
    }
  }

  /**
   * Stops serving, writes the managers' state, then shuts the store down. Every step runs even when an
   * earlier one failed (a full disk refuses config writes): the store shutdown must still happen, or the
   * process never closes its files and the next start has to recover from a crash anyway.
   */
  async shutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    const { ctx } = this;
    const step = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        log.error(`broker: shutdown step "${what}" failed: ${(e as Error).stack ?? e}`);
      }
    };
    ctx.pullHold.stop();
    ctx.stats.stop();
    this.slaveSync.close();
    // No role change may start a registration after the unregistration below.
    await step('stop the controller client', () => this.roles.stopController());
    // A controller-mode broker never placed by the controller never registered.
    if (this.started && (!this.config.enableControllerMode || this.roles.roleGiven)) await step('unregister from the name servers', () => this.outer.unregisterBrokerAll(this.namesrvAddrs(), this.identity()));
    this.outer.close();
    for (const s of this.servers) await step('close listener', () => s.close());
    if (this.exporter) await step('close the metrics exporter', () => this.exporter?.close());
    this.exporter = undefined;
    ctx.plainAcl?.close();
    ctx.auth?.close();
    await step('persist consumer offsets', () => ctx.offsets.persist());
    await step('persist consumer filters', () => ctx.filters.persist());
    await step('persist topics', () => ctx.topics.persist());
    await step('persist subscription groups', () => ctx.groups.persist());
    // The services write their progress while the store can still be read.
    for (const s of this.services) await step(s.name, () => s.shutdown());
    await step('message store', () => this.store.shutdown());
    // Last: another server may open the store only once everything above has been written.
    this.storeLock?.release();
    this.storeLock = undefined;
    this.started = false;
  }
}

