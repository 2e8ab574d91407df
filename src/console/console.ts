/**
 * The web console (consoleEnable): an HTTP server on consoleListenAddress:consolePort (0 = a free port)
 * whose pages read and act through the admin request codes over the network, like mqadmin, against the
 * NameServers in namesrvAddr. Bound to 127.0.0.1 unless configured: the console has no login, so who
 * can reach the port can send messages and move offsets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminClient } from './admin-client.js';
import { ConsoleActions } from './console-actions.js';
import { ConsoleQueries } from './console-queries.js';
import { ConsoleRoutes } from './http-routes.js';
import { Sampler } from './sampler.js';
import type { RemotingClientOptions } from '../remoting/client.js';
import { log } from '../logger.js';

export interface ConsoleOptions {
  namesrvAddr: string;
  consoleListenAddress: string;
  consolePort: number;
  /** How often the charts get a point (ms). */
  consoleSampleIntervalMills: number;
  /** TLS and request signing for the admin connections, as the broker's own clients use. */
  client?: RemotingClientOptions;
}

export interface RunningConsole {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startConsole(o: ConsoleOptions): Promise<RunningConsole> {
  const admin = new AdminClient(o.namesrvAddr, o.client);
  const queries = new ConsoleQueries(admin);
  const sampler = new Sampler(queries, o.consoleSampleIntervalMills);
  const server = http.createServer();
  server.listen({ host: o.consoleListenAddress, port: o.consolePort });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (e) {
    admin.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const hostText = o.consoleListenAddress.includes(':') ? `[${o.consoleListenAddress}]` : o.consoleListenAddress;
  // Bound to loopback, the console answers only loopback names (any port: an SSH tunnel's local port
  // differs): a page on another site that rebinds its DNS name to 127.0.0.1 sends that name as Host.
  const loopbackOnly = LOOPBACK.has(o.consoleListenAddress);
  const routes = new ConsoleRoutes(queries, new ConsoleActions(admin), sampler, loopbackOnly);
  server.on('request', (req, res) => {
    routes.handle(req, res).catch((e: Error) => {
      log.warn(`console: ${req.method} ${req.url} failed: ${e.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  sampler.start();
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${hostText}:${port}/`,
    port,
    stop: () =>
      (stopped ??= (async () => {
        await sampler.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        admin.close();
      })()),
  };
}
