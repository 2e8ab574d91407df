/**
 * The console's HTTP surface: the page (three static assets) and a small JSON API the page calls.
 * Reads are GET; the two actions that change something (send a test message, reset offsets) are POST
 * with a JSON body, which a cross-site form cannot send without a CORS preflight we never answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminError } from './admin-client.js';
import { ConsoleActions, InputError } from './console-actions.js';
import type { ConsoleQueries } from './console-queries.js';
import type { Sampler } from './sampler.js';
import { INDEX_HTML } from './assets/index-html.js';
import { APP_CSS } from './assets/app-css.js';
import { APP_JS } from './assets/app-js.js';
import { PAGES_JS } from './assets/pages-js.js';
import { MESSAGES_JS } from './assets/messages-js.js';
import { CHARTS_JS } from './assets/charts-js.js';

/** A POST body the console reads at most (a test message is bounded well below this). */
const POST_BODY_MAX_BYTES = 256 * 1024;

/** The page loads only its own script and style: an injected tag in user data could not run even if it got into markup. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const ASSETS: Record<string, [string, string]> = {
  '/': ['text/html; charset=utf-8', INDEX_HTML],
  '/app.css': ['text/css; charset=utf-8', APP_CSS],
  '/app.js': ['text/javascript; charset=utf-8', APP_JS + PAGES_JS + MESSAGES_JS + CHARTS_JS],
};

type Query = URLSearchParams;
type Handler = (q: Query, body: Record<string, unknown>) => Promise<unknown>;

export class ConsoleRoutes {
  private readonly get: Record<string, Handler>;
  private readonly post: Record<string, Handler>;

  constructor(
    queries: ConsoleQueries,
    actions: ConsoleActions,
    sampler: Sampler,
    /** Accept only a loopback name in the Host header (the console is bound to loopback). */
    private readonly loopbackOnly: boolean,
  ) {
    const s = (q: Query, k: string): string => q.get(k) ?? '';
    const n = (q: Query, k: string): number => (q.get(k) === null || q.get(k) === '' ? NaN : Number(q.get(k)));
    this.get = {
      '/api/brokers': () => queries.brokers(),
      '/api/topics': () => queries.topics(),
      '/api/topic': (q) => queries.topic(required(s(q, 'topic'), 'topic')),
      '/api/groups': (q) => queries.groups(q.get('system') === '1'),
      '/api/group': (q) => queries.group(required(s(q, 'group'), 'group')),
      '/api/history': async () => sampler.history(),
      '/api/message/id': (q) => actions.byId(s(q, 'topic').trim(), s(q, 'msgId')),
      '/api/message/key': (q) => actions.byKey(s(q, 'topic').trim(), s(q, 'key')),
      '/api/message/offset': (q) => actions.byOffset(s(q, 'topic').trim(), s(q, 'brokerName'), n(q, 'queueId'), n(q, 'offset')),
    };
    this.post = {
      '/api/send': (_q, b) =>
        actions.send({
          topic: text(b.topic).trim(), tags: text(b.tags), keys: text(b.keys), body: text(b.body),
          brokerName: text(b.brokerName) || undefined, queueId: b.queueId === undefined || b.queueId === '' ? undefined : Number(b.queueId),
        }),
      '/api/reset-offset': (_q, b) => actions.resetByTime(text(b.group).trim(), text(b.topic).trim(), Number(b.timestamp)),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    if (this.loopbackOnly && !isLoopbackHost(req.headers.host)) return send(res, 421, 'text/plain', 'unknown Host');
    const asset = ASSETS[url.pathname];
    if (req.method === 'GET' && asset) return send(res, 200, asset[0], asset[1]);
    const handler = req.method === 'GET' ? this.get[url.pathname] : req.method === 'POST' ? this.post[url.pathname] : undefined;
    if (!handler) return sendJson(res, 404, { error: `no ${req.method} ${url.pathname}` });
    let body: Record<string, unknown> = {};
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) return sendJson(res, 403, { error: 'cross-origin request' });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { error: 'expected application/json' });
      try {
        body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      } catch (e) {
        return sendJson(res, 400, { error: `bad JSON body: ${(e as Error).message}` });
      }
    }
    try {
      sendJson(res, 200, await handler(url.searchParams, body ?? {}));
    } catch (e) {
      if (e instanceof InputError) sendJson(res, 400, { error: e.message });
      else if (e instanceof AdminError) sendJson(res, 502, { error: e.message, code: e.code });
      else sendJson(res, 500, { error: (e as Error).message });
    }
  }
}

/** Host: localhost, 127.x.x.x or [::1], with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = (host ?? '').toLowerCase().replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function required(v: string, name: string): string {
  if (!v.trim()) throw new InputError(`${name} is required`);
  return v.trim();
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > POST_BODY_MAX_BYTES) {
        reject(new Error(`body over ${POST_BODY_MAX_BYTES} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}
