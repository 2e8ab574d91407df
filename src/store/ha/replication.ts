/**
 * Replication as one part of the store, by brokerRole: a master runs the HA listener (and, as
 * SYNC_MASTER, holds each send until a slave has it); a slave writes the master's bytes through its
 * replica log and keeps the HA connection to the master. The store façade calls this at start, after
 * every write tick, around every put, and at shutdown.
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { CommitLog } from '../commit-log.js';
import { isWaitStoreMsgOK } from '../write-pipeline.js';
import type { HaStatus, HaTls, PutMessageResult } from '../types.js';
import { HaClient } from './ha-client.js';
import { HaService } from './ha-service.js';
import { ReplicaLog, type ReplicaParts } from './replica-log.js';

export class Replication {
  private readonly master: HaService | undefined;
  private readonly replica: ReplicaLog | undefined;
  private readonly client: HaClient | undefined;
  readonly syncMaster: boolean;

  constructor(private readonly config: BrokerConfig, commitLog: CommitLog, replicaParts: ReplicaParts) {
    this.syncMaster = config.brokerRole === 'SYNC_MASTER';
    if (config.brokerRole === 'SLAVE') {
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
  async start(): Promise<void> {
    if (this.master) await this.master.start();
    if (this.replica) {
      this.replica.start();
      this.client!.start();
    }
  }

  /** Before start(). */
  useTls(t: HaTls): void {
    if (this.master) this.master.tls = t.server;
    if (this.client) this.client.tls = t.client;
  }

  /** The end of a write tick: new bytes for the slaves. */
  notifyWritten(): void {
    this.master?.notifyWritten();
  }

  /**
   * SYNC_MASTER (CommitLog#handleHA): a stored message that wants to wait (WAIT not "false") is answered
   * once a slave has it; FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE otherwise, which override a flush
   * timeout. The message stays stored on the master either way.
   */
  async afterPut(put: Promise<PutMessageResult>, properties: string): Promise<PutMessageResult> {
    const r = await put;
    const a = r.appendResult;
    if (!this.master || !a || (r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT') || !isWaitStoreMsgOK(properties)) return r;
    const replica = await this.master.waitForReplica(a.wroteOffset + a.wroteBytes);
    return replica === 'PUT_OK' ? r : { ...r, status: replica };
  }

  updateMasterAddress(addr: string | undefined): void {
    this.client?.updateMasterAddress(addr);
  }

  status(): HaStatus {
    return {
      role: this.config.brokerRole as HaStatus['role'],
      slaves: this.master?.slaves() ?? [],
      push2SlaveMaxOffset: this.master?.push2SlaveMaxOffset ?? 0,
      masterHaAddress: this.client?.masterAddress ?? '',
      connected: this.client?.isConnected ?? false,
      lastReadAgoMs: this.client?.lastReadAgoMs ?? -1,
    };
  }

  async stop(): Promise<void> {
    this.client?.stop();
    await this.master?.stop();
  }
}
