/**
 * One slave's connection on the master (HAConnection): reads the slave's offset reports, and sends it
 * the log from where it asked, frame by frame. Sending is driven by events rather than a polling thread:
 * the store's end-of-tick write, the socket draining, and the service's 1 s housekeeping tick (for
 * heartbeats). A frame's body never crosses a segment file and may end inside a record.
 */
import type net from 'node:net';
import { log } from '../../logger.js';
import { REPORT_BYTES, encodeTransferHeader, lastReport } from './ha-frames.js';

/** What a connection needs from the master's log. */
export interface HaSource {
  /** The log's end (written bytes). */
  maxOffset(): number;
  readonly segmentBytes: number;
  /** 1..max bytes from `offset` within its segment, or empty when none are there. */
  read(offset: number, max: number): Buffer;
}

export interface HaConnectionOwner {
  readonly source: HaSource;
  readonly batchBytes: number;
  readonly heartbeatMs: number;
  readonly housekeepingMs: number;
  onAck(conn: HaConnection, offset: number): void;
  onClose(conn: HaConnection): void;
}

export class HaConnection {
  readonly addr: string;
  /** The slave's first report: where it asked to start (-1 before it sent one). */
  slaveRequestOffset = -1;
  /** The slave's newest report: everything before it is on the slave. */
  slaveAckOffset = -1;
  /** Next log offset to send (-1 until the slave asked). */
  private next = -1;
  private partial = Buffer.alloc(0);
  private lastWriteAt = Date.now();
  private lastReadAt = Date.now();
  private closed = false;

  constructor(private readonly socket: net.Socket, private readonly owner: HaConnectionOwner) {
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.push());
    socket.on('error', (e) => log.warn(`ha: slave ${this.addr}: ${e.message}`));
    socket.on('close', () => this.close('connection closed'));
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    const buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const report = lastReport(buf);
    this.partial = Buffer.from(buf.subarray(buf.length - (buf.length % REPORT_BYTES)));
    if (report === undefined) return;
    if (report < 0) {
      // No log has a negative end: these bytes are not the HA protocol.
      log.warn(`ha: ${this.addr} sent ${report} as its offset; not an HA slave, disconnecting it`);
      this.close('not an HA report');
      return;
    }
    if (this.slaveRequestOffset < 0) {
      this.slaveRequestOffset = report;
      log.info(`ha: slave ${this.addr} requests offset ${report}`);
    } else if (report > this.owner.source.maxOffset()) {
      // A slave ahead of its master holds bytes the master never wrote: it must not count as a copy.
      log.warn(`ha: slave ${this.addr} reports offset ${report}, beyond this log's end ${this.owner.source.maxOffset()}; disconnecting it`);
      this.close('slave ahead of the master');
      return;
    }
    this.slaveAckOffset = report;
    this.owner.onAck(this, report);
    this.push();
  }

  /** Sends what the slave does not have yet, as far as the socket takes it without buffering up. */
  push(): void {
    if (this.closed || this.slaveRequestOffset < 0) return;
    const { source } = this.owner;
    if (this.next < 0) {
      // A slave with nothing asks for 0 and gets the master's last segment onwards, not the whole history.
      const max = source.maxOffset();
      this.next = this.slaveRequestOffset === 0 ? Math.max(0, max - (max % source.segmentBytes)) : this.slaveRequestOffset;
      log.info(`ha: transferring to slave ${this.addr} from ${this.next} (it asked for ${this.slaveRequestOffset})`);
    }
    while (!this.socket.writableNeedDrain && !this.closed) {
      const body = source.read(this.next, this.owner.batchBytes);
      if (body.length === 0) {
        if (Date.now() - this.lastWriteAt > this.owner.heartbeatMs) this.send(this.next, body);
        return;
      }
      this.send(this.next, body);
      this.next += body.length;
    }
  }

  private send(offset: number, body: Buffer): void {
    this.socket.cork();
    this.socket.write(encodeTransferHeader(offset, body.length));
    if (body.length) this.socket.write(body);
    this.socket.uncork();
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
    log.info(`ha: slave ${this.addr} disconnected (${why})`);
    this.owner.onClose(this);
  }
}
