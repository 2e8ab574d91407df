/**
 * The broker's side of RocketMQ 5.3 controller mode (broker/controller/ReplicasManager.java): find the
 * controller leader, get a controller-assigned broker id (registration.ts), heartbeat, ask for an election
 * when the broker set has no master, follow the controller's view of the set (periodic GET_REPLICA_INFO
 * and NOTIFY_BROKER_ROLE_CHANGED) by switching this broker's role, and, as master, report in-sync set changes.
 *
 * Fencing: a role change is applied only for a master epoch above the last one applied, an in-sync set
 * only for a set epoch above the last one (ReplicasManager#changeBrokerRole / #changeSyncStateSet); the
 * broker stays fenced (no periodic heartbeat; the broker keeps writes refused) until a master is known.
 *
 * Steps that read and change the role state run one at a time (`exclusive`), as Java's synchronized
 * methods do; a step never waits for another exclusive step inside one (reports are fired, not awaited).
 */
import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { RemotingClientOptions } from '../../remoting/client.js';
import type { AutoSwitchHa, EpochEntry } from '../../store/ha/autoswitch/types.js';
import type { RoleHost } from './role-host.js';
import { ControllerApi, ControllerError, type MasterInfo } from './controller-api.js';
import { Registration } from './registration.js';
import { Timers } from './timers.js';
import { ControllerPeers } from './controller-peers.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { log } from '../../logger.js';

export type ReplicasState = 'INITIAL' | 'FIRST_TIME_SYNC_CONTROLLER_METADATA_DONE' | 'REGISTER_TO_CONTROLLER_DONE' | 'RUNNING' | 'SHUTDOWN';

/** The Java broker's fixed delays (ReplicasManager), overridable so tests need not wait seconds. */
export interface ReplicasTiming {
  /** Wait before startBasicService is tried again (RETRY_INTERVAL_SECOND). */
  retryStartMs: number;
  /** First GET_REPLICA_INFO, first in-sync set check, first controller-metadata refresh. */
  firstSyncDelayMs: number;
  /** Controller reachability scan (scanAvailableControllerAddresses). */
  scanControllersMs: number;
  /** Pause between the three first controller-metadata attempts. */
  metadataRetryMs: number;
  /** Registration attempts sleep up to this long between tries, so brokers starting together do not collide. */
  registerJitterMs: number;
}

export const JAVA_TIMING: ReplicasTiming = {
  retryStartMs: 5000, firstSyncDelayMs: 3000, scanControllersMs: 3000, metadataRetryMs: 1000, registerJitterMs: 1000,
};

export interface ReplicasManagerOptions {
  config: BrokerConfig;
  /** This broker's remoting address (brokerIP1:listenPort), as registered with controller and namesrv. */
  brokerAddr: string;
  ha: AutoSwitchHa;
  roleHost: RoleHost;
  /** BrokerController#setIsolated + the store's fenced flag: no namesrv registration, writes refused. */
  setFenced?: (fenced: boolean) => void;
  clientOptions?: RemotingClientOptions;
  timing?: Partial<ReplicasTiming>;
}

const sameSet = (a: Set<number>, b: Set<number>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

export class ReplicasManager {
  readonly api: ControllerApi;
  private readonly timing: ReplicasTiming;
  private readonly timers = new Timers();
  private readonly registration: Registration;
  private lock: Promise<unknown> = Promise.resolve();

  state: ReplicasState = 'INITIAL';
  readonly peers: ControllerPeers;
  /** The id the controller gave this broker (>= 1), once registered. */
  brokerControllerId: number | undefined;
  masterBrokerId: number | undefined;
  masterAddress = '';
  masterEpoch = 0;
  syncStateSet = new Set<number>();
  syncStateSetEpoch = 0;
  fenced = true;
  private listening = false;
  private lastProposal: Set<number> | undefined;
  private readonly reporting = new Set<string>();

  constructor(private readonly o: ReplicasManagerOptions) {
    this.api = new ControllerApi(o.clientOptions);
    this.peers = new ControllerPeers(this.api, () => o.config.controllerAddr);
    this.timing = { ...JAVA_TIMING, ...o.timing };
    const c = o.config;
    const identity = c.storePathBrokerIdentity || path.join(c.storePathRootDir, 'brokerIdentity');
    this.registration = new Registration(this, identity);
    // BrokerController#recoverAndInitService fences a controller-mode broker until its role is known.
    this.setFenced(true);
  }

  get config(): BrokerConfig {
    return this.o.config;
  }

  get ha(): AutoSwitchHa {
    return this.o.ha;
  }

  get controllerLeaderAddress(): string {
    return this.peers.leaderAddress;
  }

  get brokerAddr(): string {
    return this.o.brokerAddr;
  }

  start(): void {
    this.state = 'INITIAL';
    this.peers.updateAddresses();
    const t = this.timing;
    this.timers.every(120_000, 120_000, () => this.peers.updateAddresses());
    this.timers.every(t.scanControllersMs, t.scanControllersMs, () => this.peers.scan());
    // BrokerController#scheduleSendHeartbeat: every brokerHeartbeatInterval, skipped while isolated.
    this.timers.every(1000, this.config.brokerHeartbeatInterval, () => (this.fenced ? undefined : this.sendHeartbeatToController()));
    void this.startUntilDone();
  }

  async shutdown(): Promise<void> {
    this.state = 'SHUTDOWN';
    this.timers.clear();
    this.api.close();
    await this.lock.catch(() => undefined);
  }

  private async startUntilDone(): Promise<void> {
    await this.peers.scan();
    let retries = 0;
    while (!(await this.startBasicService())) {
      if (this.stopped()) return;
      log.warn(`controller: start not done (state ${this.state}, try ${++retries}), again in ${this.timing.retryStartMs} ms`);
      await this.timers.sleep(this.timing.retryStartMs);
    }
  }

  /** ReplicasManager#startBasicService: each stage done once; false sends the caller round again. */
  private async startBasicService(): Promise<boolean> {
    if (this.state === 'SHUTDOWN') return false;
    if (this.state === 'INITIAL') {
      if (!(await this.firstControllerMetadata())) return false;
      this.state = 'FIRST_TIME_SYNC_CONTROLLER_METADATA_DONE';
    }
    if (this.state === 'FIRST_TIME_SYNC_CONTROLLER_METADATA_DONE') {
      for (let i = 0; i < 5 && !this.stopped(); i++) {
        if (await this.exclusive(() => this.registration.register())) {
          this.state = 'REGISTER_TO_CONTROLLER_DONE';
          break;
        }
        await this.timers.sleep(Math.floor(Math.random() * this.timing.registerJitterMs));
      }
      if (this.state !== 'REGISTER_TO_CONTROLLER_DONE') return false;
    }
    if (this.state === 'REGISTER_TO_CONTROLLER_DONE') {
      // The periodic heartbeat does not run while fenced: the controller must see this broker alive to elect it.
      await this.sendHeartbeatToController();
      const haveMaster = this.masterBrokerId !== undefined || (await this.exclusive(() => this.brokerElect()));
      if (!haveMaster) return false;
      this.state = 'RUNNING';
      this.setFenced(false);
      log.info(`controller: running, master ${this.masterBrokerId} at ${this.masterAddress}, epoch ${this.masterEpoch}`);
    }
    if (this.state !== 'RUNNING') return false;
    const t = this.timing;
    this.timers.every(t.firstSyncDelayMs, this.config.syncBrokerMetadataPeriod, () => this.syncBrokerMetadata());
    if (!this.listening) {
      this.listening = true;
      this.ha.onSyncStateSetChanged((proposed) => {
        this.lastProposal = new Set(proposed);
        void this.reportSyncStateSet(proposed);
      });
    }
    return true;
  }

  /** A method, not a comparison TypeScript narrows: shutdown() changes the state while a start is awaited. */
  private stopped(): boolean {
    return this.state === 'SHUTDOWN';
  }

  setFenced(fenced: boolean): void {
    this.fenced = fenced;
    this.o.setFenced?.(fenced);
  }

  /** Java's synchronized: one role-state step at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  // ---- controller leader ----

  private async firstControllerMetadata(): Promise<boolean> {
    for (let i = 0; i < 3 && !this.stopped(); i++) {
      if (await this.peers.updateLeader()) {
        this.timers.every(this.timing.firstSyncDelayMs, this.config.syncControllerMetadataPeriod, () => this.peers.updateLeader());
        return true;
      }
      if (this.peers.available.size === 0) await this.peers.scan();
      await this.timers.sleep(this.timing.metadataRetryMs);
    }
    log.error(`controller: no leader found among ${this.peers.addresses.join(';')}`);
    return false;
  }

  // ---- heartbeat and election ----

  /** BROKER_HEARTBEAT to every reachable controller (each keeps its own view of who is alive). */
  async sendHeartbeatToController(): Promise<void> {
    const c = this.config;
    const hb = {
      clusterName: c.brokerClusterName, brokerName: c.brokerName, brokerAddr: this.brokerAddr, brokerId: this.brokerControllerId,
      epoch: this.ha.lastEpoch(), maxOffset: this.ha.maxPhyOffset(), confirmOffset: this.ha.confirmOffset(),
      heartbeatTimeoutMills: c.controllerHeartBeatTimeoutMills, electionPriority: c.brokerElectionPriority,
    };
    await Promise.all([...this.peers.available].map((addr) => this.api.sendHeartbeat(addr, hb).catch((e: Error) => {
      log.warn(`controller: heartbeat to ${addr} failed: ${e.message}`);
    })));
  }

  /** CONTROLLER_ELECT_MASTER for this broker set; true once a master is known. Call inside `exclusive`. */
  async brokerElect(): Promise<boolean> {
    try {
      const r = await this.api.electMaster(this.controllerLeaderAddress, this.config.brokerClusterName, this.config.brokerName, this.brokerControllerId ?? -1);
      if (!r.masterAddress || r.masterBrokerId === undefined) {
        log.warn('controller: no master in this broker set yet');
        return false;
      }
      await this.applyMaster(r);
      return true;
    } catch (e) {
      log.warn(`controller: elect failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** A master named by the controller (register, elect, replica info): become it or follow it. */
  async applyMaster(r: MasterInfo): Promise<void> {
    if (r.masterBrokerId === undefined || r.masterEpoch === undefined) return;
    if (r.masterBrokerId === this.brokerControllerId) await this.changeToMaster(r.masterEpoch, r.syncStateSetEpoch ?? 0, r.syncStateSet);
    else await this.changeToSlave(r.masterAddress ?? '', r.masterEpoch, r.masterBrokerId);
  }

  // ---- role changes ----

  /** NOTIFY_BROKER_ROLE_CHANGED: the controller's word, fenced by the master epoch. */
  changeBrokerRole(masterBrokerId: number | undefined, masterAddress: string, masterEpoch: number, syncStateSetEpoch: number, syncStateSet: Set<number>): Promise<void> {
    return this.exclusive(async () => {
      if (masterBrokerId === undefined || masterEpoch <= this.masterEpoch) return;
      await this.applyMaster({ masterBrokerId, masterAddress, masterEpoch, syncStateSetEpoch, syncStateSet });
    });
  }

  private async changeToMaster(epoch: number, syncStateSetEpoch: number, syncStateSet: Set<number>): Promise<void> {
    if (epoch <= this.masterEpoch) return;
    log.info(`controller: ${this.config.brokerName} id ${this.brokerControllerId} becomes master, epoch ${epoch}`);
    this.masterEpoch = epoch;
    const wasMaster = this.masterBrokerId === this.brokerControllerId && this.config.brokerId === 0;
    this.changeSyncStateSet(syncStateSet, syncStateSetEpoch);
    if (wasMaster) {
      this.ha.changeToMasterWhenLastRoleIsMaster(epoch);
    } else {
      if (!(await this.ha.changeToMaster(epoch))) log.warn(`controller: store refused master epoch ${epoch} (last ${this.ha.lastEpoch()})`);
      this.masterAddress = this.brokerAddr;
      this.masterBrokerId = this.brokerControllerId;
      this.timers.every(this.timing.firstSyncDelayMs, this.config.checkSyncStateSetPeriod, () => this.checkSyncStateSetAndReport(), 'checkSyncStateSet');
    }
    await this.applyRole({ role: 'SYNC_MASTER', brokerId: 0, epoch });
    void this.checkSyncStateSetAndReport();
  }

  /**
   * The store switches before the broker's role, unlike Java's order: RoleHost.applyRole ends with the
   * namesrv registration whose answer carries the master's HA address, and AutoSwitchHa#changeToSlave
   * clears that address, so the switch must come first (Java registers last, asynchronously).
   */
  private async changeToSlave(masterAddr: string, epoch: number, masterId: number): Promise<void> {
    if (epoch <= this.masterEpoch) return;
    const selfId = this.brokerControllerId;
    if (selfId === undefined) return;
    log.info(`controller: ${this.config.brokerName} id ${selfId} follows master ${masterId} at ${masterAddr}, epoch ${epoch}`);
    this.masterEpoch = epoch;
    if (masterId === this.masterBrokerId) {
      this.ha.changeToSlaveWhenMasterNotChange(masterAddr, epoch);
    } else {
      this.timers.cancel('checkSyncStateSet');
      this.masterAddress = masterAddr;
      this.masterBrokerId = masterId;
      if (!(await this.ha.changeToSlave(masterAddr, epoch, selfId))) log.warn(`controller: store refused slave epoch ${epoch} (last ${this.ha.lastEpoch()})`);
    }
    await this.applyRole({ role: 'SLAVE', brokerId: selfId, masterAddr, epoch });
  }

  private async applyRole(change: Parameters<RoleHost['applyRole']>[0]): Promise<void> {
    try {
      await this.o.roleHost.applyRole(change);
    } catch (e) {
      log.error(`controller: applying role ${change.role} failed: ${(e as Error).stack ?? e}`);
    }
  }

  isMasterState(): boolean {
    return this.config.brokerRole === 'SYNC_MASTER';
  }

  // ---- in-sync set ----

  private changeSyncStateSet(set: Set<number>, epoch: number): void {
    if (epoch <= this.syncStateSetEpoch) return;
    log.info(`controller: in-sync set [${[...this.syncStateSet]}] -> [${[...set]}] (epoch ${epoch})`);
    this.syncStateSetEpoch = epoch;
    this.syncStateSet = new Set(set);
    this.ha.setSyncStateSet(new Set(set));
  }

  /** checkSyncStateSetAndDoReport: every checkSyncStateSetPeriod on a master. */
  async checkSyncStateSetAndReport(): Promise<void> {
    if (this.brokerControllerId === undefined || !this.isMasterState()) return;
    const proposed = this.ha.maybeShrinkSyncStateSet?.() ?? this.lastProposal;
    if (!proposed) return;
    const next = new Set(proposed).add(this.brokerControllerId);
    if (sameSet(next, this.syncStateSet)) return;
    await this.reportSyncStateSet(next);
  }

  /** CONTROLLER_ALTER_SYNC_STATE_SET; the controller's answer is the set applied. */
  async reportSyncStateSet(proposed: Set<number>): Promise<void> {
    const self = this.brokerControllerId;
    if (self === undefined || !this.controllerLeaderAddress) return;
    // The store may propose the set it already has (one proposal per caught-up slave), or the listener and the
    // periodic check the same set at once: the controller refuses an unchanged set, and one request is enough.
    if (sameSet(proposed, this.syncStateSet)) return;
    const key = `${this.masterEpoch}/${this.syncStateSetEpoch}/${[...proposed].sort((x, y) => x - y)}`;
    if (this.reporting.has(key)) return;
    this.reporting.add(key);
    try {
      const r = await this.api.alterSyncStateSet(this.controllerLeaderAddress, this.config.brokerName, self, this.masterEpoch, {
        syncStateSet: proposed, syncStateSetEpoch: this.syncStateSetEpoch,
      });
      await this.exclusive(async () => this.changeSyncStateSet(r.syncStateSet, r.syncStateSetEpoch));
    } catch (e) {
      log.warn(`controller: in-sync set [${[...proposed]}] refused (sent as ${key}): ${(e as Error).message}`);
    } finally {
      this.reporting.delete(key);
    }
  }

  // ---- periodic sync ----

  /** schedulingSyncBrokerMetadata's task: GET_REPLICA_INFO, then follow a newer master or elect when there is none. */
  async syncBrokerMetadata(): Promise<void> {
    try {
      const info = await this.api.getReplicaInfo(this.controllerLeaderAddress, this.config.brokerName);
      await this.exclusive(async () => {
        const epoch = info.masterEpoch ?? 0;
        if (epoch > this.masterEpoch) {
          if (info.masterAddress && info.masterBrokerId !== undefined) await this.applyMaster(info);
          else await this.brokerElect();
        } else if (epoch === this.masterEpoch && this.isMasterState()) {
          this.changeSyncStateSet(info.syncStateSet, info.syncStateSetEpoch);
        }
      });
    } catch (e) {
      log.warn(`controller: replica info of ${this.config.brokerName} failed: ${(e as Error).message}`);
      // The controller lost this broker (CleanBrokerData, a new controller group): register again.
      if (e instanceof ControllerError && e.code === ResponseCode.CONTROLLER_BROKER_METADATA_NOT_EXIST) {
        await this.exclusive(() => this.registration.registerBrokerToController());
        await this.timers.sleep(2000);
      }
    }
  }

  epochEntries(): EpochEntry[] {
    return this.ha.epochEntries();
  }
}
