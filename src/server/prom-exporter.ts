import http from 'node:http';
import { PromWriter, type MetricsSource } from '../remoting/prom-format.js';
import { log } from '../logger.js';

/** A running /metrics endpoint. */
export interface PromExporter {
  /** host:port actually bound (port 0 asks the OS for a free one). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The Prometheus endpoint metricsExporterType=PROM starts (the Apache broker's PrometheusHttpServer): GET
 * /metrics (or /) answers the text exposition format 0.0.4, built from `sources` at each scrape. Anything
 * else is 404. Nothing is computed between scrapes beyond the counters the sources keep.
 */
export async function startPromExporter(host: string, port: number, sources: readonly MetricsSource[], what: string): Promise<PromExporter> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics' && path !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: scrape /metrics\n');
      return;
    }
    let body: string;
    try {
      const w = new PromWriter();
      for (const s of sources) s.write(w);
      body = w.text();
    } catch (e) {
      log.error(`${what} metrics: scrape failed: ${(e as Error).stack ?? e}`);
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('scrape failed\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  const address = `${host}:${bound}`;
  log.info(`${what} metrics: Prometheus exporter on http://${address}/metrics`);
  return {
    address,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
