/**
 * Single server processes for multi-node tests (mixed clusters, broker failover): our NameServer
 * and our brokers as separate `node dist/cli.js namesrv|broker` processes, and the Apache RocketMQ 4.9.7
 * NameServer and broker alone, each on free loopback ports with its own temp dir. Each node can be
 * stopped (SIGTERM), killed (SIGKILL) and started again on the same ports and data. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { apacheClasspath, APACHE_PROJECT_DIR } from './apache.js';
import { brokerPort, freePort } from '../../test/support/ports.js';
import { startTracked, toProperties, type ExitStatus, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../../test/support/server.js';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;
const JDK17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
];
/** The brief's 2-core budget for Apache processes. */
const APACHE_NAMESRV_JVM = ['-Xms128m', '-Xmx256m'];
const APACHE_BROKER_JVM = ['-Xms512m', '-Xmx512m', '-XX:MaxDirectMemorySize=512m'];

export interface Node {
  readonly kind: string;
  /** 127.0.0.1:port clients or brokers connect to. */
  readonly addr: string;
  readonly dir: string;
  start(): Promise<void>;
  /** SIGTERM and wait (a broker unregisters). */
  stop(): Promise<void>;
  /** SIGKILL: no flush, no unregister. */
  kill(): Promise<void>;
  /**
   * Starts the process and SIGKILLs it afterMs later, ready or not (a crash during start-up or recovery);
   * resolves once it is dead with what it printed and how it ended (signal SIGKILL unless it exited first).
   */
  killDuringStart(afterMs: number): Promise<ExitStatus & { output: string }>;
  dispose(): Promise<void>;
  output(): string;
}

function node(kind: string, addr: string, dir: string, spawn: () => Tracked, ready: RegExp): Node {
  let proc: Tracked | undefined;
  let earlier = '';
  const retire = (note: string) => {
    if (proc) earlier += `${proc.output}\n[${note}]\n`;
    proc = undefined;
  };
  const n: Node = {
    kind,
    addr,
    dir,
    async start() {
      if (proc?.running) throw new Error(`${kind} already running`);
      proc = spawn();
      try {
        await proc.waitFor([ready], READY_TIMEOUT_MS);
      } catch (err) {
        await proc.kill();
        retire('failed to start');
        throw err;
      }
    },
    async stop() {
      if (!proc) return;
      const r = await proc.stop('SIGTERM', STOP_GRACE_MS);
      retire(`stopped ${JSON.stringify(r)}`);
    },
    async kill() {
      if (!proc) return;
      await proc.kill();
      retire('SIGKILLed');
    },
    async killDuringStart(afterMs: number) {
      if (proc?.running) throw new Error(`${kind} already running`);
      const p = spawn();
      proc = p;
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, afterMs))]);
      const status = await p.kill();
      const output = p.output;
      retire(`SIGKILLed ${afterMs} ms after spawn`);
      return { ...status, output };
    },
    async dispose() {
      await n.stop();
      removeDir(dir);
    },
    output: () => earlier + (proc?.output ?? ''),
  };
  return n;
}

function cliPath(): string {
  const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`);
  return cli;
}

export interface OurNodeOptions {
  /** Defaults to <repo>/dist/cli.js; pass a snapshot (our-server.ts snapshotDist) so rebuilds during a long test do not change the code between restarts. */
  cliPath?: string;
}

/** Our NameServer alone; conf takes namesrv.conf keys (e.g. brokerChannelExpiredTime, scanNotActiveBrokerInterval). */
export async function ourNamesrv(conf: Record<string, string | number | boolean> = {}, options: OurNodeOptions = {}): Promise<Node> {
  const dir = makeTempDir('rocketmq-ts-namesrv');
  const port = await freePort();
  const file = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(file, toProperties({ listenPort: port, kvConfigPath: path.join(dir, 'kvConfig.json'), ...conf }));
  const n = node('rocketmq-ts namesrv', `127.0.0.1:${port}`, dir,
    () => startTracked('rocketmq-ts namesrv', process.execPath, [options.cliPath ?? cliPath(), 'namesrv', '-c', file], { cwd: dir }),
    /The Name Server boot success/);
  await n.start();
  return n;
}

/** Our broker alone, registered with namesrvAddr (ours or Apache's); conf takes broker.conf keys. */
export async function ourBroker(brokerName: string, namesrvAddr: string, conf: Record<string, string | number | boolean> = {},
  options: OurNodeOptions = {}): Promise<Node> {
  const dir = makeTempDir(`rocketmq-ts-${brokerName}`);
  const port = await brokerPort();
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, toProperties({
    brokerClusterName: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    listenPort: port,
    brokerIP1: '127.0.0.1',
    namesrvAddr,
    storePathRootDir: path.join(dir, 'store'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    flushDiskType: 'ASYNC_FLUSH',
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    ...conf,
  }));
  const n = node(`rocketmq-ts ${brokerName}`, `127.0.0.1:${port}`, dir,
    () => startTracked(`rocketmq-ts ${brokerName}`, process.execPath, [options.cliPath ?? cliPath(), 'broker', '-c', file], { cwd: dir }),
    new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${port}\\] boot success`));
  await n.start();
  return n;
}

function apacheJava(dir: string, cp: string): string[] {
  return [`-Drocketmq.home.dir=${APACHE_PROJECT_DIR}`, `-Duser.home=${dir}`, '-Duser.language=en', '-cp', cp];
}

/** The Apache RocketMQ 4.9.7 NameServer alone. */
export async function apacheNamesrv(): Promise<Node> {
  const cp = await apacheClasspath();
  const dir = makeTempDir('rocketmq-ts-apache-namesrv');
  const port = await freePort();
  const file = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(file, toProperties({ listenPort: port, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json') }));
  const n = node('Apache 4.9.7 namesrv', `127.0.0.1:${port}`, dir,
    () => startTracked('apache namesrv', 'java',
      [...APACHE_NAMESRV_JVM, ...apacheJava(dir, cp), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', file], { cwd: dir }),
    /The Name Server boot success/);
  await n.start();
  return n;
}

/** The Apache RocketMQ 4.9.7 broker alone, registered with namesrvAddr (ours or Apache's). */
export async function apacheBroker(brokerName: string, namesrvAddr: string, conf: Record<string, string | number | boolean> = {}): Promise<Node> {
  const cp = await apacheClasspath();
  const dir = makeTempDir(`rocketmq-ts-apache-${brokerName}`);
  const port = await brokerPort();
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, toProperties({
    brokerClusterName: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    namesrvAddr,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    listenPort: port,
    storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    ...conf,
  }));
  const n = node(`Apache 4.9.7 ${brokerName}`, `127.0.0.1:${port}`, dir,
    () => startTracked(`apache ${brokerName}`, 'java',
      [...APACHE_BROKER_JVM, ...JDK17_OPENS, ...apacheJava(dir, cp), 'org.apache.rocketmq.broker.BrokerStartup', '-c', file, '-n', namesrvAddr],
      { cwd: dir }),
    new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${port}\\] boot success`));
  await n.start();
  return n;
}

/** Disposes every node given, brokers first so they unregister from NameServers that are still up. */
export async function disposeAll(nodes: Array<Node | undefined>): Promise<void> {
  const list = nodes.filter((n): n is Node => n !== undefined);
  for (const n of list.filter((x) => !x.kind.includes('namesrv'))) await n.dispose();
  for (const n of list.filter((x) => x.kind.includes('namesrv'))) await n.dispose();
}
