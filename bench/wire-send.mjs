#!/usr/bin/env node
/**
 * Server CPU per send with no JVM on the machine: closed-loop SEND_MESSAGE_V2 (binary header, the fields the
 * 4.9 Java client sends) from this process on one connection with N sends in flight, against
 * `node <cli> standalone`. Made for A/B runs of the send path: give two builds' cli.js (a `git worktree` of
 * the other commit, built) and alternate. Prints msg/s and server CPU µs per message for each window.
 *
 * Usage: node bench/wire-send.mjs [--cli dist/cli.js] [--inflight 64] [--sec 6] [--windows 3] [--size 128]
 *        [--flush ASYNC_FLUSH|SYNC_FLUSH]   (BENCH_NODE_ARGS="--cpu-prof ..." profiles the server)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { Tracked, toProperties } from './lib/processes.mjs';
import { freePort, brokerPort } from './lib/ports.mjs';
import { REPO_ROOT, commonBrokerConf, readyBroker } from './lib/servers.mjs';
import { cpuSec } from './lib/rss.mjs';

const { values: opt } = parseArgs({
  options: {
    cli: { type: 'string', default: path.join(REPO_ROOT, 'dist', 'cli.js') },
    inflight: { type: 'string', default: '64' },
    sec: { type: 'string', default: '6' },
    windows: { type: 'string', default: '3' },
    size: { type: 'string', default: '128' },
    flush: { type: 'string', default: 'ASYNC_FLUSH' },
  },
});
const { encodeFrame, FrameDecoder } = await import(path.join(REPO_ROOT, 'dist', 'remoting', 'frame.js'));
const cli = path.resolve(opt.cli);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-wire-send-'));
const namesrvPort = await freePort();
const listenPort = await brokerPort();
const conf = path.join(dir, 'broker.conf');
fs.writeFileSync(conf, toProperties(commonBrokerConf(dir, listenPort, { flushDiskType: opt.flush, segmentBytes: 1 << 30 })));
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = new Tracked('rocketmq-ts standalone', process.execPath,
  [...nodeArgs, cli, 'standalone', '-c', conf, '--namesrv-port', String(namesrvPort), '--data', dir],
  { cwd: dir, logFile: path.join(dir, 'server.log') });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  await server.waitFor([/The Name Server boot success/, readyBroker(listenPort)], 60_000);
  const sock = net.connect(listenPort, '127.0.0.1');
  await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.setNoDelay(true);
  const body = Buffer.alloc(Number(opt.size), 'x');
  const uniqPrefix = crypto.randomBytes(10).toString('hex').toUpperCase();
  let opaque = 1;
  let answered = 0;
  let failed = 0;
  let stopping = false;
  const send = () => {
    const o = opaque++;
    const ext = {
      a: 'bench_wire_group', b: 'BenchWire', c: 'TBW102', d: '4', e: String(o % 4), f: '0', g: String(Date.now()), h: '0',
      i: `UNIQ_KEY\u0001${uniqPrefix}${o.toString(16).padStart(12, '0')}\u0002WAIT\u0001true`, j: '0', k: 'false', m: 'false',
    };
    for (const part of encodeFrame({ code: 310, language: 'JAVA', version: 399, opaque: o, flag: 0, extFields: ext, body, serializeType: 1 })) sock.write(part);
  };
  const decoder = new FrameDecoder((cmd) => {
    answered++;
    if (cmd.code !== 0) failed++;
    if (!stopping) send();
  });
  sock.on('data', (chunk) => decoder.push(chunk));
  for (let i = 0; i < Number(opt.inflight); i++) send();
  await sleep(4000); // warm-up: topic auto-creation, JIT
  const rows = [];
  for (let w = 0; w < Number(opt.windows); w++) {
    const c0 = cpuSec([server.pid]);
    const a0 = answered;
    const t0 = Date.now();
    await sleep(Number(opt.sec) * 1000);
    const n = answered - a0;
    rows.push(`${Math.round(n / ((Date.now() - t0) / 1000))} msg/s ${(((cpuSec([server.pid]) - c0) * 1e6) / n).toFixed(1)} µs/msg`);
  }
  stopping = true;
  await sleep(300);
  sock.destroy();
  console.log(`${path.relative(process.cwd(), cli) || cli}: ${rows.join(' | ')}; ${failed} not SUCCESS`);
} finally {
  await server.stop('SIGTERM', 20_000);
  fs.rmSync(dir, { recursive: true, force: true });
}
