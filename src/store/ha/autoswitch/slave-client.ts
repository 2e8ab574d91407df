/**
 * A controller-mode slave's connection to its master (AutoSwitchHAClient 5.3.3):
 *   READY      cut a partial record left by a broken transfer, then connect to the master's HA address
 *   HANDSHAKE  send broker id and flags; the master answers with its log end and epoch entries; cut this
 *              log back to the consistent point (the end of the newest epoch both logs began at the same
 *              offset), then report this log's end, where the master starts sending
 *   TRANSFER   write each frame's bytes at the master's offset through the replica log, record each new
 *              epoch in the epoch file, keep the master's confirm offset, report the log end after every
 *              frame that grew it and every haSendHeartbeatInterval
 * A frame for any other offset than this log's end closes the connection (it is made again, with a new
 * handshake).
 */
import net from 'node:net';
import tls from 'node:tls';
import { log } from '../../../logger.js';
import type { BrokerConfig } from '../../../config/broker-config.js';
import { ByteQueue } from '../byte-queue.js';
import type { ReplicaLog } from '../replica-log.js';
import { consistentPoint, type EpochFile } from './epoch-file.js';
import {
  HAConnectionState, MASTER_HANDSHAKE_HEADER_BYTES, MASTER_TRANSFER_HEADER_BYTES, decodeEpochEntries, decodeMasterHead, decodeTransferTail,
  encodeSlaveHandshake, encodeSlaveReport,
} from './frames.js';

/** How often the connection is checked: reconnects, heartbeats, a silent master. */
const TICK_MS = 1_000;
/** After a failed connect or a broken connection, as AutoSwitchHAClient (waitForRunning(5000)). */
const CONNECT_RETRY_MS = 5_000;
/** A handshake whose log cannot be matched with the master's is tried again after this (doTruncate's wait). */
const TRUNCATE_RETRY_MS = 2_000;

export interface SlaveStore {
  /** Cuts the log (and queues) at `offset`, a record boundary. */
  truncateTo(offset: number): Promise<void>;
  /** Cuts a trailing partial record (AutoSwitchHAService#truncateInvalidMsg); the offset cut to, or -1. */
  truncateInvalid(): Promise<number>;
  setConfirmOffset(offset: number): void;
}

export class AutoSwitchClient {
  private haAddr = '';
  private socket: net.Socket | undefined;
  private state: number = HAConnectionState.READY;
  private readonly pending = new ByteQueue();
  private reported = -1;
  private lastWriteAt = 0;
  private lastReadAt = 0;
  private retryAt = 0;
  /** The epoch of the last frame (AutoSwitchHAClient#currentReceivedEpoch). */
  private receivedEpoch = -1;
  /** A handshake's truncation is running: frames wait in `pending`. */
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  tls: tls.ConnectionOptions | undefined;

  constructor(
    private readonly config: BrokerConfig,
    private readonly replica: ReplicaLog,
    private readonly epochs: EpochFile,
    private readonly store: SlaveStore,
    readonly brokerId: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  /** The master's HA address (from the NameServer's registration answer); empty stops connecting. */
  updateHaMasterAddress(addr: string | undefined): void {
    const a = addr ?? '';
    if (a === this.haAddr) return;
    log.info(`ha: master HA address ${this.haAddr || '(none)'} → ${a || '(none)'}`);
    this.haAddr = a;
    this.retryAt = 0;
    this.close('master address changed');
    this.tick();
  }

  get masterAddress(): string {
    return this.haAddr;
  }

  get isConnected(): boolean {
    return this.state === HAConnectionState.TRANSFER;
  }

  get lastReadAgoMs(): number {
    return this.lastReadAt ? Date.now() - this.lastReadAt : -1;
  }

  private tick(): void {
    if (this.stopped || this.busy) return;
    const now = Date.now();
    if (!this.socket) {
      if (this.haAddr && now >= this.retryAt) void this.connect();
      return;
    }
    if (this.state === HAConnectionState.READY) return;
    if (now - this.lastReadAt > this.config.haHousekeepingInterval) {
      log.warn(`ha: master ${this.haAddr} sent nothing for ${now - this.lastReadAt} ms; reconnecting`);
      this.close('housekeeping');
      return;
    }
    if (this.state === HAConnectionState.TRANSFER && now - this.lastWriteAt > this.config.haSendHeartbeatInterval) this.report();
  }

  private async connect(): Promise<void> {
    this.busy = true;
    try {
      // A transfer cut off mid-record leaves a partial record: gone before the handshake compares logs.
      const cut = await this.store.truncateInvalid();
      if (cut >= 0) this.epochs.truncateSuffixByOffset(cut);
    } catch (e) {
      log.error(`ha: cutting the partial tail failed: ${(e as Error).message}`);
      this.retryAt = Date.now() + CONNECT_RETRY_MS;
      return;
    } finally {
      this.busy = false;
    }
    if (this.stopped || this.socket || !this.haAddr) return;
    const i = this.haAddr.lastIndexOf(':');
    const host = this.haAddr.slice(0, i);
    const port = Number(this.haAddr.slice(i + 1));
    const socket = this.tls ? tls.connect({ ...this.tls, host, port }) : net.connect({ host, port });
    this.socket = socket;
    this.pending.clear();
    this.state = HAConnectionState.READY;
    socket.setNoDelay(true);
    socket.on(this.tls ? 'secureConnect' : 'connect', () => {
      if (this.socket !== socket) return;
      this.state = HAConnectionState.HANDSHAKE;
      this.lastReadAt = Date.now();
      this.reported = -1;
      log.info(`ha: connected to master ${this.haAddr} as broker ${this.brokerId}; this log ends at ${this.replica.maxOffset}`);
      this.write(encodeSlaveHandshake({ syncFromLastFile: this.config.syncFromLastFile, asyncLearner: this.config.asyncLearner, brokerId: this.brokerId }));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.lastReadAt = Date.now();
      this.pending.push(chunk);
      this.takeFrames();
    });
    socket.on('error', (e) => log.warn(`ha: master ${this.haAddr}: ${e.message}`));
    socket.on('close', () => {
      if (this.socket === socket) this.close('connection closed');
    });
  }

  /** Handles every whole frame received, in order; a handshake's truncation pauses the rest. */
  private takeFrames(): void {
    const q = this.pending;
    const before = this.replica.maxOffset;
    const boundBefore = this.replica.bound;
    while (!this.busy && this.socket && q.length >= MASTER_HANDSHAKE_HEADER_BYTES) {
      const head = decodeMasterHead(q.peek(MASTER_HANDSHAKE_HEADER_BYTES));
      const transfer = head.state === HAConnectionState.TRANSFER;
      const headerBytes = transfer ? MASTER_TRANSFER_HEADER_BYTES : MASTER_HANDSHAKE_HEADER_BYTES;
      if (head.state !== this.state || head.bodySize < 0 || head.bodySize > this.config.mappedFileSizeCommitLog) {
        this.close(`master frame in state ${head.state} (body ${head.bodySize}) while this side is in state ${this.state}`);
        return;
      }
      if (q.length < headerBytes + head.bodySize) break;
      if (!transfer) {
        q.take(MASTER_HANDSHAKE_HEADER_BYTES);
        const body = head.bodySize > 0 ? Buffer.concat(q.take(head.bodySize)) : Buffer.alloc(0);
        void this.onHandshake(decodeEpochEntries(body), head.offset);
        return;
      }
      const tail = decodeTransferTail(q.peek(MASTER_TRANSFER_HEADER_BYTES));
      q.take(MASTER_TRANSFER_HEADER_BYTES);
      const end = this.replica.maxOffset;
      if (end !== 0 && end !== head.offset) {
        log.warn(`ha: master pushed offset not equal the max phy offset in slave, SLAVE: ${end} MASTER: ${head.offset}`);
        this.close('offset mismatch');
        return;
      }
      if (head.epoch !== this.receivedEpoch) {
        // A refused append (the epoch is already here) is expected after a reconnect.
        this.receivedEpoch = head.epoch;
        if (head.epoch > this.epochs.lastEpoch()) this.epochs.append(head.epoch, tail.epochStartOffset);
      }
      if (head.bodySize > 0) {
        const body = q.take(head.bodySize);
        try {
          if (!this.replica.append(head.offset, body)) {
            this.close(`cannot append at ${head.offset}`);
            return;
          }
        } catch (e) {
          log.error(`ha: writing the master's bytes at ${head.offset} failed: ${(e as Error).message}`);
          this.close('write failed');
          return;
        }
      }
      this.store.setConfirmOffset(Math.min(tail.confirmOffset, this.replica.maxOffset));
    }
    // Also when no byte came: a frame may carry a higher confirm offset, up to which the replica now dispatches.
    if (this.replica.maxOffset > before || this.replica.bound > boundBefore) this.replica.dispatch();
    if (this.state === HAConnectionState.TRANSFER && this.replica.maxOffset > this.reported) this.report();
  }

  /** AutoSwitchHAClient#doTruncate. */
  private async onHandshake(masterEntries: Array<{ epoch: number; startOffset: number }>, masterMaxOffset: number): Promise<void> {
    const socket = this.socket;
    this.busy = true;
    let ok = true;
    try {
      if (this.epochs.size === 0) {
        log.info(`ha: no local epochs (a new replica); no truncation, replicating from ${this.replica.maxOffset}`);
      } else {
        const localMax = this.replica.maxOffset;
        const point = consistentPoint(this.epochs.entries(), localMax, masterEntries, masterMaxOffset);
        log.info(`ha: master ends at ${masterMaxOffset} with epochs ${masterEntries.map((e) => `${e.epoch}@${e.startOffset}`).join(',')}; ` +
          `local ends at ${localMax} with ${this.epochs.entries().map((e) => `${e.epoch}@${e.startOffset}`).join(',')}; consistent point ${point}`);
        if (point < 0) {
          log.error('ha: no consistent point with the master; not replicating');
          ok = false;
        } else {
          if (point < localMax) await this.store.truncateTo(point);
          this.epochs.truncateSuffixByOffset(point);
        }
      }
    } catch (e) {
      log.error(`ha: truncation for the master failed: ${(e as Error).message}`);
      ok = false;
    } finally {
      this.busy = false;
    }
    if (this.socket !== socket) return;
    if (!ok) {
      this.close('truncation failed');
      this.retryAt = Date.now() + TRUNCATE_RETRY_MS;
      return;
    }
    this.state = HAConnectionState.TRANSFER;
    // Reported at once (Java waits for its next heartbeat when the log is empty): the master starts from it.
    this.report();
    this.takeFrames();
  }

  private report(): void {
    const offset = this.replica.maxOffset;
    this.write(encodeSlaveReport(offset));
    this.reported = offset;
  }

  private write(b: Buffer): void {
    const s = this.socket;
    if (!s) return;
    s.write(b);
    this.lastWriteAt = Date.now();
  }

  private close(why: string): void {
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    const was = this.state;
    this.state = HAConnectionState.READY;
    this.pending.clear();
    this.retryAt = Date.now() + (why === 'master address changed' ? 0 : CONNECT_RETRY_MS);
    s.destroy();
    if (was !== HAConnectionState.READY) log.info(`ha: disconnected from master ${this.haAddr} (${why})`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.close('shutdown');
  }
}
