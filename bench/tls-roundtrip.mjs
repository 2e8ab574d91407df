/**
 * `node bench/tls-roundtrip.mjs [sends]`: what TLS costs a send, in this process (dist/ build). One
 * NameServer-less broker (tls.server.mode=permissive with a certificate made by the openssl CLI, so
 * plain and TLS clients share its port), and one Node RemotingClient per transport:
 *   sequential  `sends` SEND_MESSAGE_V2 of 100 bytes, one at a time: round-trip time p50/p99/mean;
 *   pipelined   the same count with 64 in flight: sends per second;
 *   echo        a bare RemotingServer that answers each frame at once (no store), sequential and pipelined,
 *               so the TLS share of a round trip is seen without the store's write and flush.
 * Plain and TLS runs alternate (plain, TLS, plain, TLS) after a warm-up; the table shows the second pair.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrokerController } from '../dist/server/broker-controller.js';
import { DefaultMessageStore } from '../dist/store/default-message-store.js';
import { BROKER_CONFIG_DEFAULTS } from '../dist/config/broker-config.js';
import { TLS_CONFIG_DEFAULTS } from '../dist/config/security.js';
import { RemotingServer } from '../dist/remoting/server.js';
import { RemotingClient } from '../dist/remoting/client.js';
import { createRequest, createResponse } from '../dist/remoting/command.js';
import { tlsServerSide } from '../dist/remoting/tls.js';

const SENDS = Number(process.argv[2] ?? 10_000);
const IN_FLIGHT = 64;
const BODY = Buffer.alloc(100, 0x61);
const TOPIC = 'TlsBenchTopic';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-tls-bench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=bench'],
  { cwd: dir, stdio: 'pipe' });
const tlsKeys = {
  ...TLS_CONFIG_DEFAULTS, 'tls.server.mode': 'permissive', 'tls.config.file': path.join(dir, 'none'),
  'tls.server.certPath': path.join(dir, 'c.pem'), 'tls.server.keyPath': path.join(dir, 'k.pem'),
};

function sendRequest(queueId) {
  return createRequest(310, {
    a: 'bench-producer', b: TOPIC, c: 'TBW102', d: '4', e: String(queueId), f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false',
  }, BODY);
}

async function sequential(client, addr, make, n) {
  const rtt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await client.invoke(addr, make(i), 5000);
    if (r.code !== 0) throw new Error(`answer ${r.code} ${r.remark}`);
    rtt[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  rtt.sort();
  const mean = rtt.reduce((a, b) => a + b, 0) / n;
  return { p50: rtt[Math.floor(n * 0.5)], p99: rtt[Math.floor(n * 0.99)], mean };
}

async function pipelined(client, addr, make, n) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) {
      const r = await client.invoke(addr, make(next++), 10_000);
      if (r.code !== 0) throw new Error(`answer ${r.code} ${r.remark}`);
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

async function measure(label, addr, make) {
  const rows = [];
  const clients = { plain: new RemotingClient(), tls: new RemotingClient(undefined, { tls: { rejectUnauthorized: false } }) };
  await sequential(clients.plain, addr, make, Math.min(2000, SENDS));
  await sequential(clients.tls, addr, make, Math.min(2000, SENDS));
  let last = {};
  for (let round = 0; round < 2; round++) {
    for (const t of ['plain', 'tls']) {
      const s = await sequential(clients[t], addr, make, SENDS);
      const tps = await pipelined(clients[t], addr, make, SENDS);
      last[t] = { ...s, tps };
    }
  }
  for (const t of ['plain', 'tls']) {
    const r = last[t];
    rows.push(`| ${label} | ${t} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.mean.toFixed(0)} | ${r.tps.toFixed(0)} |`);
  }
  for (const c of Object.values(clients)) c.close();
  return rows;
}

const rows = [];
// Echo: a RemotingServer answering every request at once.
const echo = new RemotingServer({ host: '127.0.0.1', port: 0, tls: tlsServerSide(tlsKeys, 'echo') }, (conn, req) => conn.send(createResponse(req, 0)));
await echo.listen();
rows.push(...await measure('echo (no store)', `127.0.0.1:${echo.port}`, () => sendRequest(0)));
await echo.close();

// A broker: 100-byte sends into the store (ASYNC_FLUSH), no NameServer.
const listenPort = 20000 + Math.floor(Math.random() * 10000);
const cfg = {
  ...BROKER_CONFIG_DEFAULTS, ...tlsKeys, listenPort, haListenPort: listenPort + 1, namesrvAddr: '',
  storePathRootDir: path.join(dir, 'store'), storePathCommitLog: path.join(dir, 'store', 'commitlog'),
  mappedFileSizeCommitLog: 256 * 1024 * 1024, autoCreateTopicEnable: true,
};
const broker = new BrokerController(cfg, new DefaultMessageStore(cfg));
await broker.start();
const brokerAddr = `127.0.0.1:${listenPort}`;
const admin = new RemotingClient();
await admin.invoke(brokerAddr, createRequest(17, {
  topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
}), 5000);
admin.close();
rows.push(...await measure('SEND_MESSAGE_V2 100 B', brokerAddr, (i) => sendRequest(i % 4)));
await broker.shutdown();
fs.rmSync(dir, { recursive: true, force: true });

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${SENDS} requests per run, ${IN_FLIGHT} in flight when pipelined\n`);
console.log('| what | transport | RTT p50 µs | RTT p99 µs | RTT mean µs | pipelined req/s |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
