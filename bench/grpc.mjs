#!/usr/bin/env node
/**
 * gRPC throughput: the RocketMQ 5.x Java SDK (rocketmq-client-java 5.2.0, compat-tests/grpc-java's Bench)
 * against our standalone server's gRPC endpoint, then against the Apache 5.3.3 proxy in local mode (proxy
 * and broker in one JVM, plus its NameServer), one after the other on free loopback ports:
 *   send     Producer.sendAsync, --inflight in flight, --size byte bodies, for --sec seconds
 *   receive  a PushConsumer (new group, --threads consumption threads) draining what send stored
 * For each phase: messages per second, server CPU per message (user + system of every server process,
 * /proc/<pid>/stat, over the whole program run) and the servers' peak RSS (polled /proc/<pid>/status).
 * Prints a table and writes bench/results/<date>-<commit>-grpc.{json,md}. Not a test.
 *
 * Usage: node bench/grpc.mjs [--sec 30] [--inflight 64] [--size 128] [--threads 20] [--only ours|apache] [--keep]
 * Needs dist/ (npm run build), java and mvn. Logs stay under bench/.work/grpc-<time>/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { RssSampler, cpuSec } from './lib/rss.mjs';
import { REPO_ROOT, BROKER_JVM, JDK17_OPENS, NAMESRV_JVM, READY_TIMEOUT_MS, STOP_GRACE_MS, commonBrokerConf, readyBroker } from './lib/servers.mjs';
import { brokerPort, freePort } from './lib/ports.mjs';
import { Tracked, toProperties } from './lib/processes.mjs';
import { mavenClasspath } from './lib/maven.mjs';
import { RequestCode, WireClient } from './lib/wire.mjs';
import { commitInfo, machineInfo } from './lib/report.mjs';

const run = promisify(execFile);
const GRPC_JAVA = path.join(REPO_ROOT, 'compat-tests', 'grpc-java');
const PROXY_PROJECT = path.join(REPO_ROOT, 'compat-tests', 'apache-proxy');
const TOPIC = 'BenchGrpc';
const QUEUES = 8;
const SDK = 'rocketmq-client-java 5.2.0';

const { values: opt } = parseArgs({
  options: {
    sec: { type: 'string', default: '30' },
    inflight: { type: 'string', default: '64' },
    size: { type: 'string', default: '128' },
    threads: { type: 'string', default: '20' },
    only: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

/** The driver jar (mvn package, skipped when newer than its sources) and the SDK's classpath. */
async function driverClasspath() {
  const target = path.join(GRPC_JAVA, 'target');
  const jar = path.join(target, 'compat-grpc-java-0.1.0.jar');
  const srcDir = path.join(GRPC_JAVA, 'src', 'main', 'java', 'rocketmqts', 'grpc');
  const newestSrc = Math.max(...fs.readdirSync(srcDir).map((f) => fs.statSync(path.join(srcDir, f)).mtimeMs), fs.statSync(path.join(GRPC_JAVA, 'pom.xml')).mtimeMs);
  if (!fs.existsSync(jar) || fs.statSync(jar).mtimeMs < newestSrc) {
    await run('mvn', ['-q', '-B', '-f', path.join(GRPC_JAVA, 'pom.xml'), 'package', '-DskipTests'], { maxBuffer: 64 * 1024 * 1024 });
  }
  const deps = await mavenClasspath(path.join(GRPC_JAVA, 'pom.xml'), path.join(REPO_ROOT, 'bench', '.work', 'grpc-java-classpath.txt'));
  const snap = path.join(REPO_ROOT, 'bench', '.work', `grpc-driver-${Math.floor(fs.statSync(jar).mtimeMs)}.jar`);
  if (!fs.existsSync(snap)) fs.copyFileSync(jar, snap);
  return `${snap}${path.delimiter}${deps}`;
}

/** BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", for profiling our server under this load. */
const nodeArgs = () => (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

async function startOurs(dir) {
  const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`);
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const grpcPort = await freePort();
  const confPath = path.join(dir, 'broker.conf');
  fs.writeFileSync(confPath, toProperties(commonBrokerConf(dir, listenPort, { flushDiskType: 'ASYNC_FLUSH', segmentBytes: 1024 * 1024 * 1024, grpcServerPort: grpcPort })));
  const proc = new Tracked('rocketmq-ts standalone', process.execPath, [...nodeArgs(), cli, 'standalone', '-c', confPath, '--namesrv-port', String(namesrvPort)],
    { cwd: dir, logFile: path.join(dir, 'server.log') });
  try {
    await proc.waitFor([/The Name Server boot success/, readyBroker(listenPort)], READY_TIMEOUT_MS);
  } catch (err) {
    await proc.stop('SIGKILL', 1000);
    throw err;
  }
  return {
    name: 'rocketmq-ts', brokerAddr: `127.0.0.1:${listenPort}`, grpcEndpoint: `127.0.0.1:${grpcPort}`,
    pids: () => (proc.running ? [proc.pid] : []),
    stop: () => proc.stop('SIGTERM', STOP_GRACE_MS),
  };
}

/** As compat-tests/support/apache-proxy.ts starts it, with the bench's 1 GiB broker heap. */
async function startApacheProxy(dir) {
  const cp = await mavenClasspath(path.join(PROXY_PROJECT, 'pom.xml'), path.join(REPO_ROOT, 'bench', '.work', 'apache-proxy-classpath.txt'));
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const grpcPort = await freePort();
  const remotingPort = await freePort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const namesrvConf = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(namesrvConf, toProperties({ listenPort: namesrvPort, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json') }));
  const brokerConf = path.join(dir, 'broker.conf');
  const base = commonBrokerConf(dir, listenPort, { flushDiskType: 'ASYNC_FLUSH', segmentBytes: 1024 * 1024 * 1024 });
  delete base.grpcServerPort;
  fs.writeFileSync(brokerConf, toProperties({ ...base, brokerRole: 'ASYNC_MASTER', namesrvAddr, brokerIP2: '127.0.0.1', storePathCommitLog: path.join(dir, 'store', 'commitlog') }));
  const proxyConf = path.join(dir, 'rmq-proxy.json');
  fs.writeFileSync(proxyConf, JSON.stringify({
    rocketMQClusterName: 'DefaultCluster', proxyMode: 'local', namesrvAddr, brokerConfigPath: brokerConf,
    grpcServerPort: grpcPort, remotingListenPort: remotingPort, grpcShutdownTimeSeconds: 1, enablePrintJstack: false,
  }));
  const common = [...JDK17_OPENS, `-Drocketmq.home.dir=${PROXY_PROJECT}`, `-Duser.home=${dir}`, '-Duser.language=en',
    `-Drmq.logback.configurationFile=${path.join(PROXY_PROJECT, 'conf', 'rmq.proxy.logback.xml')}`, '-cp', cp];
  const procs = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop('SIGTERM', STOP_GRACE_MS);
  };
  try {
    const namesrv = new Tracked('apache namesrv 5.3.3', 'java', [...NAMESRV_JVM, ...common, 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', namesrvConf],
      { cwd: dir, logFile: path.join(dir, 'namesrv.out') });
    procs.push(namesrv);
    await namesrv.waitFor([/The Name Server boot success/], READY_TIMEOUT_MS);
    const proxy = new Tracked('apache proxy 5.3.3 (local)', 'java',
      [...BROKER_JVM, ...common, 'org.apache.rocketmq.proxy.ProxyStartup', '-pc', proxyConf, '-pm', 'local', '-bc', brokerConf, '-n', namesrvAddr],
      { cwd: dir, logFile: path.join(dir, 'proxy.out') });
    procs.push(proxy);
    await proxy.waitFor([/rocketmq-proxy startup successfully/], READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'apache-5.3.3-proxy-local', brokerAddr: `127.0.0.1:${listenPort}`, grpcEndpoint: `127.0.0.1:${grpcPort}`,
    pids: () => procs.filter((p) => p.running).map((p) => p.pid), stop,
  };
}

/** Runs one Bench program; returns its BENCH line's numbers and the server's CPU and peak RSS over the run. */
async function phase(server, cp, dir, name, spec, props) {
  const rss = new RssSampler(server.pids);
  const cpu0 = cpuSec(server.pids());
  const jvm = new Tracked(`sdk ${name}`, 'java', [
    '-Xms256m', '-Xmx1g', '-Duser.language=en', `-Duser.home=${dir}`, ...Object.entries(props).map(([k, v]) => `-Dbench.${k}=${v}`),
    '-cp', cp, 'rocketmqts.grpc.Main', server.grpcEndpoint, spec,
  ], { cwd: dir, logFile: path.join(dir, `${name}.out`) });
  const exit = await jvm.exited;
  const cpu = cpuSec(server.pids()) - cpu0;
  const peak = rss.finish();
  const m = /^SCENARIO \S+ PASS count=(\d+) failures=(\d+) sec=([\d.]+)/m.exec(jvm.out);
  if (!m) throw new Error(`${name} against ${server.name} gave no result (exit ${JSON.stringify(exit)}):\n${jvm.out.slice(-3000)}`);
  const count = Number(m[1]);
  const sec = Number(m[3]);
  return { count, failures: Number(m[2]), sec, tps: Math.round(count / sec), cpuSec: Math.round(cpu * 100) / 100,
    cpuUsPerMsg: count ? Math.round((cpu / count) * 1e6) : null, peakRssMiB: peak.peakRssMiB, anonAtPeakMiB: peak.anonAtPeakMiB };
}

async function benchServer(starter, cp, work) {
  const dir = path.join(work, starter.label);
  fs.mkdirSync(dir, { recursive: true });
  const server = await starter.start(dir);
  try {
    const wire = new WireClient(server.brokerAddr);
    // The 5.x message type attribute, as `mqadmin updateTopic -a +message.type=NORMAL` sets it.
    const r = await wire.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6, topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0, order: false, attributes: '+message.type=NORMAL',
    });
    wire.close();
    if (r.code !== 0) throw new Error(`creating ${TOPIC} on ${server.brokerAddr}: code ${r.code} ${r.remark ?? ''}`);
    // The NameServer learns the new topic with the broker's next registration (at once on both servers).
    await new Promise((res) => setTimeout(res, 1000));
    const send = await phase(server, cp, dir, 'send', `bench-send:${TOPIC}:none`, { sec: opt.sec, inflight: opt.inflight, size: opt.size });
    const receive = await phase(server, cp, dir, 'receive', `bench-receive:${TOPIC}:BenchGrpcGroup`, { expect: send.count, threads: opt.threads, sec: 300 });
    return { server: server.name, send, receive };
  } finally {
    await server.stop();
    if (!opt.keep) fs.rmSync(path.join(dir, 'store'), { recursive: true, force: true });
  }
}

const work = path.join(REPO_ROOT, 'bench', '.work', `grpc-${new Date().toISOString().replace(/[:.]/g, '-')}`);
fs.mkdirSync(work, { recursive: true });
const cp = await driverClasspath();
const results = [];
const starters = [{ label: 'rocketmq-ts', only: 'ours', start: startOurs }, { label: 'apache-proxy', only: 'apache', start: startApacheProxy }]
  .filter((s) => !opt.only || opt.only === s.only);
for (const s of starters) {
  // One server failing (e.g. its SDK clients cannot start) still leaves the other's numbers.
  const r = await benchServer(s, cp, work).catch((err) => ({ server: s.label, error: err.message.split('\n').slice(0, 3).join(' ') }));
  results.push(r);
  console.log(JSON.stringify(r));
}

const rows = [
  ['send msg/s', (r) => r.send.tps],
  ['send server CPU µs/msg', (r) => r.send.cpuUsPerMsg],
  ['send peak RSS MiB', (r) => r.send.peakRssMiB],
  ['receive msg/s', (r) => r.receive.tps],
  ['receive server CPU µs/msg', (r) => r.receive.cpuUsPerMsg],
  ['receive peak RSS MiB', (r) => r.receive.peakRssMiB],
  ['messages sent / received', (r) => `${r.send.count} / ${r.receive.count}`],
];
const header = `| | ${results.map((r) => r.server).join(' | ')} |\n|---|${results.map(() => '---:').join('|')}|\n`;
const cell = (r, f) => (r.error ? 'failed' : f(r));
const table = header + rows.map(([label, f]) => `| ${label} | ${results.map((r) => cell(r, f)).join(' | ')} |`).join('\n') + '\n'
  + results.filter((r) => r.error).map((r) => `\n${r.server} failed: ${r.error}\n`).join('');
const { commit } = commitInfo();
const md = `# gRPC bench (${SDK})\n\n${new Date().toISOString()}, commit ${commit}; ${opt.sec} s of sendAsync with ${opt.inflight} in flight, `
  + `${opt.size}-byte bodies, topic with ${QUEUES} queues; receive: PushConsumer, ${opt.threads} threads, draining the backlog.\n`
  + `Apache: NameServer + ProxyStartup -pm local 5.3.3 (${BROKER_JVM.join(' ')}); CPU and RSS summed over each server's processes.\n\n${table}`;
process.stdout.write(`\n${md}`);
const out = path.join(REPO_ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${commit.slice(0, 7)}-grpc`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(`${out}.json`, JSON.stringify({ machine: machineInfo(), options: opt, results }, null, 2));
fs.writeFileSync(`${out}.md`, md);
process.exit(0);
