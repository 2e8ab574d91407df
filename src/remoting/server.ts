import net from 'node:net';
import { Connection, type RequestHandler } from './connection.js';
import { remotingLimits, type RemotingLimits } from './limits-state.js';

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
}

/** A TCP listener whose every connection speaks RemotingCommand frames to one handler. */
export class RemotingServer {
  readonly connections = new Set<Connection>();
  private server?: net.Server;
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
      const conn = new Connection(socket, this.handler, this.limits);
      this.connections.add(conn);
      socket.setTimeout(this.options.channelMaxIdleMs ?? 120_000, () => conn.close());
      conn.onClose((c) => {
        this.connections.delete(c);
        for (const l of this.closeListeners) l(c);
      });
      for (const l of this.connectListeners) l(conn);
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
    await closed;
  }
}
