/**
 * A broker whose role changes while it runs (controller mode, RocketMQ 5.x): the broker's side of
 * ReplicasManager#changeToMaster / #changeToSlave (the store's side is AutoSwitchHa).
 *
 * What one change does, in the Java broker's order:
 * 1. brokerRole and brokerId in the config: a controller-elected master is SYNC_MASTER with id 0; a slave
 *    keeps the id the controller gave it (ReplicasManager: "the brokerId in brokerConfig just means its role").
 *    Every reader of brokerRole (the store's put check, the send, pull, end-transaction and admin processors)
 *    reads the config per request, so the change takes effect with the next request.
 * 2. BrokerController#changeSpecialServiceStatus: the delay-level, timer and transaction check-back services
 *    run on a master only (each one's start() does nothing while brokerRole is SLAVE).
 * 3. SlaveSynchronize (topics, groups, offsets, delay offsets from the master) runs on a slave only; its master
 *    address comes from the change and, later, from each NameServer answer.
 * 4. The topic table's data version moves on (DataVersion#nextVersion(epoch)), so every NameServer rebuilds
 *    this broker's queue data, and the broker registers with every NameServer at once (in the background,
 *    as the Java broker does; settled() waits for it).
 */
import type { BrokerContext } from '../broker/broker-context.js';
import type { RoleChange, RoleHost } from '../broker/controller/role-host.js';
import type { SlaveSynchronize } from '../broker/slave/slave-synchronize.js';
import type { RegisterResult } from '../broker/out/broker-outer-api.js';
import { ReplicasManager } from '../broker/controller/replicas-manager.js';
import type { RemotingClientOptions } from '../remoting/client.js';
import { nextVersion } from '../protocol/data-version.js';
import { log } from '../logger.js';

/** One of the services that run on a master only (BrokerService in broker-controller.ts). */
interface MasterOnlyService {
  readonly name: string;
  start(): void;
  shutdown(): void | Promise<void>;
}

/** A controller-mode slave not yet told its master's HA address registers again after this long (ms)... */
const MASTER_HA_RETRY_MS = 1_000;
/** ...this many times at most per role change; the periodic registration goes on after that. */
const MASTER_HA_RETRIES_MAX = 30;

export interface RoleSwitchParts {
  ctx: BrokerContext;
  slaveSync: SlaveSynchronize;
  /** Schedule (delay levels), timer, transaction check-back: BrokerController#changeSpecialServiceStatus. */
  masterOnly: readonly MasterOnlyService[];
  /** REGISTER_BROKER to every NameServer now. */
  register(): Promise<void>;
  /** The broker's client settings (TLS, timeouts), for the controller client. */
  clientOptions: RemotingClientOptions;
  /** The controller client (ReplicasManager) calls applyRole on this. */
  roleHost: RoleHost;
}

export class RoleSwitch {
  /** Whether the master-only services run now (isScheduleServiceStart / isTransactionCheckServiceStart). */
  private specialRunning = false;
  /** Changes are applied one at a time, in the order they were asked for. */
  private queue: Promise<void> = Promise.resolve();
  /** True once the controller has given this broker a role (controller mode starts without one). */
  roleGiven = false;
  /** The registration the last change started. */
  private registration: Promise<void> = Promise.resolve();
  /** A slave's next registration while no NameServer has named its master yet (askAgainUntilMasterKnown). */
  private haRetry?: NodeJS.Timeout;
  private haRetries = 0;
  private stopping = false;

  /** The controller client, in controller mode once started. */
  replicas?: ReplicasManager;

  constructor(private readonly parts: RoleSwitchParts) {}

  /**
   * Controller mode: join the controller (the Java broker's startBasicService starts ReplicasManager after the
   * store, before its listeners; ours is called once they listen). It works in the background: controller
   * metadata, broker id, registration with the controller, election, then applyRole.
   */
  startController(): ReplicasManager {
    const { ctx, clientOptions, roleHost } = this.parts;
    const ha = ctx.store.autoSwitch;
    if (!ha) throw new Error('enableControllerMode=true needs the store\'s AutoSwitchHA replication, and this store has none');
    this.replicas = new ReplicasManager({ config: ctx.config, brokerAddr: ctx.brokerAddr, ha, roleHost, clientOptions });
    // NOTIFY_BROKER_ROLE_CHANGED and GET_BROKER_EPOCH_CACHE reach it through the context.
    ctx.replicas = this.replicas;
    this.replicas.start();
    return this.replicas;
  }

  /** Stops the controller client, then waits for the changes and registrations it started. */
  async stopController(): Promise<void> {
    this.stopping = true;
    if (this.haRetry) clearTimeout(this.haRetry);
    await this.replicas?.shutdown();
    await this.settled();
  }

  /**
   * A registration's answer (BrokerController#handleRegisterBrokerResult): a slave learns its master's HA
   * address and broker address; in controller mode the AutoSwitchHA client takes the HA address
   * (updateMasterHAServerAddrPeriodically), otherwise the 4.x HA client.
   */
  onRegistered(r: RegisterResult): void {
    const { ctx, slaveSync } = this.parts;
    if (ctx.config.brokerRole !== 'SLAVE') return;
    if (ctx.config.enableControllerMode) this.askAgainUntilMasterKnown(r.first?.haServerAddr !== undefined);
    if (!r.first) return;
    const ha = r.first.haServerAddr;
    if (ha && ctx.config.enableControllerMode) ctx.store.autoSwitch?.updateHaMasterAddress(ha);
    else if (ha) ctx.store.updateHaMasterAddress(ha);
    slaveSync.masterAddr = r.first.masterAddr;
  }

  /**
   * The controller tells the new master and its slaves at once, so a slave often registers before the
   * master has: the answer then names no master, and the Java broker waits for its next periodic
   * registration (registerNameServerPeriod, 30 s) to learn the HA address. Here a slave asks again every
   * MASTER_HA_RETRY_MS, at most MASTER_HA_RETRIES_MAX times per role change, so it replicates sooner.
   */
  private askAgainUntilMasterKnown(known: boolean): void {
    if (known) {
      this.haRetries = 0;
      return;
    }
    if (this.haRetry || this.stopping || this.haRetries >= MASTER_HA_RETRIES_MAX) return;
    this.haRetries++;
    this.haRetry = setTimeout(() => {
      this.haRetry = undefined;
      if (!this.stopping) void this.parts.register().catch(() => undefined);
    }, MASTER_HA_RETRY_MS);
    this.haRetry.unref();
  }

  /**
   * Starts or stops the master-only services (BrokerController#changeSpecialServiceStatus). Call with the
   * role already in the config: each service's start() checks it.
   */
  async setSpecialServices(shouldRun: boolean): Promise<void> {
    if (shouldRun === this.specialRunning) return;
    this.specialRunning = shouldRun;
    log.info(`broker: master-only services (${this.parts.masterOnly.map((s) => s.name).join(', ')}) ${shouldRun ? 'started' : 'stopped'}`);
    for (const s of this.parts.masterOnly) {
      try {
        if (shouldRun) s.start();
        else await s.shutdown();
      } catch (e) {
        log.error(`broker: ${s.name} ${shouldRun ? 'start' : 'stop'} failed: ${(e as Error).stack ?? e}`);
      }
    }
  }

  /** The services were started (or not) by the broker's own start(): remember which. */
  markSpecialServices(running: boolean): void {
    this.specialRunning = running;
  }

  apply(change: RoleChange): Promise<void> {
    const run = this.queue.then(() => this.applyNow(change));
    // A failed change must not block the next one; its caller sees the failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(change: RoleChange): Promise<void> {
    const { ctx, slaveSync } = this.parts;
    const { config } = ctx;
    const master = change.role !== 'SLAVE';
    if (master && change.brokerId !== 0) throw new Error(`a master's brokerId is 0, not ${change.brokerId}`);
    if (!master && change.brokerId <= 0) throw new Error(`a slave's brokerId must be > 0, not ${change.brokerId}`);
    const before = `${config.brokerRole}/${config.brokerId}`;
    this.haRetries = 0;
    config.brokerRole = change.role;
    config.brokerId = change.brokerId;
    this.roleGiven = true;
    await this.setSpecialServices(master);
    if (master) {
      slaveSync.stop();
      slaveSync.masterAddr = undefined;
    } else {
      // A new master: the copy restarts against it (a change of master while already slave keeps the period).
      slaveSync.masterAddr = change.masterAddr;
      slaveSync.start();
    }
    nextVersion(ctx.topics.dataVersion, change.epoch);
    log.info(`broker: role ${before} -> ${change.role}/${change.brokerId}${change.masterAddr ? ` (master ${change.masterAddr})` : ''}${change.epoch !== undefined ? ` epoch ${change.epoch}` : ''}`);
    // ReplicasManager#registerBrokerWhenRoleChange runs on its executor: the controller client does not wait
    // for the NameServers (one that is down would hold it registerBrokerTimeoutMills per change).
    this.registration = this.parts.register().catch((e: unknown) => {
      log.warn(`broker: registration after a role change failed: ${(e as Error).message}`);
    });
  }

  /** Resolves once every change asked for so far is applied and its registration answered (tests, shutdown). */
  async settled(): Promise<void> {
    await this.queue;
    await this.registration;
  }
}
