/**
 * The store's replication in controller mode (AutoSwitchHAService 5.3.3): one broker that is master or
 * slave as the controller says, and switches at runtime. It owns the epoch file, the HA listener and its
 * slave connections (AutoSwitchMaster), the connection to a master (AutoSwitchClient), the in-sync set,
 * and answers a put as CommitLog#asyncPutMessage / #handleHA do in controller mode:
 *   - refused SERVICE_NOT_AVAILABLE unless this broker is the master (a slave, or no role yet);
 *   - a send that waits for replicas (WAIT not "false", brokerRole SYNC_MASTER) is refused
 *     IN_SYNC_REPLICAS_NOT_ENOUGH, before it is stored, while fewer than minInSyncReplicas are in sync;
 *   - once stored it is answered after every in-sync replica has it (allAckInSyncStateSet) or after
 *     inSyncReplicas replicas have it, FLUSH_SLAVE_TIMEOUT after slaveTimeout (it stays stored).
 */
import { log } from '../../../logger.js';
import type { BrokerConfig } from '../../../config/broker-config.js';
import type { CommitLog } from '../../commit-log.js';
import { isWaitStoreMsgOK } from '../../write-pipeline.js';
import type { HaStatus, HaTls, PutMessageResult } from '../../types.js';
import type { HeldDispatches } from '../../held-dispatches.js';
import type { ReplicaLog } from '../replica-log.js';
import { EpochFile, epochFilePath, OPEN_END_OFFSET } from './epoch-file.js';
import { ALL_ACK_IN_SYNC_STATE_SET, AutoSwitchMaster } from './master-service.js';
import { AutoSwitchClient } from './slave-client.js';
import type { AutoSwitchHa, EpochEntry } from './types.js';

/** What the service needs from the store beyond the log. */
export interface AutoSwitchStoreHooks {
  /**
   * Cuts the CommitLog and the queues at `offset` (DefaultMessageStore#truncateTo): a record start (Java's
   * truncateFiles, isOffsetAligned), or with `checked` false anywhere (truncateDirtyFiles).
   */
  truncateTo(offset: number, checked?: boolean): Promise<void>;
  /** Writes what the write pipeline has appended and not yet written (before a role change). */
  settleWrites(): void;
  /** The write pipeline's units waiting for the confirm offset. */
  held: HeldDispatches;
}

type Role = 'none' | 'master' | 'slave';

export class AutoSwitchService implements AutoSwitchHa {
  readonly epochs: EpochFile;
  readonly master: AutoSwitchMaster;
  private client: AutoSwitchClient | undefined;
  private role: Role = 'none';
  private localBrokerId: number | undefined;
  /** A slave's confirm offset, as the master last sent it. */
  private slaveConfirm = -1;
  private tlsClient: HaTls['client'];
  private started = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly commitLog: CommitLog,
    private readonly replica: ReplicaLog,
    private readonly hooks: AutoSwitchStoreHooks,
  ) {
    this.epochs = new EpochFile(epochFilePath(config.storePathRootDir, config.storePathEpochFile));
    this.master = new AutoSwitchMaster(config, {
      maxOffset: () => commitLog.maxOffset,
      minOffset: () => commitLog.minOffset,
      segmentBytes: commitLog.segmentBytes,
      read: (offset, max) => commitLog.readAvailable(offset, max),
    }, this.epochs, () => this.releaseConfirmed());
    hooks.held.bound = () => (this.role === 'master' ? this.master.inSync.confirmOffset() : -1);
  }

  /** After recovery: the epoch file is read, the HA port opens; the role comes from the controller. */
  async start(): Promise<void> {
    this.epochs.load();
    // Entries past the log end describe bytes lost in a crash (AutoSwitchHAService recovery does the same).
    this.epochs.truncateSuffixByOffset(this.commitLog.maxOffset + 1);
    this.replica.start();
    await this.master.start();
    this.started = true;
  }

  useTls(t: HaTls): void {
    this.master.tls = t.server;
    this.tlsClient = t.client;
  }

  get isMaster(): boolean {
    return this.role === 'master';
  }

  setLocalBrokerId(id: number): void {
    this.localBrokerId = id;
    this.master.inSync.localBrokerId = id;
  }

  async changeToMaster(epoch: number): Promise<boolean> {
    if (epoch < this.epochs.lastEpoch()) {
      log.warn(`ha: new master epoch ${epoch} < last epoch ${this.epochs.lastEpoch()}: not changing to master`);
      return false;
    }
    this.master.destroyConnections();
    this.stopClient();
    let cut: number;
    try {
      cut = await this.truncateInvalid();
    } catch (e) {
      // Writing after a half record would corrupt the log: better no master than that.
      log.error(`ha: cannot become master of epoch ${epoch}: cutting the partial tail failed: ${(e as Error).message}`);
      return false;
    }
    const wasSlave = this.role === 'slave';
    if (wasSlave) {
      // What the old master confirmed is dispatched; the rest waits for this master's confirm offset, which
      // starts from the slave's (CommitLog#confirmOffset is one value in Java, kept across the switch).
      this.replica.dispatch();
      this.hooks.held.add(this.replica.takeRest());
    }
    this.master.inSync.recompute(wasSlave ? this.slaveConfirm : undefined);
    if (cut >= 0) this.epochs.truncateSuffixByOffset(cut);
    this.appendEpoch(epoch);
    this.role = 'master';
    this.releaseConfirmed();
    log.info(`ha: master of epoch ${epoch} from offset ${this.commitLog.maxOffset} (cut to ${cut}); confirm offset ${this.confirmOffset()}`);
    return true;
  }

  changeToMasterWhenLastRoleIsMaster(epoch: number): boolean {
    if (epoch < this.epochs.lastEpoch()) return false;
    this.appendEpoch(epoch);
    return true;
  }

  private appendEpoch(epoch: number): void {
    if (this.epochs.lastEpoch() >= epoch) this.epochs.truncateSuffixByEpoch(epoch);
    // As Java, an epoch that would start where the last one does is refused (logged) and the last stays.
    this.epochs.append(epoch, this.commitLog.maxOffset);
  }

  async changeToSlave(masterAddr: string, epoch: number, selfBrokerId: number): Promise<boolean> {
    if (epoch < this.epochs.lastEpoch()) {
      log.warn(`ha: new master epoch ${epoch} < last epoch ${this.epochs.lastEpoch()}: not changing to slave`);
      return false;
    }
    this.master.destroyConnections();
    this.stopClient();
    if (this.role !== 'slave') {
      // The replica dispatches from the first unit the write pipeline still held for the confirm offset (or the
      // log end), bounded by the new master's confirm offset, as the Java reput goes on from where it stands.
      this.hooks.settleWrites();
      if (this.role === 'master') this.slaveConfirm = Math.min(this.master.inSync.confirmOffset(), this.commitLog.maxOffset);
      this.replica.bound = this.slaveConfirm;
      this.replica.start(this.hooks.held.clear());
    }
    this.role = 'slave';
    this.localBrokerId = selfBrokerId;
    this.master.inSync.localBrokerId = selfBrokerId;
    const client = new AutoSwitchClient(this.config, this.replica, this.epochs, {
      truncateTo: (o) => this.truncateTo(o),
      truncateInvalid: () => this.truncateInvalid(),
      setConfirmOffset: (o) => {
        this.slaveConfirm = o;
        this.replica.bound = o; // dispatched as the client reads on (one dispatch per socket read)
      },
    }, selfBrokerId);
    client.tls = this.tlsClient;
    this.client = client;
    if (this.started) client.start();
    log.info(`ha: slave (broker ${selfBrokerId}) of ${masterAddr} in epoch ${epoch}; waiting for the master's HA address`);
    return true;
  }

  changeToSlaveWhenMasterNotChange(_masterAddr: string, epoch: number): boolean {
    return epoch >= this.epochs.lastEpoch();
  }

  updateHaMasterAddress(haAddr: string): void {
    this.client?.updateHaMasterAddress(haAddr);
  }

  setSyncStateSet(ids: Set<number>): void {
    this.master.inSync.apply(ids);
    this.releaseConfirmed();
    this.master.settleWaiters();
  }

  /**
   * A master's confirm offset may have moved (a slave's ack, a new in-sync set, the 1 s tick): the units held
   * for it are written, before the sends that waited for the same acks are answered.
   */
  private releaseConfirmed(): void {
    if (this.role === 'master') this.hooks.held.release(this.master.inSync.confirmOffset());
  }

  getSyncStateSet(): Set<number> {
    return this.master.inSync.get();
  }

  onSyncStateSetChanged(listener: (proposed: Set<number>) => void): void {
    this.master.inSync.onChanged(listener);
  }

  maybeShrinkSyncStateSet(): Set<number> {
    return this.master.inSync.maybeShrink();
  }

  lastEpoch(): number {
    return this.epochs.lastEpoch();
  }

  /** The entries with the last one closed at the log end (as ReplicasManager answers GET_BROKER_EPOCH_CACHE). */
  epochEntries(): EpochEntry[] {
    const all = this.epochs.entries();
    const last = all[all.length - 1];
    if (last && last.endOffset === OPEN_END_OFFSET) last.endOffset = this.commitLog.maxOffset;
    return all;
  }

  confirmOffset(): number {
    return this.role === 'slave' ? this.slaveConfirm : this.master.inSync.confirmOffset();
  }

  maxPhyOffset(): number {
    return this.commitLog.maxOffset;
  }

  // ------------------------------------------------------------ the store's put path

  /** Before a put is stored: undefined to go on, else the refusal. */
  beforePut(properties: string): PutMessageResult | undefined {
    if (this.role !== 'master') {
      return { status: 'SERVICE_NOT_AVAILABLE', remark: this.role === 'slave' ? 'broker role is slave' : 'broker has no role from the controller yet' };
    }
    if (this.needsReplicas(properties) && this.master.inSync.inSyncReplicasNums() < this.config.minInSyncReplicas) {
      return { status: 'IN_SYNC_REPLICAS_NOT_ENOUGH', remark: 'in-sync replicas not enough' };
    }
    return undefined;
  }

  /** CommitLog#needHandleHA: the send waits for its store, the broker is a SYNC_MASTER. */
  needsReplicas(properties: string): boolean {
    return this.config.brokerRole === 'SYNC_MASTER' && isWaitStoreMsgOK(properties);
  }

  /** CommitLog#handleHA: the stored put answered once its replicas have it. */
  async afterPut(put: Promise<PutMessageResult>, properties: string): Promise<PutMessageResult> {
    const r = await put;
    const a = r.appendResult;
    if (!a || (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') || !this.needsReplicas(properties)) return r;
    const ackNums = this.config.allAckInSyncStateSet ? ALL_ACK_IN_SYNC_STATE_SET : this.config.inSyncReplicas;
    if (ackNums >= 0 && ackNums <= 1) return r;
    const ok = await this.master.waitForReplicas(a.wroteOffset + a.wroteBytes, ackNums);
    return ok ? r : { ...r, status: 'FLUSH_SLAVE_TIMEOUT' };
  }

  notifyWritten(): void {
    if (this.role === 'master') this.master.notifyWritten();
  }

  // ------------------------------------------------------------ truncation

  private async truncateTo(offset: number, checked = true): Promise<void> {
    await this.hooks.truncateTo(offset, checked);
    this.replica.rewind(offset);
  }

  /**
   * AutoSwitchHAService#truncateInvalidMsg: bytes after the last whole record the replica dispatched are a
   * record cut off in transfer; they go. The offset cut to, or -1 when the log ends with a whole record.
   */
  private async truncateInvalid(): Promise<number> {
    if (this.role !== 'slave') return -1;
    this.replica.dispatch();
    const whole = this.replica.wholeEnd();
    if (whole >= this.commitLog.maxOffset) return -1;
    log.info(`ha: cutting the partial record after ${whole} (log end ${this.commitLog.maxOffset})`);
    // Unchecked, as truncateInvalidMsg's truncateDirtyFiles: what follows may be no record at all.
    await this.truncateTo(whole, false);
    return whole;
  }

  private stopClient(): void {
    this.client?.stop();
    this.client = undefined;
  }

  status(): HaStatus {
    return {
      role: this.role === 'slave' ? 'SLAVE' : (this.config.brokerRole as HaStatus['role']),
      slaves: this.master.slaves(),
      push2SlaveMaxOffset: Math.max(0, ...this.master.slaves().map((s) => s.ackOffset)),
      masterHaAddress: this.client?.masterAddress ?? '',
      connected: this.client?.isConnected ?? false,
      lastReadAgoMs: this.client?.lastReadAgoMs ?? -1,
    };
  }

  /**
   * `clean` (a shutdown, not a simulated kill): what waits for the confirm offset is dispatched first. A clean
   * restart re-reads only the last segment, so a unit not written now would be missing for good; a crash
   * recovery re-dispatches everything it reads anyway.
   */
  async stop(clean = true): Promise<void> {
    this.stopClient();
    if (clean) {
      this.hooks.held.release(Number.MAX_SAFE_INTEGER);
      if (this.role === 'slave') {
        // Only a slave's replica dispatches: a master's records past its start are the write pipeline's.
        this.replica.bound = Number.MAX_SAFE_INTEGER;
        this.replica.dispatch();
      }
    }
    await this.master.stop();
  }
}
