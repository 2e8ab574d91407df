/**
 * Single server processes for multi-node tests (mixed clusters, broker failover, replication groups): our
 * NameServer and our brokers as separate `node dist/cli.js namesrv|broker` processes, the Apache RocketMQ
 * 4.9.7 NameServer and broker alone, and the Apache 5.3.3 broker alone, each on free loopback ports with
 * its own temp dir. Each node can be stopped (SIGTERM), killed (SIGKILL) and started again on the same
 * ports and data. A broker becomes a slave with SLAVE_CONF (brokerId 1, brokerRole SLAVE) and the same
 * brokerName and cluster as its master; its HA port is listenPort+1, which brokerPort() keeps free.
 * No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { apacheClasspath, APACHE_PROJECT_DIR } from './apache.js';
import { mavenClasspath } from './maven.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
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
  /** The broker's own log file where it writes one (the Apache brokers: everything at INFO); stdout is output(). */
  readonly logFile?: string;
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

/** A restartable server process on fixed ports and data (the other modules build theirs with it). */
export function node(kind: string, addr: string, dir: string, spawn: () => Tracked, ready: RegExp, logFile?: string): Node {
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
    logFile,
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

function apacheJava(dir: string, cp: string, home = APACHE_PROJECT_DIR): string[] {
  return [`-Drocketmq.home.dir=${home}`, `-Duser.home=${dir}`, '-Duser.language=en', '-cp', cp];
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

/** broker.conf of an Apache broker (4.9.7 or 5.3.3) in `dir`: a master unless `conf` says otherwise. */
function apacheBrokerConf(brokerName: string, namesrvAddr: string, port: number, dir: string,
  conf: Record<string, string | number | boolean>): Record<string, string | number | boolean> {
  return {
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
  };
}

/**
 * The Apache RocketMQ 4.9.7 broker alone, registered with namesrvAddr (ours or Apache's). rocketmqHome
 * (default compat-tests/apache) is its rocketmq.home.dir: conf/logback_broker.xml must be there, and with
 * aclEnable the broker reads conf/plain_acl.yml and conf/acl/ under it.
 */
export async function apacheBroker(brokerName: string, namesrvAddr: string, conf: Record<string, string | number | boolean> = {},
  rocketmqHome = APACHE_PROJECT_DIR): Promise<Node> {
  const cp = await apacheClasspath();
  const dir = makeTempDir(`rocketmq-ts-apache-${brokerName}`);
  const port = await brokerPort();
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, toProperties(apacheBrokerConf(brokerName, namesrvAddr, port, dir, conf)));
  const n = node(`Apache 4.9.7 ${brokerName}`, `127.0.0.1:${port}`, dir,
    () => startTracked(`apache ${brokerName}`, 'java',
      [...APACHE_BROKER_JVM, ...JDK17_OPENS, ...apacheJava(dir, cp, rocketmqHome), 'org.apache.rocketmq.broker.BrokerStartup', '-c', file, '-n', namesrvAddr],
      { cwd: dir }),
    new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${port}\\] boot success`), path.join(dir, 'logs', 'broker.log'));
  await n.start();
  return n;
}

export const APACHE5_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'apache5');

/** The rocketmq-broker 5.3.3 classpath (compat-tests/apache5/pom.xml), built once and cached on disk. */
export function apache5Classpath(): Promise<string> {
  return mavenClasspath(APACHE5_PROJECT_DIR, false);
}

/**
 * The Apache RocketMQ 5.3.3 broker alone (no proxy, no controller: the default HA service, which speaks
 * the 4.9 HA frames), registered with namesrvAddr. rocketmq.home.dir is compat-tests/apache5 (5.3.3 needs
 * only the property; its logback is conf/rmq.broker.logback.xml there), user.home the temp dir.
 */
export async function apache5Broker(brokerName: string, namesrvAddr: string, conf: Record<string, string | number | boolean> = {}): Promise<Node> {
  const cp = await apache5Classpath();
  const dir = makeTempDir(`rocketmq-ts-apache5-${brokerName}`);
  const port = await brokerPort();
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, toProperties(apacheBrokerConf(brokerName, namesrvAddr, port, dir, conf)));
  const logback = path.join(APACHE5_PROJECT_DIR, 'conf', 'rmq.broker.logback.xml');
  const args = [...APACHE_BROKER_JVM, ...JDK17_OPENS, `-Drocketmq.home.dir=${APACHE5_PROJECT_DIR}`, `-Duser.home=${dir}`,
    '-Duser.language=en', `-Drmq.logback.configurationFile=${logback}`, '-cp', cp,
    'org.apache.rocketmq.broker.BrokerStartup', '-c', file, '-n', namesrvAddr];
  const n = node(`Apache 5.3.3 ${brokerName}`, `127.0.0.1:${port}`, dir,
    () => startTracked(`apache5 ${brokerName}`, 'java', args, { cwd: dir }),
    new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${port}\\] boot success`), path.join(dir, 'logs', 'broker.log'));
  await n.start();
  return n;
}

/**
 * broker.conf keys that make any of the brokers above the slave of the master with the same brokerName and
 * cluster. slaveReadEnable: a 5.3.3 slave refuses every PULL without it (SYSTEM_BUSY); 4.9 serves pulls
 * either way. registerNameServerPeriod 10 s (the floor): a slave learns its master's HA address from a
 * registration answer, so a slave started before its master attaches within ~30 s.
 */
export const SLAVE_CONF = { brokerId: 1, brokerRole: 'SLAVE', slaveReadEnable: true, registerNameServerPeriod: 10_000 } as const;

/** The last `chars` characters of a node's log file and stdout, for failure messages. */
export function nodeTail(n: Node, chars = 3000): string {
  let log = '';
  if (n.logFile && fs.existsSync(n.logFile)) {
    const text = fs.readFileSync(n.logFile, 'utf8');
    log = `[${n.logFile}]\n${text.slice(-chars)}\n`;
  }
  return `--- ${n.kind} ${n.addr}\n${log}[stdout]\n${n.output().slice(-chars)}`;
}

/** The log lines (file, else stdout) of a node that match re: e.g. HA connects and disconnects. */
export function nodeLogLines(n: Node, re: RegExp): string[] {
  const text = (n.logFile && fs.existsSync(n.logFile) ? fs.readFileSync(n.logFile, 'utf8') : '') + '\n' + n.output();
  return text.split('\n').filter((l) => re.test(l));
}

/**
 * GET_BROKER_RUNTIME_INFO (what `mqadmin brokerStatus` prints) of a broker: every broker here reports
 * commitLogMaxOffset and commitLogMinOffset, which is how a test tells that a slave has caught up.
 */
export async function brokerRuntimeInfo(addr: string, timeoutMs = 5000): Promise<Record<string, string>> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO, {}), timeoutMs);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`GET_BROKER_RUNTIME_INFO ${addr}: code ${res.code} ${res.remark ?? ''}`);
    return (JSON.parse(String(res.body)) as { table: Record<string, string> }).table;
  } finally {
    client.close();
  }
}

export interface ReplicaState {
  masterMaxOffset: number;
  slaveMaxOffset: number;
  slaveMinOffset: number;
}

/** Waits until the slave's commit log ends where the master's does (both read again each poll); throws with the last state. */
export async function waitForReplica(master: Node, slave: Node, timeoutMs: number): Promise<ReplicaState> {
  const deadline = Date.now() + timeoutMs;
  let last: ReplicaState | undefined;
  let lastErr = '';
  while (Date.now() < deadline) {
    try {
      const m = await brokerRuntimeInfo(master.addr);
      const s = await brokerRuntimeInfo(slave.addr);
      last = { masterMaxOffset: Number(m.commitLogMaxOffset), slaveMaxOffset: Number(s.commitLogMaxOffset), slaveMinOffset: Number(s.commitLogMinOffset) };
      if (last.slaveMaxOffset === last.masterMaxOffset) return last;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`slave ${slave.addr} never caught up with master ${master.addr} in ${timeoutMs} ms: ${JSON.stringify(last)} ${lastErr}`);
}

/** Disposes every node given, brokers first so they unregister from NameServers that are still up. */
export async function disposeAll(nodes: Array<Node | undefined>): Promise<void> {
  const list = nodes.filter((n): n is Node => n !== undefined);
  for (const n of list.filter((x) => !x.kind.includes('namesrv'))) await n.dispose();
  for (const n of list.filter((x) => x.kind.includes('namesrv'))) await n.dispose();
}
