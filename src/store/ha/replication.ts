/**
 * Replication as one part of the store, by brokerRole: a master runs the HA listener (and, as
 * SYNC_MASTER, holds each send until a slave has it); a slave writes the master's bytes through its
 * replica log and keeps the HA connection to the master. With enableControllerMode the role is not
 * fixed: AutoSwitchService (autoswitch/) speaks AutoSwitchHA and switches as the controller says. The
 * store façade calls this at start, after every write tick, around every put, and at shutdown.
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { CommitLog } from '../commit-log.js';
import { isWaitStoreMsgOK } from '../write-pipeline.js';
import type { HaStatus, HaTls, PutMessageResult } from '../types.js';
import { HaClient } from './ha-client.js';
import { HaService } from './ha-service.js';
import type { WritePipeline } from '../write-pipeline.js';
import { ReplicaLog, type ReplicaParts } from './replica-log.js';
import { AutoSwitchService } from './autoswitch/auto-switch-service.js';

/** The store's parts replication works with (DefaultMessageStore hands them over once). */
export interface StoreSide extends Omit<ReplicaParts, 'onDispatched'> {
  writer: WritePipeline;
  /** Controller mode: cut the log and its queues at a record start; `checked` false: anywhere (DefaultMessageStore#truncateTo). */
  truncateTo(offset: number, checked?: boolean): Promise<void>;
}

export class Replication {
  private readonly master: HaService | undefined;
  private readonly replica: ReplicaLog | undefined;
  private readonly client: HaClient | undefined;
  /** Controller mode: the store's `autoSwitch` member. */
  readonly autoSwitch: AutoSwitchService | undefined;
  private readonly fixedSyncMaster: boolean;

  constructor(private readonly config: BrokerConfig, side: StoreSide) {
    const { commitLog, writer } = side;
    const replicaParts: ReplicaParts = {
      ...side,
      onDispatched: (t) => {
        writer.lastWrittenTimestamp = t;
        writer.lastDispatchedTimestamp = t;
      },
    };
    this.fixedSyncMaster = config.brokerRole === 'SYNC_MASTER';
    if (config.enableControllerMode) {
      // The role (and brokerRole) changes at runtime; no 4.x HA client or listener, whatever brokerRole says at start.
      this.autoSwitch = new AutoSwitchService(config, commitLog, new ReplicaLog(replicaParts), {
        truncateTo: (o, checked) => side.truncateTo(o, checked),
        settleWrites: () => {
          if (writer.hasPending()) writer.runTick();
        },
        held: writer.held!,
      });
    } else if (config.brokerRole === 'SLAVE') {
      this.replica = new ReplicaLog(replicaParts);
      this.client = new HaClient(config, this.replica);
    } else {
      this.master = new HaService(config, {
        maxOffset: () => commitLog.maxOffset,
        segmentBytes: commitLog.segmentBytes,
        read: (offset, max) => commitLog.readAvailable(offset, max),
      });
    }
  }

  /** After recovery. A master whose HA port is taken does not start (as the Java broker). */
  /** Whether puts go through beforePut / afterPut (a 4.x SYNC_MASTER, or controller mode). */
  get syncMaster(): boolean {
    return this.autoSwitch !== undefined || this.fixedSyncMaster;
  }

  /** Controller mode: a refusal before the put is stored (not the master; too few in-sync replicas). */
  beforePut(properties: string): PutMessageResult | undefined {
    return this.autoSwitch?.beforePut(properties);
  }

  async start(): Promise<void> {
    if (this.autoSwitch) await this.autoSwitch.start();
    if (this.master) await this.master.start();
    if (this.replica) {
      this.replica.start();
      this.client!.start();
    }
  }

  /** Before start(). */
  useTls(t: HaTls): void {
    this.autoSwitch?.useTls(t);
    if (this.master) this.master.tls = t.server;
    if (this.client) this.client.tls = t.client;
  }

  /** The end of a write tick: new bytes for the slaves. */
  notifyWritten(): void {
    this.master?.notifyWritten();
    this.autoSwitch?.notifyWritten();
  }

  /**
   * SYNC_MASTER (CommitLog#handleHA): a stored message that wants to wait (WAIT not "false") is answered
   * once a slave has it; FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE otherwise, which override a flush
   * timeout. The message stays stored on the master either way.
   */
  async afterPut(put: Promise<PutMessageResult>, properties: string): Promise<PutMessageResult> {
    if (this.autoSwitch) return this.autoSwitch.afterPut(put, properties);
    const r = await put;
    const a = r.appendResult;
    if (!this.master || !a || (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') || !isWaitStoreMsgOK(properties)) return r;
    const replica = await this.master.waitForReplica(a.wroteOffset + a.wroteBytes);
    return replica === 'PUT_OK' ? r : { ...r, status: replica };
  }

  updateMasterAddress(addr: string | undefined): void {
    // Controller mode: the HA address comes through autoSwitch.updateHaMasterAddress (the broker's role switch).
    this.client?.updateMasterAddress(addr);
  }

  status(): HaStatus {
    if (this.autoSwitch) return this.autoSwitch.status();
    return {
      role: this.config.brokerRole as HaStatus['role'],
      slaves: this.master?.slaves() ?? [],
      push2SlaveMaxOffset: this.master?.push2SlaveMaxOffset ?? 0,
      masterHaAddress: this.client?.masterAddress ?? '',
      connected: this.client?.isConnected ?? false,
      lastReadAgoMs: this.client?.lastReadAgoMs ?? -1,
    };
  }

  /** `clean` false: a simulated kill (DefaultMessageStore#abandon), nothing more reaches the queues. */
  async stop(clean = true): Promise<void> {
    await this.autoSwitch?.stop(clean);
    this.client?.stop();
    await this.master?.stop();
  }
}
