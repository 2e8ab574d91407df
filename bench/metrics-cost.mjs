// What the PROM metrics cost on the send path: (1) the per-message counter calls in isolation (ns/op and
// heap growth over 1M calls: pre-resolved label sets mean none), (2) an in-process broker taking a
// SEND_MESSAGE_V2 loop (32 in flight) with metricsExporterType DISABLE and PROM, alternated.
// Usage: npm run build && node --expose-gc bench/metrics-cost.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrokerMetrics, messageTypeOf } from '../dist/broker/metrics/broker-metrics.js';
import { RpcMetrics } from '../dist/remoting/rpc-metrics.js';
import { BrokerController } from '../dist/server/broker-controller.js';
import { NamesrvController } from '../dist/server/namesrv-controller.js';
import { DefaultMessageStore } from '../dist/store/default-message-store.js';
import { BROKER_CONFIG_DEFAULTS } from '../dist/config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../dist/config/namesrv-config.js';
import { RemotingClient } from '../dist/remoting/client.js';
import { createRequest } from '../dist/remoting/command.js';
import { setLogLevel } from '../dist/logger.js';

const props = 'UNIQ_KEY\u0001C0A8000100002A9F00000000000000000001\u0002WAIT\u0001true\u0002TAGS\u0001TagA';

function micro(name, n, fn) {
  for (let i = 0; i < n / 10; i++) fn(i);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  const grew = process.memoryUsage().heapUsed - heap0;
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/op   heap +${(grew / 1024).toFixed(0)} KiB over ${n} calls`);
}

const m = new BrokerMetrics({ brokerClusterName: 'C', brokerName: 'b' });
const rpc = new RpcMetrics(m.base);
const topics = ['T0', 'T1', 'T2', 'T3'];
const N = 1_000_000;
// Reference on the same (shared, busy) machine: what every send already costs before the store.
const { encodeFrameToBuffer, decodeFrameContent } = await import('../dist/remoting/frame.js');
const { parseSendHeader } = await import('../dist/codec/send-header.js');
const frame = encodeFrameToBuffer(createRequest(310, {
  a: 'bench-pg', b: 'BenchMetrics', c: 'TBW102', d: '8', e: '3', f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false',
}, Buffer.alloc(128, 7))).subarray(4);
micro('reference: decode frame + parseSendHeader', N / 4, () => parseSendHeader(decodeFrameContent(frame)));
micro('messageTypeOf(properties)', N, () => messageTypeOf(props));
micro('messagesIn(topic, type, 1, 300)', N, (i) => m.messagesIn(topics[i & 3], messageTypeOf(props), 1, 300));
micro('messagesOut(group, topic, 32, 9600)', N, (i) => m.messagesOut('G', topics[i & 3], 32, 9600));
const sendReq = createRequest(310, {});
micro('rpcCompleted(SEND_MESSAGE_V2, SUCCESS)', N, (i) => rpc.rpcCompleted(sendReq, 0, false, i & 7));

async function broker(type) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-bench-metrics-'));
  const namesrv = new NamesrvController({ ...NAMESRV_CONFIG_DEFAULTS, listenPort: 0, kvConfigPath: path.join(dir, 'kv.json') });
  await namesrv.start();
  const cfg = {
    ...BROKER_CONFIG_DEFAULTS, listenPort: 0, haListenPort: 0, storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'), mappedFileSizeCommitLog: 256 * 1024 * 1024,
    // A busy shared machine must not turn queue waits into SYSTEM_BUSY answers mid-measurement.
    waitTimeMillsInSendQueue: 60_000,
    namesrvAddr: `127.0.0.1:${namesrv.port}`, metricsExporterType: type, metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0,
  };
  return { cfg, dir, namesrv };
}

async function sendLoop(type, total) {
  const { cfg, dir, namesrv } = await broker(type);
  // listenPort 0 is not allowed for a broker (VIP port listenPort-2): take a free pair.
  const { freeBrokerPort } = await import('../dist/server/free-ports.js');
  cfg.listenPort = await freeBrokerPort();
  cfg.haListenPort = cfg.listenPort + 1;
  const b = new BrokerController(cfg, new DefaultMessageStore(cfg));
  await b.start();
  const client = new RemotingClient(() => {});
  const body = Buffer.alloc(256, 7);
  const req = (i) => createRequest(310, {
    a: 'bench-pg', b: 'BenchMetrics', c: 'TBW102', d: '8', e: String(i & 7), f: '0', g: String(Date.now()), h: '0', i: props, j: '0', k: 'false', m: 'false',
  }, body);
  await client.invoke(b.brokerAddr, req(0), 5000);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const r = await client.invoke(b.brokerAddr, req(next), 5000);
      if (r.code !== 0) throw new Error(`send failed: ${r.code} ${r.remark}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const rate = total / ((performance.now() - t0) / 1000);
  client.close();
  await b.shutdown();
  await namesrv.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
  return rate;
}

setLogLevel?.('warn');
const TOTAL = Number(process.env.BENCH_MESSAGES ?? 30_000);
const rates = { DISABLE: [], PROM: [] };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
for (let round = 0; round < ROUNDS; round++) {
  for (const type of round % 2 === 0 ? ['DISABLE', 'PROM'] : ['PROM', 'DISABLE']) rates[type].push(await sendLoop(type, TOTAL));
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [type, r] of Object.entries(rates)) {
  console.log(`send loop, metricsExporterType=${type.padEnd(7)} ${r.map((x) => x.toFixed(0)).join(' / ')} msg/s (median ${median(r).toFixed(0)})`);
}
