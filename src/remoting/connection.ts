import type { Socket } from 'node:net';
import { type RemotingCommand, ONEWAY_FLAG, isResponse } from './command.js';
import { FrameDecoder, encodeFrame, FRAME_MAX_BYTES_DEFAULT } from './frame.js';
import { log } from '../logger.js';

export type RequestHandler = (conn: Connection, request: RemotingCommand) => void;

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

let nextConnectionId = 1;

/**
 * One socket speaking RemotingCommand frames in both directions: requests from the peer go to
 * `onRequest`; responses to our own requests are matched by opaque.
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

  constructor(
    readonly socket: Socket,
    private readonly onRequest: RequestHandler,
    maxFrameBytes = FRAME_MAX_BYTES_DEFAULT,
  ) {
    this.remoteAddress = normalizeIp(socket.remoteAddress ?? '0.0.0.0');
    this.remoteAddr = `${this.remoteAddress}:${socket.remotePort ?? 0}`;
    this.decoder = new FrameDecoder((cmd) => this.dispatch(cmd), maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastActiveMs = Date.now();
      try {
        this.decoder.push(chunk);
      } catch (e) {
        // A malformed frame poisons only this connection, as NettyDecoder closes the channel.
        log.warn(`closing ${this.remoteAddr}: ${(e as Error).message}`);
        this.close();
      }
    });
    socket.on('error', (e) => log.debug(`socket ${this.remoteAddr}: ${e.message}`));
    socket.on('close', () => this.handleClose());
  }

  onClose(listener: (conn: Connection) => void): void {
    if (this.closed) listener(this);
    else this.closeListeners.push(listener);
  }

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
    return true;
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
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
    if (isResponse(cmd)) {
      const p = this.pending.get(cmd.opaque);
      if (!p) return; // late or unsolicited response: nothing waits for it
      this.pending.delete(cmd.opaque);
      clearTimeout(p.timer);
      p.resolve(cmd);
      return;
    }
    this.onRequest(this, cmd);
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
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
