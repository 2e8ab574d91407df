/**
 * The slave's side of replication (HAService.HAClient / 5.x DefaultHAClient): one connection to the
 * master's HA port; reports this log's end at once on connect (it is where the master starts), after
 * every frame that grew the log, and every haSendHeartbeatInterval; writes each frame's bytes at the
 * master's offset. A frame for any other offset than this log's end (when it has one) means the two logs
 * disagree: the connection is closed and made again, and the master starts over from the report.
 */
import net from 'node:net';
import tls from 'node:tls';
import { log } from '../../logger.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import { ByteQueue } from './byte-queue.js';
import { TRANSFER_HEADER_BYTES, decodeTransferHeader, encodeReport } from './ha-frames.js';
import type { ReplicaLog } from './replica-log.js';

/** How often the connection is checked: reconnects, heartbeats, a silent master. */
const TICK_MS = 1_000;
/** After a failed connect, as HAClient#run: wait before the next attempt. */
const CONNECT_RETRY_MS = 5_000;

export class HaClient {
  private masterAddr = '';
  private socket: net.Socket | undefined;
  private connected = false;
  private readonly pending = new ByteQueue();
  private reported = -1;
  private lastWriteAt = 0;
  private lastReadAt = 0;
  private retryAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Connect with TLS (the broker's tls.enable); set before start(). */
  tls: tls.ConnectionOptions | undefined;

  constructor(private readonly config: BrokerConfig, private readonly replica: ReplicaLog) {
    // haMasterAddress is used only when it looks like an address (BrokerController#initialize: length >= 6).
    if (config.haMasterAddress.length >= 6) this.masterAddr = config.haMasterAddress;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  /** The master's HA address as the NameServer tells it; a configured haMasterAddress wins. */
  updateMasterAddress(addr: string | undefined): void {
    if (this.config.haMasterAddress.length >= 6 || !addr || addr === this.masterAddr) return;
    log.info(`ha: master HA address ${this.masterAddr || '(none)'} → ${addr}`);
    this.masterAddr = addr;
    this.retryAt = 0;
    this.close('master address changed');
    this.tick();
  }

  get masterAddress(): string {
    return this.masterAddr;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get lastReadAgoMs(): number {
    return this.lastReadAt ? Date.now() - this.lastReadAt : -1;
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.socket) {
      if (this.masterAddr && now >= this.retryAt) this.connect();
      return;
    }
    if (!this.connected) return;
    // 5.x DefaultHAClient: a master that sent nothing (not even a heartbeat) for this long is gone.
    if (now - this.lastReadAt > this.config.haHousekeepingInterval) {
      log.warn(`ha: master ${this.masterAddr} sent nothing for ${now - this.lastReadAt} ms; reconnecting`);
      this.close('housekeeping');
      return;
    }
    if (now - this.lastWriteAt > this.config.haSendHeartbeatInterval) this.report();
  }

  private connect(): void {
    const i = this.masterAddr.lastIndexOf(':');
    const host = this.masterAddr.slice(0, i);
    const port = Number(this.masterAddr.slice(i + 1));
    const socket = this.tls ? tls.connect({ ...this.tls, host, port }) : net.connect({ host, port });
    this.socket = socket;
    this.pending.clear();
    socket.setNoDelay(true);
    // Over TLS the first report goes once the handshake is done.
    socket.on(this.tls ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.lastReadAt = Date.now();
      this.reported = -1;
      log.info(`ha: connected to master ${this.masterAddr}; this log ends at ${this.replica.maxOffset}`);
      this.report();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', (e) => {
      if (!this.connected) this.retryAt = Date.now() + CONNECT_RETRY_MS;
      log.warn(`ha: master ${this.masterAddr}: ${e.message}`);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.close('connection closed');
    });
  }

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    this.pending.push(chunk);
    const before = this.replica.maxOffset;
    this.takeFrames();
    // Records completed by this read become readable together (one queue/index write), then the master hears.
    if (this.replica.maxOffset > before) this.replica.dispatch();
    if (this.replica.maxOffset > this.reported) this.report();
  }

  /** Writes every whole frame received; closes the connection on one that does not fit. */
  private takeFrames(): void {
    const q = this.pending;
    while (q.length >= TRANSFER_HEADER_BYTES) {
      const h = decodeTransferHeader(q.peek(TRANSFER_HEADER_BYTES));
      // A frame never crosses a master segment; anything else is not the HA protocol.
      if (h.offset < 0 || h.bodySize < 0 || h.bodySize > this.config.mappedFileSizeCommitLog) {
        this.close(`not an HA frame (offset ${h.offset}, body size ${h.bodySize})`);
        return;
      }
      if (q.length < TRANSFER_HEADER_BYTES + h.bodySize) break;
      const end = this.replica.maxOffset;
      if (end !== 0 && end !== h.offset) {
        log.warn(`ha: master pushed offset not equal the max phy offset in slave, SLAVE: ${end} MASTER: ${h.offset}`);
        this.close('offset mismatch');
        return;
      }
      q.take(TRANSFER_HEADER_BYTES);
      if (h.bodySize > 0) {
        const body = q.take(h.bodySize);
        try {
          if (!this.replica.append(h.offset, body)) {
            this.close(`cannot append at ${h.offset}`);
            return;
          }
        } catch (e) {
          log.error(`ha: writing the master's bytes at ${h.offset} failed: ${(e as Error).message}`);
          this.close('write failed');
          return;
        }
      }
    }
  }

  private report(): void {
    const s = this.socket;
    if (!s || !this.connected) return;
    const offset = this.replica.maxOffset;
    s.write(encodeReport(offset));
    this.reported = offset;
    this.lastWriteAt = Date.now();
  }

  private close(why: string): void {
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    const was = this.connected;
    this.connected = false;
    this.pending.clear();
    s.destroy();
    if (was) log.info(`ha: disconnected from master ${this.masterAddr} (${why})`);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.close('shutdown');
  }
}
