#!/usr/bin/env node
/**
 * Send latency at a fixed offered load, cold start and idle memory: our standalone server against the
 * Apache 4.9.7 NameServer + broker, one after the other on free loopback ports, same broker.conf keys.
 *
 * Per server:
 *   cold start  spawn of the server process(es) → the first acknowledged SEND_MESSAGE (a 128 B message to a
 *               topic auto-created from TBW102), in ms
 *   idle RSS    summed VmRSS of the server processes after --idle-sec with nothing to do
 *   max         (Apache only, unless --rate is given) the official benchmark Producer, -w 64 -s <size>,
 *               as fast as it goes: its steady send TPS is the "maximum" the load is a share of
 *   latency     bench/java/latency/LatencyProducer on the official 4.9.8 client: --share of that maximum
 *               (default 50 %), paced, scheduled sends from 64 threads; p50/p90/p99/p999/max of the time
 *               from each send's scheduled moment to its acknowledgement (so stalls count), server CPU per
 *               message over the measured window
 * Prints a table and writes bench/results/<date>-<commit>-latency.{json,md}. Not a test.
 *
 * Usage: node bench/latency.mjs [--rate N] [--share 0.5] [--size 128] [--warmup-sec 10] [--sec 30]
 *                               [--max-sec 30] [--idle-sec 10] [--threads 64] [--only ours|apache]
 * Needs dist/ (npm run build), java, javac and mvn (bench/lib/latency-program.mjs builds the program). Logs stay under bench/.work/latency-<time>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startApache, startOurs } from './lib/servers.mjs';
import { sleep } from './lib/processes.mjs';
import { RssSampler } from './lib/rss.mjs';
import { benchClasspath, runProgram, summarizeProducer, SAMPLE_PERIOD_SEC } from './lib/programs.mjs';
import { latencyClasspath, runLatency } from './lib/latency-program.mjs';
import { WireClient, sendOne } from './lib/wire.mjs';
import { COMMIT_UNKNOWN, commitInfo, fmt, machineInfo } from './lib/report.mjs';

const TOPIC = 'BenchLatency';
const SEGMENT_BYTES = 1024 * 1024 * 1024;
const COLD_START_TIMEOUT_MS = 120_000;

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string' },
    share: { type: 'string', default: '0.5' },
    size: { type: 'string', default: '128' },
    'warmup-sec': { type: 'string', default: '10' },
    sec: { type: 'string', default: '30' },
    'max-sec': { type: 'string', default: '30' },
    'idle-sec': { type: 'string', default: '10' },
    threads: { type: 'string', default: '64' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const num = (k) => Number(opt[k]);

/** Spawn → first acknowledged send, then the idle footprint. */
async function coldStart(start, dir) {
  const t0 = performance.now();
  const server = await start({ dir, flushDiskType: 'ASYNC_FLUSH', segmentBytes: SEGMENT_BYTES });
  const readyMs = performance.now() - t0;
  const client = new WireClient(server.brokerAddr);
  let firstSendMs;
  try {
    while (performance.now() - t0 < COLD_START_TIMEOUT_MS) {
      const r = await sendOne(client, TOPIC, 0, Buffer.alloc(128, 'x')).catch(() => ({ code: -1 }));
      if (r.code === 0) {
        firstSendMs = performance.now() - t0;
        break;
      }
      await sleep(20);
    }
  } finally {
    client.close();
  }
  if (firstSendMs === undefined) throw new Error(`${server.name}: no acknowledged send within ${COLD_START_TIMEOUT_MS} ms of spawning it`);
  await sleep(num('idle-sec') * 1000);
  const idle = new RssSampler(server.pids).finish();
  return { server, readyMs, firstSendMs, idleRssMiB: idle.peakRssMiB };
}

async function maxTps(server, cp, dir) {
  const warm = 1;
  const lines = warm + Math.max(1, Math.round(num('max-sec') / SAMPLE_PERIOD_SEC));
  const r = await runProgram({
    name: 'Producer (max)', mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
    args: ['-n', server.namesrvAddr, '-t', `${TOPIC}Max`, '-w', '64', '-s', opt.size, '-k', 'false'],
    cp, dir, lines, timeoutMs: (lines + 3) * SAMPLE_PERIOD_SEC * 1000,
  });
  return summarizeProducer(r.samples, warm, lines - warm).tps;
}

async function side(name, start, cp, base, rateFor) {
  const dir = path.join(base, name);
  const c = await coldStart(start, dir);
  try {
    const rate = await rateFor(c.server, dir);
      const l = await runLatency({
      server: c.server, cp, dir: path.join(dir, 'latency'), topic: TOPIC, size: num('size'), rate, threads: num('threads'),
      warmupSec: num('warmup-sec'), sec: num('sec'),
    });
    return { name: c.server.name, readyMs: c.readyMs, firstSendMs: c.firstSendMs, idleRssMiB: c.idleRssMiB, rate, ...l };
  } finally {
    await c.server.stop();
  }
}

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(REPO_ROOT, 'bench', '.work', `latency-${stamp}`);
  const cp = await latencyClasspath();
  const results = {};
  let rate = opt.rate ? Number(opt.rate) : undefined;
  let apacheMax;
  // Apache first: its maximum sets the offered load for both.
  if (opt.only !== 'ours') {
    results.apache = await side('apache', startApache, cp, base, async (server, dir) => {
      if (rate === undefined) {
        apacheMax = await maxTps(server, await benchClasspath(), path.join(dir, 'max'));
        rate = Math.max(1, Math.round(apacheMax * num('share')));
      }
      return rate;
    });
  }
  if (opt.only !== 'apache') {
    rate ??= 1000;
    results.ours = await side('ours', startOurs, cp, base, async () => rate);
  }
  const rows = [
    ['cold start → first acknowledged send (ms)', (r) => fmt(r.firstSendMs)],
    ['idle RSS after start (MiB)', (r) => fmt(r.idleRssMiB, 1)],
    ['offered load (msg/s)', (r) => fmt(r.rate)],
    ['achieved (msg/s)', (r) => fmt(r.achievedRate)],
    ['send p50 (µs)', (r) => fmt(r.p50Us)],
    ['send p99 (µs)', (r) => fmt(r.p99Us)],
    ['send p999 (µs)', (r) => fmt(r.p999Us)],
    ['send max (µs)', (r) => fmt(r.maxUs)],
    ['failed sends', (r) => fmt(r.failed)],
    ['server CPU per message (µs)', (r) => fmt(r.cpuUsPerMsg, 1)],
  ];
  const ratio = (k) => (results.ours && results.apache && results.apache[k] ? (results.ours[k] / results.apache[k]).toFixed(2) + 'x' : '');
  const keys = [null, 'firstSendMs', 'idleRssMiB', null, null, 'p50Us', 'p99Us', 'p999Us', 'maxUs', null, 'cpuUsPerMsg'];
  const lines = ['| | rocketmq-ts | Apache 4.9.7 | ours / Apache |', '|---|---|---|---|'];
  rows.forEach(([label, f], i) => {
    lines.push(`| ${label} | ${results.ours ? f(results.ours) : ''} | ${results.apache ? f(results.apache) : ''} | ${keys[i + 1] ? ratio(keys[i + 1]) : ''} |`);
  });
  const info = commitInfo();
  const md = [
    `# Send latency at a fixed load, cold start, idle RSS (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Commit ${info.commit}${info.srcDirty ? ' (src/ differs from it)' : ''}; ${JSON.stringify(machineInfo())}`,
    '',
    `Load: ${opt.size} B bodies, ${opt.threads} threads, ${opt['warmup-sec']} s warm-up then ${opt.sec} s measured` +
      (apacheMax ? `; offered ${rate} msg/s = ${num('share') * 100} % of the Apache broker's ${apacheMax} msg/s maximum (official Producer -w 64)` : `; offered ${rate} msg/s`),
    '',
    ...lines,
    '',
  ].join('\n');
  process.stdout.write(md);
  const stem = info.commit === COMMIT_UNKNOWN ? stamp.slice(0, 19) : `${new Date().toISOString().slice(0, 10)}-${info.commit}`;
  const outBase = path.join(REPO_ROOT, 'bench', 'results', `${stem}-latency`);
  fs.writeFileSync(`${outBase}.json`, JSON.stringify({ options: opt, rate, apacheMax, machine: machineInfo(), commit: info, results }, null, 2));
  fs.writeFileSync(`${outBase}.md`, md);
  console.log(`written ${path.relative(REPO_ROOT, outBase)}.{json,md}`);
}

await main();
