/**
 * One slave's connection on a controller-mode master (AutoSwitchHAConnection 5.3.3). The slave speaks
 * first: its handshake (broker id, flags) is answered with this log's end, last epoch and epoch entries;
 * after truncating to the consistent point it reports its log end, which is where the transfer starts.
 * Each transfer frame carries the epoch of its bytes (a frame never spans two epochs) and the master's
 * confirm offset. Sending is driven by events (end of a write tick, socket drain, the 1 s tick for
 * heartbeats), not a polling thread.
 */
import type { Duplex } from 'node:stream';
import { log } from '../../../logger.js';
import { readInt64 } from '../../../codec/int64.js';
import { OPEN_END_OFFSET, type EpochFile } from './epoch-file.js';
import {
  HAConnectionState, SLAVE_HANDSHAKE_BYTES, SLAVE_REPORT_BYTES, decodeSlaveHandshake, encodeMasterHandshake, encodeTransferHeader,
} from './frames.js';
import type { EpochEntry } from './types.js';

/** What a connection needs from the master's log and its service. */
export interface MasterConnectionOwner {
  maxOffset(): number;
  minOffset(): number;
  readonly segmentBytes: number;
  /** 1..max bytes from `offset` within its segment, or empty when none are there. */
  read(offset: number, max: number): Buffer;
  readonly epochs: EpochFile;
  readonly batchBytes: number;
  readonly heartbeatMs: number;
  readonly housekeepingMs: number;
  /** The confirm offset sent in every transfer header (CommitLog#getConfirmOffset). */
  confirmOffset(): number;
  /** The slave reported `offset` (after the connection's own fields are updated). */
  onAck(conn: MasterConnection, offset: number): void;
  /** Nothing left to send: the slave has been sent everything (HAService#updateConnectionLastCaughtUpTime). */
  onCaughtUp(conn: MasterConnection, atMs: number): void;
  onClose(conn: MasterConnection): void;
}

export class MasterConnection {
  readonly addr: string;
  /** The slave's controller-assigned broker id from its handshake (-1 before it). */
  slaveId = -1;
  syncFromLastFile = false;
  asyncLearner = false;
  state: number = HAConnectionState.HANDSHAKE;
  /** The slave's first report after the handshake: where the transfer starts (-1 before it). */
  slaveRequestOffset = -1;
  /** The slave's newest report: everything before it is on the slave. */
  slaveAckOffset = -1;
  /** This log's end when the last data frame went out, and when (AutoSwitchHAConnection#updateLastTransferInfo). */
  lastMasterMaxOffset = -1;
  lastTransferAtMs = 0;
  /** Next log offset to send (-1 until the slave asked). */
  private next = -1;
  /** The epoch whose bytes go out now, and where it ends (OPEN_END_OFFSET for the last epoch). */
  private epoch: EpochEntry | undefined;
  private partial = Buffer.alloc(0);
  private lastWriteAt = Date.now();
  private lastReadAt = Date.now();
  private closed = false;

  constructor(private readonly socket: Duplex & { remoteAddress?: string; remotePort?: number; setNoDelay?(b: boolean): unknown }, private readonly owner: MasterConnectionOwner) {
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.push());
    socket.on('error', (e: Error) => log.warn(`ha: slave ${this.addr}: ${e.message}`));
    socket.on('close', () => this.close('connection closed'));
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    let buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    let pos = 0;
    while (!this.closed && buf.length - pos >= SLAVE_REPORT_BYTES) {
      const state = buf.readInt32BE(pos);
      if (state === HAConnectionState.HANDSHAKE) {
        if (buf.length - pos < SLAVE_HANDSHAKE_BYTES) break;
        this.onHandshake(buf, pos);
        pos += SLAVE_HANDSHAKE_BYTES;
      } else if (state === HAConnectionState.TRANSFER) {
        this.onReport(readInt64(buf, pos + 4));
        pos += SLAVE_REPORT_BYTES;
      } else {
        log.warn(`ha: ${this.addr} sent state ${state}: not an AutoSwitchHA slave, disconnecting it`);
        this.close('not an AutoSwitchHA frame');
        return;
      }
    }
    buf = buf.subarray(pos);
    this.partial = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  private onHandshake(buf: Buffer, pos: number): void {
    const h = decodeSlaveHandshake(buf, pos);
    this.slaveId = h.brokerId;
    this.syncFromLastFile = h.syncFromLastFile;
    this.asyncLearner = h.asyncLearner;
    this.state = HAConnectionState.HANDSHAKE;
    const { epochs } = this.owner;
    const entries = epochs.entries();
    log.info(`ha: slave ${this.addr} handshake: brokerId ${h.brokerId}, syncFromLastFile ${h.syncFromLastFile}, asyncLearner ${h.asyncLearner}; ` +
      `answering max offset ${this.owner.maxOffset()}, epochs ${entries.map((e) => `${e.epoch}@${e.startOffset}`).join(',')}`);
    this.write(encodeMasterHandshake(this.owner.maxOffset(), epochs.lastEpoch(), entries));
  }

  private onReport(offset: number): void {
    if (offset < 0) {
      this.close(`negative offset ${offset}`);
      return;
    }
    if (offset > this.owner.maxOffset()) {
      // The slave holds bytes this log never had (it skipped truncation): it must not count as a copy.
      log.warn(`ha: slave ${this.addr} (broker ${this.slaveId}) reports offset ${offset}, beyond this log's end ${this.owner.maxOffset()}; disconnecting it`);
      this.close('slave ahead of the master');
      return;
    }
    if (this.state !== HAConnectionState.TRANSFER) this.state = HAConnectionState.TRANSFER;
    this.slaveAckOffset = offset;
    if (this.slaveRequestOffset < 0) this.slaveRequestOffset = offset;
    this.owner.onAck(this, offset);
    this.push();
  }

  /** Sends what the slave does not have yet, as far as the socket takes it without buffering up. */
  push(): void {
    if (this.closed || this.state !== HAConnectionState.TRANSFER || this.slaveRequestOffset < 0) return;
    const o = this.owner;
    if (this.next < 0 && !this.startTransfer()) return;
    while (!this.socket.writableNeedDrain && !this.closed) {
      let max = o.batchBytes;
      // The epoch being sent was the last one and a newer one began since (the same master re-elected):
      // it now ends where that one starts. (Java keeps sending it as open-ended until the slave reconnects.)
      if (this.epoch!.endOffset === OPEN_END_OFFSET && this.epoch!.epoch !== o.epochs.lastEpoch()) {
        this.epoch = o.epochs.entry(this.epoch!.epoch) ?? this.epoch;
      }
      const end = this.epoch!.endOffset;
      if (end !== OPEN_END_OFFSET) max = Math.min(max, end - this.next);
      const following = end !== OPEN_END_OFFSET && this.next + max === end ? o.epochs.nextEntry(this.epoch!.epoch) : undefined;
      if (max <= 0) {
        // At the end of an epoch that is not the last: the next one's bytes follow.
        if (!following) {
          log.error(`ha: no epoch after ${this.epoch!.epoch} in this log's epoch file; transfer to ${this.addr} waits`);
          this.heartbeatIfDue();
          return;
        }
        this.setEpoch(following);
        continue;
      }
      const body = o.read(this.next, max);
      if (body.length === 0) {
        o.onCaughtUp(this, Date.now());
        this.heartbeatIfDue();
        return;
      }
      // Bytes of one frame all belong to one epoch. As AutoSwitchHAConnection, the frame that ends an epoch
      // (when more follows) already names the next one.
      if (following && this.next + body.length === end && o.maxOffset() > end) this.setEpoch(following);
      const at = this.next;
      this.next += body.length;
      this.lastMasterMaxOffset = o.maxOffset();
      this.lastTransferAtMs = Date.now();
      this.sendTransfer(at, body);
    }
  }

  /** Where the transfer starts (AbstractWriteSocketService#run, TRANSFER): false while no epoch holds it. */
  private startTransfer(): boolean {
    const o = this.owner;
    let from = this.slaveRequestOffset;
    if (from === 0) {
      // A new slave starts at a file's start: the last one when it asked to, else the oldest one kept.
      const max = o.maxOffset();
      from = this.syncFromLastFile ? Math.max(0, max - (max % o.segmentBytes)) : o.minOffset();
    }
    const entry = o.epochs.findByOffset(from);
    if (!entry) {
      log.error(`ha: no epoch entry holds offset ${from}; transfer to ${this.addr} waits`);
      this.heartbeatIfDue();
      return false;
    }
    this.next = from;
    this.setEpoch(entry);
    log.info(`ha: transferring to slave ${this.addr} (broker ${this.slaveId}) from ${from} in epoch ${entry.epoch}`);
    return true;
  }

  private setEpoch(e: EpochEntry): void {
    // The last epoch is open-ended (Java: currentTransferEpochEndOffset = -1).
    this.epoch = e.epoch === this.owner.epochs.lastEpoch() ? { ...e, endOffset: OPEN_END_OFFSET } : e;
  }

  private heartbeatIfDue(): void {
    if (Date.now() - this.lastWriteAt <= this.owner.heartbeatMs) return;
    this.sendTransfer(this.next, Buffer.alloc(0));
  }

  private sendTransfer(offset: number, body: Buffer): void {
    // A heartbeat before any epoch is chosen names the first one, as buildTransferHeaderBuffer does.
    const e = this.epoch ?? this.owner.epochs.firstEntry();
    const header = encodeTransferHeader({
      bodySize: body.length, offset, epoch: e?.epoch ?? 0, epochStartOffset: e?.startOffset ?? 0, confirmOffset: this.owner.confirmOffset(),
    });
    this.socket.cork();
    this.socket.write(header);
    if (body.length) this.socket.write(body);
    this.socket.uncork();
    this.lastWriteAt = Date.now();
  }

  private write(b: Buffer): void {
    this.socket.write(b);
    this.lastWriteAt = Date.now();
  }

  /** The service's periodic call: drop a silent slave, send a heartbeat when due. */
  tick(now: number): void {
    if (now - this.lastReadAt > this.owner.housekeepingMs) {
      log.warn(`ha: slave ${this.addr} sent nothing for ${now - this.lastReadAt} ms; closing`);
      this.close('housekeeping');
      return;
    }
    this.push();
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    log.info(`ha: slave ${this.addr} (broker ${this.slaveId}) disconnected (${why})`);
    this.owner.onClose(this);
  }
}
