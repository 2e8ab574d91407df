import net from 'node:net';
import tls from 'node:tls';
import { Connection, type RequestHandler } from './connection.js';
import type { RemotingCommand } from './command.js';

const CONNECT_TIMEOUT_MS = 3000;

export interface RemotingClientOptions {
  /** Runs on every outgoing request just before it is sent (the RPC hook: ACL signing). */
  beforeRequest?: (request: RemotingCommand) => void;
  /** Connect with TLS (tls.enable; remoting/tls.ts tlsClientOptions builds these). */
  tls?: tls.ConnectionOptions;
}

/** Outbound connections (broker → namesrv), one per address, reconnected on demand. */
export class RemotingClient {
  private readonly conns = new Map<string, Promise<Connection>>();
  private closed = false;

  constructor(
    private readonly onRequest: RequestHandler = () => {},
    private readonly options: RemotingClientOptions = {},
  ) {}

  async invoke(addr: string, request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    const conn = await this.connect(addr);
    this.options.beforeRequest?.(request);
    return conn.invoke(request, timeoutMs);
  }

  async invokeOneway(addr: string, request: RemotingCommand): Promise<void> {
    const conn = await this.connect(addr);
    this.options.beforeRequest?.(request);
    conn.invokeOneway(request);
  }

  connect(addr: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error('client closed'));
    const existing = this.conns.get(addr);
    if (existing) return existing;
    const [host, portText] = splitAddr(addr);
    const p = new Promise<Connection>((resolve, reject) => {
      const tlsOptions = this.options.tls;
      const socket = tlsOptions
        ? tls.connect({ ...tlsOptions, host, port: Number(portText) })
        : net.connect({ host, port: Number(portText) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${addr} timed out`));
      }, CONNECT_TIMEOUT_MS);
      // A TLS connection is usable once its handshake is done, not when TCP connects.
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        const conn = new Connection(socket, this.onRequest);
        conn.onClose(() => {
          if (this.conns.get(addr) === p) this.conns.delete(addr);
        });
        resolve(conn);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    p.catch(() => this.conns.delete(addr));
    this.conns.set(addr, p);
    return p;
  }

  close(): void {
    this.closed = true;
    for (const p of this.conns.values()) p.then((c) => c.close(), () => {});
    this.conns.clear();
  }
}

export function splitAddr(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i <= 0) throw new Error(`address "${addr}" is not host:port`);
  return [addr.slice(0, i), addr.slice(i + 1)];
}
