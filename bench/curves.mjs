#!/usr/bin/env node
/**
 * How cost grows with the work: our server beside the Apache 4.9.7 broker, one curve at a time, each
 * side on free loopback ports with the same broker.conf keys (lib/servers.mjs). Not a test.
 *
 *   threads  closed-loop sends of 128 B from 1, 8, 64, 256 threads (bench/java/latency/LatencyProducer on
 *            the official 4.9.8 client): TPS, server CPU per message, p99
 *   sizes    closed-loop sends from 16 threads of 128 B, 1 KiB, 16 KiB, 256 KiB, 4 MiB bodies
 *            (maxMessageSize 8 MiB on both, so a 4 MiB body and its record fit): MB/s, server CPU per MiB
 *   topics   100, 1,000, 10,000 topics of 4 queues created on a broker, which is then restarted: its start
 *            time, the size of its first REGISTER_BROKER and the NameServer's time to answer it (read by a
 *            relay between them, lib/frame-proxy.mjs), the broker's RSS once started
 *   clients  2,000 mostly idle clients (half producers, half consumers in groups of 10), each a connection
 *            heartbeating every 30 s (lib/idle-clients.mjs): broker RSS per connection, CPU per heartbeat
 *   backlog  --backlog-gib of 1 KiB messages written first (official Producer, -w 64), then the official
 *            Consumer with a new group drains it from offset 0: consume TPS and server CPU per message, with
 *            most of the backlog beyond our recent-write cache (commitLogRecentCacheBytes), so read from files
 *
 * Usage: node bench/curves.mjs [--curves threads,sizes,topics,clients,backlog] [--only ours|apache]
 *                              [--warmup-sec 5] [--sec 20] [--backlog-gib 4] [--clients 2000] [--quick]
 * --quick: short windows, 0.25 GiB backlog, 200 clients, topics up to 1,000 (a smoke run; numbers indicative).
 * Writes bench/results/<date>-<commit>-curves.{json,md}. Needs dist/ (npm run build), java, javac, mvn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startApache, startOurs } from './lib/servers.mjs';
import { sleep } from './lib/processes.mjs';
import { RssSampler, cpuSec } from './lib/rss.mjs';
import { benchClasspath, runProgram, summarizeConsumer, SAMPLE_PERIOD_SEC } from './lib/programs.mjs';
import { latencyClasspath, runLatency } from './lib/latency-program.mjs';
import { brokerLauncher, startNamesrv } from './lib/split-server.mjs';
import { startFrameProxy } from './lib/frame-proxy.mjs';
import { startIdleClients } from './lib/idle-clients.mjs';
import { WireClient, createTopic } from './lib/wire.mjs';
import { COMMIT_UNKNOWN, commitInfo, fmt, machineInfo } from './lib/report.mjs';

const { values: opt } = parseArgs({
  options: {
    curves: { type: 'string', default: 'threads,sizes,topics,clients,backlog' },
    only: { type: 'string' },
    'warmup-sec': { type: 'string' },
    sec: { type: 'string' },
    'backlog-gib': { type: 'string' },
    clients: { type: 'string' },
    quick: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const quick = Boolean(opt.quick);
const WARMUP = Number(opt['warmup-sec'] ?? (quick ? 3 : 5));
const SEC = Number(opt.sec ?? (quick ? 5 : 20));
const BACKLOG_GIB = Number(opt['backlog-gib'] ?? (quick ? 0.25 : 4));
const CLIENTS = Number(opt.clients ?? (quick ? 200 : 2000));
const THREADS = [1, 8, 64, 256];
const SIZES = [128, 1024, 16 * 1024, 256 * 1024, 4 * 1024 * 1024];
const TOPIC_COUNTS = quick ? [100, 1000] : [100, 1000, 10_000];
const REGISTER_BROKER = 103;
const BIG = { maxMessageSize: 8 * 1024 * 1024 };
const SIDES = { ours: startOurs, apache: startApache };
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const base = path.join(REPO_ROOT, 'bench', '.work', `curves-${stamp}`);
const log = (m) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function withServer(side, dir, extraConf, fn) {
  const server = await SIDES[side]({ dir, flushDiskType: 'ASYNC_FLUSH', segmentBytes: 1024 * 1024 * 1024, extraConf });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

async function threadsCurve(side, cp) {
  return withServer(side, path.join(base, side, 'threads'), {}, async (server) => {
    const rows = [];
    for (const threads of THREADS) {
      const r = await runLatency({ server, cp, dir: path.join(base, side, 'threads', `t${threads}`), topic: 'CurveThreads', size: 128, rate: 0, threads, warmupSec: WARMUP, sec: SEC });
      log(`${side} threads=${threads}: ${r.achievedRate} msg/s, ${fmt(r.cpuUsPerMsg, 1)} µs CPU/msg, p99 ${r.p99Us} µs`);
      rows.push({ threads, tps: r.achievedRate, cpuUsPerMsg: r.cpuUsPerMsg, p99Us: r.p99Us, failed: r.failed });
    }
    return rows;
  });
}

async function sizesCurve(side, cp) {
  return withServer(side, path.join(base, side, 'sizes'), BIG, async (server) => {
    const rows = [];
    for (const size of SIZES) {
      const r = await runLatency({ server, cp, dir: path.join(base, side, 'sizes', `s${size}`), topic: 'CurveSizes', size, rate: 0, threads: 16, warmupSec: WARMUP, sec: SEC, heapMb: 1024 });
      const mbps = r.bytesPerSec / 1e6;
      log(`${side} size=${size}: ${fmt(mbps, 1)} MB/s, ${fmt(r.cpuMsPerMiB, 2)} ms CPU/MiB`);
      rows.push({ size, msgPerSec: r.achievedRate, mbPerSec: mbps, cpuMsPerMiB: r.cpuMsPerMiB, p99Us: r.p99Us, failed: r.failed });
    }
    return rows;
  });
}

/** Topics created over one connection, `inFlight` at a time. */
async function createTopics(brokerAddr, count) {
  const client = new WireClient(brokerAddr);
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) await createTopic(client, `CurveTopic_${next++}`, 4);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    client.close();
  }
}

async function topicsCurve(side) {
  const rows = [];
  for (const count of TOPIC_COUNTS) {
    const dir = path.join(base, side, 'topics', String(count));
    const namesrv = await startNamesrv(side, path.join(dir, 'namesrv'));
    const proxy = await startFrameProxy(namesrv.addr);
    try {
      const broker = await brokerLauncher(side, path.join(dir, 'broker'), proxy.addr);
      const first = await broker.start();
      const t0 = performance.now();
      await createTopics(broker.brokerAddr, count);
      const createSec = (performance.now() - t0) / 1000;
      await first.proc.stop('SIGTERM', 30_000);
      proxy.records.length = 0;
      const again = await broker.start();
      // The first full registration after the restart (the broker registers at start, then every 30 s).
      const until = performance.now() + 30_000;
      while (!proxy.records.some((r) => r.code === REGISTER_BROKER) && performance.now() < until) await sleep(100);
      const reg = proxy.records.find((r) => r.code === REGISTER_BROKER);
      await sleep(3_000);
      const rss = new RssSampler(() => (again.proc.running ? [again.proc.pid] : [])).finish().peakRssMiB;
      await again.proc.stop('SIGTERM', 30_000);
      log(`${side} topics=${count}: created in ${fmt(createSec, 1)} s; start ${fmt(again.startMs)} ms; REGISTER_BROKER ${reg ? `${fmt(reg.bytes)} B in ${fmt(reg.ms, 1)} ms` : 'not seen'}; RSS ${rss} MiB`);
      rows.push({ topics: count, createSec, brokerStartMs: again.startMs, registerBytes: reg?.bytes, registerMs: reg?.ms, registerCode: reg?.responseCode, brokerRssMiB: rss });
    } finally {
      proxy.close();
      await namesrv.proc.stop('SIGTERM', 30_000);
    }
  }
  return rows;
}

async function clientsCurve(side) {
  return withServer(side, path.join(base, side, 'clients'), {}, async (server) => {
    await sleep(3_000);
    const before = new RssSampler(server.pids).finish().peakRssMiB;
    const clients = await startIdleClients({ brokerAddr: server.brokerAddr, count: CLIENTS, topic: 'CurveClients' });
    try {
      await sleep(5_000);
      const c0 = cpuSec(server.pids());
      const n0 = clients.counts().sent;
      const sampler = new RssSampler(server.pids);
      const windowSec = quick ? 15 : 60;
      await sleep(windowSec * 1000);
      const cpu = cpuSec(server.pids()) - c0;
      const beats = clients.counts().sent - n0;
      const after = sampler.finish().peakRssMiB;
      const row = {
        clients: CLIENTS, rssBeforeMiB: before, rssAfterMiB: after, rssPerClientKiB: ((after - before) * 1024) / CLIENTS,
        windowSec, heartbeats: beats, cpuSec: cpu, cpuUsPerHeartbeat: beats > 0 ? (cpu * 1e6) / beats : undefined, serverCores: cpu / windowSec,
      };
      log(`${side} clients=${CLIENTS}: RSS ${before} → ${after} MiB (${fmt(row.rssPerClientKiB, 1)} KiB each); ${beats} heartbeats in ${windowSec} s, ${fmt(row.cpuUsPerHeartbeat, 1)} µs CPU each`);
      return row;
    } finally {
      clients.close();
    }
  });
}

async function backlogCurve(side) {
  return withServer(side, path.join(base, side, 'backlog'), {}, async (server) => {
    const cp = await benchClasspath();
    const dir = path.join(base, side, 'backlog');
    const targetBytes = BACKLOG_GIB * 1024 ** 3;
    // The Producer prints every 10 s; it stops once the store's log has grown by the target.
    const logBytes = () => {
      const d = path.join(dir, 'store', 'commitlog');
      return fs.existsSync(d) ? fs.readdirSync(d).reduce((a, f) => a + fs.statSync(path.join(d, f)).blocks * 512, 0) : 0;
    };
    const t0 = performance.now();
    await runProgram({
      name: 'Producer (fill)', mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
      args: ['-n', server.namesrvAddr, '-t', 'CurveBacklog', '-w', '64', '-s', '1024', '-k', 'false'], cp, dir: path.join(dir, 'fill'),
      lines: 100_000, stopWhen: () => logBytes() >= targetBytes, timeoutMs: 3_600_000,
    });
    const fillSec = (performance.now() - t0) / 1000;
    const written = logBytes();
    // The drain starts once the server has done the fill's remaining work (flushing the written GiBs is
    // system CPU of the server process), so the drain's CPU per message counts the drain alone.
    const settleSec = await settle(server);
    log(`${side} backlog: ${fmt(written / 1024 ** 3, 2)} GiB written in ${fmt(fillSec)} s, server idle ${fmt(settleSec, 1)} s later`);
    const r = await runProgram({
      name: 'Consumer (drain)', mainClass: 'org.apache.rocketmq.example.benchmark.Consumer',
      args: ['-n', server.namesrvAddr, '-t', 'CurveBacklog', '-g', 'bench_backlog', '-p', 'false'], cp, dir: path.join(dir, 'drain'),
      lines: 100_000, stopWhen: (s) => s.some((x) => x.tps > 0) && s.length > 2 && s.at(-1).tps === 0 && s.at(-2).tps === 0, timeoutMs: 3_600_000,
      onSample: () => ({ serverCpuSec: cpuSec(server.pids()) }),
    });
    const summary = summarizeConsumer(r.samples, 1);
    const busy = r.samples.filter((s, i) => i > 0 && s.tps > 0);
    const cpuUsPerMsg = busy.length > 1
      ? ((busy.at(-1).serverCpuSec - r.samples[r.samples.indexOf(busy[0]) - 1].serverCpuSec) * 1e6) / busy.reduce((a, s) => a + s.tps * SAMPLE_PERIOD_SEC, 0)
      : undefined;
    log(`${side} backlog drain: ${summary.tps} msg/s over ${summary.samples} window(s), ${fmt(cpuUsPerMsg, 1)} µs CPU/msg`);
    return { backlogGiB: written / 1024 ** 3, fillSec, settleSec, consumeTps: summary.tps, windows: summary.samples, cpuUsPerMsg };
  });
}

/** Server idle: at most 5 % of a core over 2 s. Waits for it up to 120 s; returns the seconds waited. */
async function settle(server) {
  const t0 = performance.now();
  let last = cpuSec(server.pids());
  while (performance.now() - t0 < 120_000) {
    await sleep(2000);
    const now = cpuSec(server.pids());
    if (now - last < 0.1) break;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

function markdown(results) {
  const sides = Object.keys(results);
  const head = (label) => `| ${label} | ${sides.map((s) => `${s}`).join(' | ')} |\n|---|${sides.map(() => '---').join('|')}|`;
  const out = [];
  const any = (curve) => sides.some((s) => results[s][curve]);
  if (any('threads')) {
    out.push('## Producer threads (128 B, closed loop)', '', head('threads: TPS / µs CPU per msg / p99 µs'));
    THREADS.forEach((t, i) => out.push(`| ${t} | ${sides.map((s) => { const r = results[s].threads?.[i]; return r ? `${fmt(r.tps)} / ${fmt(r.cpuUsPerMsg, 1)} / ${fmt(r.p99Us)}` : ''; }).join(' | ')} |`));
    out.push('');
  }
  if (any('sizes')) {
    out.push('## Message size (16 threads, closed loop)', '', head('size: MB/s / ms CPU per MiB'));
    SIZES.forEach((z, i) => out.push(`| ${z >= 1048576 ? `${z / 1048576} MiB` : z >= 1024 ? `${z / 1024} KiB` : `${z} B`} | ${sides.map((s) => { const r = results[s].sizes?.[i]; return r ? `${fmt(r.mbPerSec, 1)} / ${fmt(r.cpuMsPerMiB, 2)}` : ''; }).join(' | ')} |`));
    out.push('');
  }
  if (any('topics')) {
    out.push('## Topics (4 queues each)', '', head('topics: broker start ms / REGISTER_BROKER bytes / its ms / broker RSS MiB'));
    TOPIC_COUNTS.forEach((n, i) => out.push(`| ${fmt(n)} | ${sides.map((s) => { const r = results[s].topics?.[i]; return r ? `${fmt(r.brokerStartMs)} / ${fmt(r.registerBytes)} / ${fmt(r.registerMs, 1)} / ${fmt(r.brokerRssMiB, 1)}` : ''; }).join(' | ')} |`));
    out.push('');
  }
  if (any('clients')) {
    out.push(`## ${fmt(CLIENTS)} idle clients`, '', head('RSS per client KiB / µs CPU per heartbeat'), `| | ${sides.map((s) => { const r = results[s].clients; return r ? `${fmt(r.rssPerClientKiB, 1)} / ${fmt(r.cpuUsPerHeartbeat, 1)}` : ''; }).join(' | ')} |`, '');
  }
  if (any('backlog')) {
    out.push('## Backlog drained from the start', '', head('GiB / consume msg/s / µs CPU per msg'), `| | ${sides.map((s) => { const r = results[s].backlog; return r ? `${fmt(r.backlogGiB, 2)} / ${fmt(r.consumeTps)} / ${fmt(r.cpuUsPerMsg, 1)}` : ''; }).join(' | ')} |`, '');
  }
  return out.join('\n');
}

async function main() {
  const curves = opt.curves.split(',').map((c) => c.trim());
  const sides = opt.only ? [opt.only] : ['ours', 'apache'];
  const cp = await latencyClasspath();
  const results = Object.fromEntries(sides.map((s) => [s, {}]));
  for (const curve of curves) {
    for (const side of sides) {
      log(`${side}: ${curve}`);
      try {
        if (curve === 'threads') results[side].threads = await threadsCurve(side, cp);
        else if (curve === 'sizes') results[side].sizes = await sizesCurve(side, cp);
        else if (curve === 'topics') results[side].topics = await topicsCurve(side);
        else if (curve === 'clients') results[side].clients = await clientsCurve(side);
        else if (curve === 'backlog') results[side].backlog = await backlogCurve(side);
        else throw new Error(`unknown curve ${curve}`);
      } catch (e) {
        log(`${side} ${curve} failed: ${e.stack}`);
        results[side][`${curve}Error`] = String(e.message);
      }
    }
  }
  const info = commitInfo();
  const md = [
    `# Cost curves (${new Date().toISOString().slice(0, 10)})${quick ? ' — quick run, indicative only' : ''}`, '',
    `Commit ${info.commit}${info.srcDirty ? ' (src/ differs from it)' : ''}; ${JSON.stringify(machineInfo())}`, '',
    `Windows: ${WARMUP} s warm-up + ${SEC} s measured per point. ours = rocketmq-ts, apache = Apache RocketMQ 4.9.7.`, '',
    markdown(results),
  ].join('\n');
  process.stdout.write(`${md}\n`);
  const stem = info.commit === COMMIT_UNKNOWN ? stamp.slice(0, 19) : `${new Date().toISOString().slice(0, 10)}-${info.commit}`;
  const outBase = path.join(REPO_ROOT, 'bench', 'results', `${stem}-curves${quick ? '-quick' : ''}`);
  fs.writeFileSync(`${outBase}.json`, JSON.stringify({ options: opt, machine: machineInfo(), commit: info, results }, null, 2));
  fs.writeFileSync(`${outBase}.md`, `${md}\n`);
  log(`written ${path.relative(REPO_ROOT, outBase)}.{json,md}`);
}

await main();
