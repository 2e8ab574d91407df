import net from 'node:net';
import { Connection, type RequestHandler } from './connection.js';
import { remotingLimits, type RemotingLimits } from './limits-state.js';
import { acceptSniffed, type TlsServerSide } from './tls-accept.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** NettyServerConfig.serverChannelMaxIdleTimeSeconds: an all-idle channel is closed after this. */
  channelMaxIdleMs?: number;
  /**
   * Frame, header and buffer bounds for every connection (config/limits.ts); a broker or namesrv config
   * can be given whole, only these keys are read. Missing keys take the defaults.
   */
  limits?: Partial<RemotingLimits>;
  /**
   * tls.server.mode and its certificate (remoting/tls.ts tlsServerSide): each connection's first byte
   * decides plain or TLS (tls-accept.ts). Without it connections are plain and nothing is sniffed.
   */
  tls?: TlsServerSide;
}

/** A TCP listener whose every connection speaks RemotingCommand frames to one handler. */
export class RemotingServer {
  readonly connections = new Set<Connection>();
  private server?: net.Server;
  /** Accepted sockets not yet handed to a Connection (waiting for their first byte, or handshaking). */
  private readonly accepting = new Set<net.Socket>();
  private readonly connectListeners: Array<(c: Connection) => void> = [];
  private readonly closeListeners: Array<(c: Connection) => void> = [];
  private readonly limits: Readonly<RemotingLimits>;

  constructor(
    private readonly options: ServerOptions,
    private readonly handler: RequestHandler,
  ) {
    this.limits = remotingLimits(options.limits);
  }

  onConnect(l: (c: Connection) => void): void {
    this.connectListeners.push(l);
  }

  onDisconnect(l: (c: Connection) => void): void {
    this.closeListeners.push(l);
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.options.port;
  }

  listen(): Promise<void> {
    const server = net.createServer((socket) => {
      let conn: Connection | undefined;
      this.accepting.add(socket);
      socket.once('close', () => this.accepting.delete(socket));
      // On the TCP socket, so a TLS peer's handshake and records count as activity too.
      socket.setTimeout(this.options.channelMaxIdleMs ?? 120_000, () => (conn ? conn.close() : socket.destroy()));
      acceptSniffed(socket, this.options.tls, `remoting port ${this.port}`, (stream) => {
        if (!this.server) {
          stream.destroy();
          return;
        }
        this.accepting.delete(socket);
        const c = new Connection(stream, this.handler, this.limits);
        conn = c;
        this.connections.add(c);
        c.onClose(() => {
          this.connections.delete(c);
          for (const l of this.closeListeners) l(c);
        });
        for (const l of this.connectListeners) l(c);
        stream.resume();
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of this.connections) c.close();
    // Sockets still before their first byte or in their TLS handshake hold server.close() open too.
    for (const s of this.accepting) s.destroy();
    this.accepting.clear();
    await closed;
  }
}
