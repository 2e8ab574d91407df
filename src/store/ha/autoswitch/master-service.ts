/**
 * The master's side of AutoSwitchHA: the HA listener (open in every role, as AutoSwitchHAService's
 * accept service is: a slave told of a new master may connect before that broker has switched), the
 * slave connections, the in-sync set they feed, and the sends that wait for replicas
 * (GroupTransferService in controller mode): with allAckInSyncStateSet a send waits until every member
 * of the in-sync set has it, otherwise until `ackNums` replicas (master included) have it;
 * FLUSH_SLAVE_TIMEOUT after slaveTimeout.
 */
import { log } from '../../../logger.js';
import type { TlsServerSide } from '../../../remoting/tls-accept.js';
import { HaListener } from '../ha-listener.js';
import type { BrokerConfig } from '../../../config/broker-config.js';
import type { EpochFile } from './epoch-file.js';
import { InSyncSet } from './in-sync-set.js';
import { MasterConnection, type MasterConnectionOwner } from './master-connection.js';

/** How often connections are checked for heartbeats and silence. */
const TICK_MS = 1_000;
/** MixAll.ALL_ACK_IN_SYNC_STATE_SET: a send waits for every member of the in-sync set. */
export const ALL_ACK_IN_SYNC_STATE_SET = -1;

export interface MasterLog {
  maxOffset(): number;
  minOffset(): number;
  readonly segmentBytes: number;
  read(offset: number, max: number): Buffer;
}

interface Waiter {
  end: number;
  ackNums: number;
  deadline: number;
  resolve: (ok: boolean) => void;
}

export class AutoSwitchMaster implements MasterConnectionOwner {
  readonly batchBytes: number;
  readonly heartbeatMs: number;
  readonly housekeepingMs: number;
  readonly segmentBytes: number;
  readonly inSync: InSyncSet;
  readonly conns = new Set<MasterConnection>();
  private timer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private waitTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  tls: TlsServerSide | undefined;
  private readonly listener: HaListener;

  /**
   * `onConfirm`: the confirm offset may have moved (an ack, the 1 s tick); the store writes the units held
   * for it, before waiting sends are answered.
   */
  constructor(
    private readonly config: BrokerConfig, private readonly log_: MasterLog, readonly epochs: EpochFile,
    private readonly onConfirm: () => void = () => {},
  ) {
    this.batchBytes = config.haTransferBatchSize;
    this.heartbeatMs = config.haSendHeartbeatInterval;
    this.housekeepingMs = config.haHousekeepingInterval;
    this.listener = new HaListener(config.haListenPort, this.housekeepingMs);
    this.segmentBytes = log_.segmentBytes;
    this.inSync = new InSyncSet({
      maxOffset: () => log_.maxOffset(),
      lastEpochStart: () => epochs.lastEntry()?.startOffset ?? -1,
      slaves: () => [...this.conns].filter((c) => c.slaveId >= 0),
      allAckInSyncStateSet: config.allAckInSyncStateSet,
      haMaxTimeSlaveNotCatchupMs: config.haMaxTimeSlaveNotCatchup,
    });
  }

  maxOffset(): number {
    return this.log_.maxOffset();
  }

  minOffset(): number {
    return this.log_.minOffset();
  }

  read(offset: number, max: number): Buffer {
    return this.log_.read(offset, max);
  }

  confirmOffset(): number {
    return this.inSync.confirmOffset();
  }

  async start(): Promise<void> {
    await this.listener.listen(this.tls, (stream, overTls) => {
      const conn = new MasterConnection(stream, this);
      this.conns.add(conn);
      log.info(`ha: slave ${conn.addr} connected${overTls ? ' over TLS' : ''} (${this.conns.size} connected)`);
    });
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.tick(now);
      this.onConfirm();
      this.settleWaiters();
      this.trimEpochPrefix();
    }, TICK_MS);
    this.timer.unref();
    log.info(`ha: AutoSwitchHA listening on port ${this.config.haListenPort}`);
  }

  /**
   * Epochs wholly in deleted segments go (DefaultMessageStore's clean service calls
   * AutoSwitchHAService#truncateEpochFilePrefix(minPhyOffset - 1) after deleting CommitLog files).
   */
  private trimEpochPrefix(): void {
    const min = this.log_.minOffset();
    const first = this.epochs.firstEntry();
    if (min > 0 && first && first.endOffset <= min - 1) this.epochs.truncatePrefixByOffset(min - 1);
  }

  /** New bytes are in the log: send them on. */
  notifyWritten(): void {
    for (const c of this.conns) c.push();
  }

  onAck(conn: MasterConnection, offset: number): void {
    if (conn.slaveId >= 0) this.inSync.onAck(conn.slaveId, offset, conn.asyncLearner, conn.lastMasterMaxOffset, conn.lastTransferAtMs);
    this.onConfirm();
    this.settleWaiters();
  }

  onCaughtUp(conn: MasterConnection, atMs: number): void {
    if (conn.slaveId >= 0) this.inSync.caughtUp(conn.slaveId, atMs);
  }

  onClose(conn: MasterConnection): void {
    this.conns.delete(conn);
    if (!this.stopping && conn.slaveId >= 0) this.inSync.onDisconnect(conn.slaveId);
  }

  /** Drops every slave connection (a role change: AutoSwitchHAService#destroyConnections). */
  destroyConnections(): void {
    for (const c of [...this.conns]) c.close('role change');
  }

  /** Resolves true once enough replicas have every byte before `end`, false at slaveTimeout. */
  waitForReplicas(end: number, ackNums: number): Promise<boolean> {
    if (this.enoughAcks(end, ackNums)) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiters.push({ end, ackNums, deadline: Date.now() + this.config.slaveTimeout, resolve });
      if (!this.waitTimer) this.armTimeout();
    });
  }

  /** GroupTransferService#doWaitTransfer's test for one request. */
  private enoughAcks(end: number, ackNums: number): boolean {
    if (ackNums === ALL_ACK_IN_SYNC_STATE_SET) {
      const set = this.inSync.get();
      if (set.size <= 1) return true;
      let acks = 1; // the master
      for (const c of this.conns) if (set.has(c.slaveId) && c.slaveAckOffset >= end) acks++;
      return acks >= set.size;
    }
    let acks = 1;
    for (const c of this.conns) if (c.slaveAckOffset >= end) acks++;
    return acks >= ackNums;
  }

  /** After an ack, a set change or a lost slave: answer every waiter that now has its replicas. */
  settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.enoughAcks(w.end, w.ackNums)) w.resolve(true);
      else still.push(w);
    }
    this.waiters = still;
  }

  private armTimeout(): void {
    this.waitTimer = undefined;
    const now = Date.now();
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.deadline <= now) w.resolve(false);
      else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0) return;
    let next = still[0].deadline;
    for (const w of still) if (w.deadline < next) next = w.deadline;
    this.waitTimer = setTimeout(() => this.armTimeout(), Math.max(1, next - now));
  }

  slaves(): Array<{ addr: string; ackOffset: number; slaveId: number; inSync: boolean }> {
    const set = this.inSync.getLocal();
    return [...this.conns].map((c) => ({ addr: c.addr, ackOffset: c.slaveAckOffset, slaveId: c.slaveId, inSync: set.has(c.slaveId) }));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
    for (const c of [...this.conns]) c.close('shutdown');
    await this.listener.close();
  }
}
