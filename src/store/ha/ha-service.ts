/**
 * The master's side of replication (HAService): the HA listener, its slave connections, the highest
 * offset any slave has acknowledged, and the SYNC_MASTER wait (GroupTransferService): a send is answered
 * once one slave has its bytes, FLUSH_SLAVE_TIMEOUT after slaveTimeout, or at once SLAVE_NOT_AVAILABLE
 * when no slave is connected or the best one is haSlaveFallbehindMax behind.
 */
import { log } from '../../logger.js';
import type { TlsServerSide } from '../../remoting/tls-accept.js';
import { HaListener } from './ha-listener.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import { HaConnection, type HaConnectionOwner, type HaSource } from './ha-connection.js';

/** How often connections are checked for heartbeats and silence. */
const TICK_MS = 1_000;

export type ReplicaStatus = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

interface Waiter {
  end: number;
  deadline: number;
  resolve: (s: ReplicaStatus) => void;
}

export class HaService implements HaConnectionOwner {
  readonly batchBytes: number;
  readonly heartbeatMs: number;
  readonly housekeepingMs: number;
  /** Highest offset any slave has acknowledged (never decreases: HAService#push2SlaveMaxOffset). */
  push2SlaveMaxOffset = 0;
  private readonly conns = new Set<HaConnection>();
  private timer: NodeJS.Timeout | undefined;
  /** SYNC_MASTER sends waiting for a slave, in log order (so deadlines are in order too). */
  private waiters: Waiter[] = [];
  private waitTimer: NodeJS.Timeout | undefined;
  /** tls.server.mode and certificate for the HA port, as on the remoting ports; set before start(). */
  tls: TlsServerSide | undefined;
  private readonly listener: HaListener;

  constructor(private readonly config: BrokerConfig, readonly source: HaSource) {
    this.batchBytes = config.haTransferBatchSize;
    this.heartbeatMs = config.haSendHeartbeatInterval;
    this.housekeepingMs = config.haHousekeepingInterval;
    this.listener = new HaListener(config.haListenPort, this.housekeepingMs);
  }

  async start(): Promise<void> {
    await this.listener.listen(this.tls, (stream, overTls) => {
      const conn = new HaConnection(stream, this);
      this.conns.add(conn);
      log.info(`ha: slave ${conn.addr} connected${overTls ? ' over TLS' : ''} (${this.conns.size} connected)`);
    });
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.tick(now);
    }, TICK_MS);
    this.timer.unref();
    log.info(`ha: listening on port ${this.config.haListenPort}`);
  }

  /** New bytes are in the log: send them on (called at the end of every write tick). */
  notifyWritten(): void {
    for (const c of this.conns) c.push();
  }

  onAck(_conn: HaConnection, offset: number): void {
    if (offset <= this.push2SlaveMaxOffset) return;
    this.push2SlaveMaxOffset = offset;
    let done = 0;
    while (done < this.waiters.length && this.waiters[done].end <= offset) this.waiters[done++].resolve('PUT_OK');
    if (done) this.waiters.splice(0, done);
  }

  onClose(conn: HaConnection): void {
    this.conns.delete(conn);
  }

  /** HAService#isSlaveOK: a slave is connected and the best one is less than haSlaveFallbehindMax behind `masterPutWhere`. */
  isSlaveOK(masterPutWhere: number): boolean {
    return this.conns.size > 0 && masterPutWhere - this.push2SlaveMaxOffset < this.config.haSlaveFallbehindMax;
  }

  /** SYNC_MASTER: resolves once a slave has every byte before `end`, or with why not. */
  waitForReplica(end: number): Promise<ReplicaStatus> {
    if (!this.isSlaveOK(end)) return Promise.resolve('SLAVE_NOT_AVAILABLE');
    if (this.push2SlaveMaxOffset >= end) return Promise.resolve('PUT_OK');
    return new Promise((resolve) => {
      this.waiters.push({ end, deadline: Date.now() + this.config.slaveTimeout, resolve });
      if (!this.waitTimer) this.armTimeout();
    });
  }

  private armTimeout(): void {
    this.waitTimer = undefined;
    const now = Date.now();
    let expired = 0;
    while (expired < this.waiters.length && this.waiters[expired].deadline <= now) this.waiters[expired++].resolve('FLUSH_SLAVE_TIMEOUT');
    if (expired) this.waiters.splice(0, expired);
    if (this.waiters.length === 0) return;
    this.waitTimer = setTimeout(() => this.armTimeout(), Math.max(1, this.waiters[0].deadline - now));
  }

  slaves(): Array<{ addr: string; ackOffset: number }> {
    return [...this.conns].map((c) => ({ addr: c.addr, ackOffset: c.slaveAckOffset }));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    for (const w of this.waiters) w.resolve('FLUSH_SLAVE_TIMEOUT');
    this.waiters = [];
    for (const c of [...this.conns]) c.close('shutdown');
    await this.listener.close();
  }
}
