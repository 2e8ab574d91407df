import type { Socket } from 'node:net';
import { type RemotingCommand, ONEWAY_FLAG, isResponse } from './command.js';
import { FrameDecoder, FrameError, encodeFrame } from './frame.js';
import { REMOTING_LIMIT_DEFAULTS, remotingTotals, type RemotingLimits } from './limits-state.js';
import { log } from '../logger.js';

export type RequestHandler = (conn: Connection, request: RemotingCommand) => void;

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

let nextConnectionId = 1;
const EMPTY = Buffer.alloc(0);

/**
 * One socket speaking RemotingCommand frames in both directions: requests from the peer go to
 * `onRequest`; responses to our own requests are matched by opaque.
 *
 * Output back-pressure: when the reply bytes the kernel has not taken pass writeBufferHighWaterMark,
 * the connection stops reading (and stops handing already decoded requests on) until they are all
 * gone, so a peer that pipelines requests and never reads stalls only itself. Replies produced anyway
 * (held pulls answered later) can pass writeBufferMaxBytes, and then the connection is closed.
 */
export class Connection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  /** Peer address as "ip:port", what the Java broker calls the channel's remote address. */
  readonly remoteAddr: string;
  lastActiveMs = Date.now();
  closed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners: Array<(conn: Connection) => void> = [];
  private readonly decoder: FrameDecoder;
  /** This connection's share of remotingTotals.writeBufferBytes: its socket's unsent bytes when last looked at. */
  private unsentCounted = 0;
  private paused = false;
  /** Requests decoded from the chunk being read when reading stopped, handed on when it resumes. */
  private held: RemotingCommand[] = [];
  private frameTimer?: NodeJS.Timeout;
  private watchedSeq = 0;
  private partialSinceMs = 0;

  constructor(
    readonly socket: Socket,
    private readonly onRequest: RequestHandler,
    private readonly limits: Readonly<RemotingLimits> = REMOTING_LIMIT_DEFAULTS,
  ) {
    this.remoteAddress = normalizeIp(socket.remoteAddress ?? '0.0.0.0');
    this.remoteAddr = `${this.remoteAddress}:${socket.remotePort ?? 0}`;
    this.decoder = new FrameDecoder((cmd) => this.dispatch(cmd), limits);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastActiveMs = Date.now();
      try {
        this.decoder.push(chunk);
      } catch (e) {
        // A malformed frame poisons only this connection, as NettyDecoder closes the channel.
        if (e instanceof FrameError) log.client(e.kind, `${this.remoteAddr}: ${e.message}`);
        else log.error(`closing ${this.remoteAddr}: ${(e as Error).stack ?? e}`);
        this.close();
        return;
      }
      if (this.decoder.hasPartial && this.decoder.partialSeq !== this.watchedSeq) this.watchFrame();
    });
    socket.on('error', (e) => log.debug(`socket ${this.remoteAddr}: ${e.message}`));
    socket.on('close', () => this.handleClose());
  }

  onClose(listener: (conn: Connection) => void): void {
    if (this.closed) listener(this);
    else this.closeListeners.push(listener);
  }

  /** False when the connection is closed, or closes now because its peer does not read its replies. */
  send(cmd: RemotingCommand): boolean {
    if (this.closed || this.socket.destroyed) return false;
    const parts = encodeFrame(cmd);
    // Responses finished in the same tick (a group write acknowledges many sends at once, and the
    // Java client multiplexes all its threads over one connection) leave in one writev.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    for (const p of parts) this.socket.write(p);
    const unsent = this.countUnsent();
    if (unsent > this.limits.writeBufferHighWaterMark) this.overHighWater(unsent);
    return !this.closed;
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
    if (this.closed) return;
    // The kernel usually takes the whole batch here; what it leaves is watched until it has gone.
    if (this.countUnsent() > 0) this.watchFlush();
    else if (this.paused) this.resumeReading();
  };

  /** Brings this connection's share of the process total up to date; returns its unsent bytes. */
  private countUnsent(): number {
    const unsent = this.socket.writableLength;
    if (unsent !== this.unsentCounted) {
      remotingTotals.writeBufferBytes += unsent - this.unsentCounted;
      this.unsentCounted = unsent;
    }
    return unsent;
  }

  /**
   * Unsent bytes leave later without notice ('drain' comes only after a write() returned false, and
   * a callback on every write would cost every send): one empty write queued behind them calls back
   * once everything written before it has gone.
   */
  private watchFlush(): void {
    if (this.flushWatched) return;
    this.flushWatched = true;
    this.socket.write(EMPTY, this.afterFlush);
  }

  private flushWatched = false;
  private readonly afterFlush = (): void => {
    this.flushWatched = false;
    if (this.closed) return;
    if (this.countUnsent() > 0) this.watchFlush();
    else if (this.paused) this.resumeReading();
  };

  private overHighWater(unsent: number): void {
    const total = remotingTotals.writeBufferBytes;
    if (unsent > this.limits.writeBufferMaxBytes || total > this.limits.writeBufferTotalMaxBytes) {
      log.client('slow reader closed', `${this.remoteAddr}: ${unsent} reply bytes unsent (writeBufferMaxBytes ${this.limits.writeBufferMaxBytes}), ` +
        `${total} over all connections (writeBufferTotalMaxBytes ${this.limits.writeBufferTotalMaxBytes})`);
      this.close();
      return;
    }
    if (this.paused) return;
    this.paused = true;
    remotingTotals.pausedConnections++;
    this.socket.pause();
  }

  /** Everything sent has gone: the held requests are handed on, then reading starts again. */
  private resumeReading(): void {
    this.paused = false;
    remotingTotals.pausedConnections--;
    let i = 0;
    try {
      while (i < this.held.length && !this.paused && !this.closed) this.onRequest(this, this.held[i++]);
    } catch (e) {
      // Outside the data handler here, so a handler's throw is caught as it would be there.
      log.error(`closing ${this.remoteAddr}: ${(e as Error).stack ?? e}`);
      this.close();
      return;
    }
    this.held.splice(0, i);
    if (!this.paused && !this.closed) this.socket.resume();
  }

  /**
   * A frame stayed unfinished at the end of a read: it must be whole within frameReadTimeoutMills. One
   * timer per connection at most, armed when a frame is left unfinished and none is armed; it checks the
   * frame's start when it fires and re-arms for what is left of a later frame's time.
   */
  private watchFrame(): void {
    this.watchedSeq = this.decoder.partialSeq;
    this.partialSinceMs = this.lastActiveMs;
    if (!this.frameTimer) this.armFrameTimer(this.limits.frameReadTimeoutMills);
  }

  private armFrameTimer(ms: number): void {
    this.frameTimer = setTimeout(this.onFrameTimer, ms);
    this.frameTimer.unref();
  }

  private readonly onFrameTimer = (): void => {
    this.frameTimer = undefined;
    if (this.closed || !this.decoder.hasPartial || this.decoder.partialSeq !== this.watchedSeq) return;
    const timeout = this.limits.frameReadTimeoutMills;
    // While reading is stopped for back-pressure the frame cannot arrive: its time starts again then.
    if (this.paused) this.partialSinceMs = Date.now();
    const left = this.partialSinceMs + timeout - Date.now();
    if (left > 0) {
      this.armFrameTimer(left);
      return;
    }
    log.client('frame timeout', `${this.remoteAddr}: frame unfinished after ${timeout} ms (frameReadTimeoutMills), ${this.decoder.heldBytes} bytes held`);
    this.close();
  };

  invoke(request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error(`connection to ${this.remoteAddr} is closed`));
      const timer = setTimeout(() => {
        this.pending.delete(request.opaque);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for response to code ${request.code} from ${this.remoteAddr}`));
      }, timeoutMs);
      this.pending.set(request.opaque, { resolve, reject, timer });
      this.send(request);
    });
  }

  invokeOneway(request: RemotingCommand): boolean {
    request.flag |= ONEWAY_FLAG;
    return this.send(request);
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.destroy();
    this.handleClose();
  }

  private dispatch(cmd: RemotingCommand): void {
    if (this.closed) return;
    if (isResponse(cmd)) {
      const p = this.pending.get(cmd.opaque);
      if (!p) return; // late or unsolicited response: nothing waits for it
      this.pending.delete(cmd.opaque);
      clearTimeout(p.timer);
      p.resolve(cmd);
      return;
    }
    if (this.paused) this.held.push(cmd);
    else this.onRequest(this, cmd);
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    // Its shares of the process totals go with it.
    remotingTotals.writeBufferBytes -= this.unsentCounted;
    this.unsentCounted = 0;
    if (this.paused) remotingTotals.pausedConnections--;
    this.paused = false;
    this.held = [];
    this.decoder.release();
    clearTimeout(this.frameTimer);
    for (const [opaque, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`connection to ${this.remoteAddr} closed`));
      this.pending.delete(opaque);
    }
    for (const l of this.closeListeners.splice(0)) l(this);
  }
}

/** "::ffff:127.0.0.1" → "127.0.0.1" so addresses compare and encode as IPv4. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
