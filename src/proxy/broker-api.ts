/**
 * How the proxy talks to brokers and NameServers: remoting over TCP, one connection per address
 * (remoting/client.ts), as the Apache proxy's cluster mode does through its MQClientAPIExt. The
 * same code serves the standalone server (pointed at its own embedded NameServer) and a cluster of
 * our and Apache brokers.
 *
 * Brokers also call us on these connections: CHECK_TRANSACTION_STATE for a transactional producer
 * group we heartbeat for (transaction-heartbeat.ts). Handlers for such requests are registered by
 * request code with `onBrokerRequest`; an unregistered one is ignored (the broker's requests to a
 * client are one-way or tolerate no answer).
 */
import type tls from 'node:tls';
import { RemotingClient } from '../remoting/client.js';
import type { Connection } from '../remoting/connection.js';
import type { RemotingCommand } from '../remoting/command.js';
import { ResponseCode } from '../protocol/response-code.js';
import { log } from '../logger.js';
import { BrokerTimeoutError, ProxyError, fromRemoting } from './proxy-error.js';

export type BrokerRequestHandler = (conn: Connection, request: RemotingCommand) => void;

export class BrokerApi {
  private readonly client: RemotingClient;
  private readonly handlers = new Map<number, BrokerRequestHandler>();

  constructor(
    readonly timeoutMs: number,
    tlsOptions?: tls.ConnectionOptions,
  ) {
    this.client = new RemotingClient((conn, req) => this.onRequest(conn, req), { tls: tlsOptions });
  }

  /** Handle requests with this code that a broker sends on one of our connections. */
  onBrokerRequest(code: number, handler: BrokerRequestHandler): void {
    this.handlers.set(code, handler);
  }

  /**
   * One request, its response whatever the code. A timeout is PROXY_TIMEOUT; a connection that
   * cannot be opened or closes is INTERNAL_SERVER_ERROR naming the address.
   */
  async invoke(addr: string, request: RemotingCommand, timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    try {
      return await this.client.invoke(addr, request, timeoutMs);
    } catch (e) {
      const message = (e as Error).message;
      if (/^timeout after|timed out/.test(message)) throw new BrokerTimeoutError(message);
      throw new ProxyError('INTERNAL_SERVER_ERROR', `${addr}: ${message}`);
    }
  }

  /** As invoke, and any code but SUCCESS becomes a ProxyError (proxy-error.ts codeOfRemoting). */
  async invokeOk(addr: string, request: RemotingCommand, timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    const res = await this.invoke(addr, request, timeoutMs);
    if (res.code !== ResponseCode.SUCCESS) throw fromRemoting(res.code, res.remark);
    return res;
  }

  /** A one-way request (heartbeats, END_TRANSACTION). */
  async invokeOneway(addr: string, request: RemotingCommand): Promise<void> {
    try {
      await this.client.invokeOneway(addr, request);
    } catch (e) {
      throw new ProxyError('INTERNAL_SERVER_ERROR', `${addr}: ${(e as Error).message}`);
    }
  }

  /**
   * A NameServer request, tried on each address in turn until one answers (any code). `make`
   * builds a fresh command per try (each needs its own opaque).
   */
  async invokeNamesrv(addrs: readonly string[], make: () => RemotingCommand): Promise<RemotingCommand> {
    let last: unknown = new ProxyError('INTERNAL_SERVER_ERROR', 'no NameServer address');
    for (const addr of addrs) {
      try {
        return await this.invoke(addr, make());
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  close(): void {
    this.client.close();
  }

  private onRequest(conn: Connection, request: RemotingCommand): void {
    const handler = this.handlers.get(request.code);
    if (!handler) return;
    try {
      handler(conn, request);
    } catch (e) {
      log.warn(`proxy: broker request ${request.code} from ${conn.remoteAddr}: ${(e as Error).message}`);
    }
  }
}

/** NameServer addresses from a ';'-separated list (namesrvAddr). */
export function splitNamesrvAddr(text: string): string[] {
  return text.split(';').map((s) => s.trim()).filter(Boolean);
}
