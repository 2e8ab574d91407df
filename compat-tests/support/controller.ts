/**
 * Controller mode (RocketMQ 5.x automatic failover) for the compat tests: the Apache 5.3.3 controller
 * (standalone ControllerStartup, or embedded in NamesrvStartup with enableControllerInNamesrv=true), Apache
 * 5.3.3 brokers and our brokers with enableControllerMode=true, the Java load client of
 * compat-tests/controller (sync sends, one line per acknowledged message) and the read-back check.
 * Everything on free loopback ports with its own temp dir. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { node, ourBroker, type Node, type OurNodeOptions } from './cluster.js';
import { mavenClasspath } from './maven.js';
import { createTopicOnBrokers } from './topics.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { brokerPort, freePort } from '../../test/support/ports.js';
import { startTracked, toProperties, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir } from '../../test/support/server.js';

export const CONTROLLER_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'controller');
const LOGBACK = path.join(CONTROLLER_PROJECT_DIR, 'conf', 'rmq.logback.xml');
const JDK17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
  // The controller's Hessian event serializer reflects into java.lang (StackTraceElement) at class init.
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
];
/** The 2-core budget (running-apache-rocketmq.md): small heaps, quick JIT for the short-lived clients. */
const SERVER_JVM = ['-Xms128m', '-Xmx256m'];
const BROKER_JVM = ['-Xms384m', '-Xmx384m', '-XX:MaxDirectMemorySize=512m'];
const CLIENT_JVM = ['-Xms64m', '-Xmx192m', '-XX:TieredStopAtLevel=1'];

/**
 * Timing keys given to every broker of a group, ours and Apache's alike, so both fail over under the same
 * rules: replica-info sync and in-sync-set check every second instead of 5 s (BrokerConfig 5.3.3 defaults
 * syncBrokerMetadataPeriod 5000, checkSyncStateSetPeriod 5000), the controller heartbeat every second (the
 * default, written out), a NameServer registration every 10 s (the floor).
 */
export const GROUP_TIMING = {
  brokerHeartbeatInterval: 1000,
  syncBrokerMetadataPeriod: 1000,
  checkSyncStateSetPeriod: 1000,
  registerNameServerPeriod: 10_000,
} as const;

/** The compat-tests/controller jar (the load client) first, then the 5.3.3 controller, namesrv and broker jars. */
export function controllerClasspath(): Promise<string> {
  return mavenClasspath(CONTROLLER_PROJECT_DIR, true);
}

function javaArgs(dir: string, cp: string): string[] {
  return [`-Drocketmq.home.dir=${CONTROLLER_PROJECT_DIR}`, `-Duser.home=${dir}`, '-Duser.language=en',
    `-Drmq.logback.configurationFile=${LOGBACK}`, '-cp', cp];
}

/**
 * ControllerConfig keys of a one-node DLedger controller (ControllerManager#initialize requires peers and
 * self id; the controller's remoting server is DLedger's, listening on the self peer's port).
 */
function dledgerKeys(dir: string, port: number): Record<string, string | number | boolean> {
  return {
    controllerType: 'DLedger',
    controllerDLegerGroup: 'g0',
    controllerDLegerPeers: `n0-127.0.0.1:${port}`,
    controllerDLegerSelfId: 'n0',
    controllerStorePath: path.join(dir, 'controller-store'),
    enableElectUncleanMaster: false,
    notifyBrokerRoleChanged: true,
  };
}

export interface ControllerNode extends Node {
  /** Where brokers send controller requests (controllerAddr). */
  readonly controllerAddr: string;
}

/** The standalone Apache 5.3.3 controller (ControllerStartup -c controller.conf): one DLedger node. */
export async function apacheController(): Promise<ControllerNode> {
  const cp = await controllerClasspath();
  const dir = makeTempDir('rocketmq-ts-controller');
  const port = await freePort();
  const file = path.join(dir, 'controller.conf');
  fs.writeFileSync(file, toProperties({ listenPort: port, ...dledgerKeys(dir, port) }));
  const n = node('Apache 5.3.3 controller', `127.0.0.1:${port}`, dir,
    () => startTracked('apache controller', 'java',
      [...SERVER_JVM, ...JDK17_OPENS, ...javaArgs(dir, cp), 'org.apache.rocketmq.controller.ControllerStartup', '-c', file], { cwd: dir }),
    /The Controller Server boot success/, path.join(dir, 'logs', 'server.log'));
  await n.start();
  return Object.assign(n, { controllerAddr: n.addr });
}

/**
 * The Apache 5.3.3 NameServer with the controller inside (enableControllerInNamesrv=true): addr is the
 * NameServer's, controllerAddr the embedded controller's own port.
 */
export async function apacheNamesrvWithController(): Promise<ControllerNode> {
  const cp = await controllerClasspath();
  const dir = makeTempDir('rocketmq-ts-namesrv-controller');
  const port = await freePort();
  const ctrlPort = await freePort();
  const file = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(file, toProperties({
    listenPort: port, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json'), enableControllerInNamesrv: true, ...dledgerKeys(dir, ctrlPort),
  }));
  const n = node('Apache 5.3.3 namesrv+controller', `127.0.0.1:${port}`, dir,
    () => startTracked('apache namesrv+controller', 'java',
      [...SERVER_JVM, ...JDK17_OPENS, ...javaArgs(dir, cp), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', file], { cwd: dir }),
    /^(?=[\s\S]*The ControllerManager boot success)(?=[\s\S]*The Name Server boot success)/, path.join(dir, 'logs', 'server.log'));
  await n.start();
  return Object.assign(n, { controllerAddr: `127.0.0.1:${ctrlPort}` });
}

/** The Apache 5.3.3 NameServer alone (the all-Apache group's, beside the standalone controller). */
export async function apache5Namesrv(): Promise<Node> {
  const cp = await controllerClasspath();
  const dir = makeTempDir('rocketmq-ts-apache5-namesrv');
  const port = await freePort();
  const file = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(file, toProperties({ listenPort: port, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json') }));
  const n = node('Apache 5.3.3 namesrv', `127.0.0.1:${port}`, dir,
    () => startTracked('apache5 namesrv', 'java',
      [...SERVER_JVM, ...javaArgs(dir, cp), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', file], { cwd: dir }),
    /The Name Server boot success/, path.join(dir, 'logs', 'server.log'));
  await n.start();
  return n;
}

/** broker.conf keys every controller-mode broker of a test group gets, ours and Apache's. */
function controllerModeKeys(brokerName: string, namesrvAddr: string, controllerAddr: string): Record<string, string | number | boolean> {
  return {
    brokerClusterName: 'ControllerCluster',
    brokerName,
    namesrvAddr,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    enableControllerMode: true,
    controllerAddr,
    allAckInSyncStateSet: true,
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    flushDiskType: 'ASYNC_FLUSH',
    slaveReadEnable: true,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    ...GROUP_TIMING,
  };
}

/** An Apache 5.3.3 broker in controller mode (role and brokerId come from the controller). */
export async function apacheControllerBroker(brokerName: string, namesrvAddr: string, controllerAddr: string,
  conf: Record<string, string | number | boolean> = {}): Promise<Node> {
  const cp = await controllerClasspath();
  const dir = makeTempDir(`rocketmq-ts-apache5c-${brokerName}`);
  const port = await brokerPort();
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, toProperties({
    ...controllerModeKeys(brokerName, namesrvAddr, controllerAddr),
    listenPort: port,
    // MessageStoreConfig's default is a fixed 10912, not listenPort+1.
    haListenPort: port + 1,
    storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
    ...conf,
  }));
  return startBrokerNode(`Apache 5.3.3 ${brokerName}`, brokerName, port, dir,
    () => startTracked(`apache5c ${brokerName}`, 'java',
      [...BROKER_JVM, ...JDK17_OPENS, ...javaArgs(dir, cp), 'org.apache.rocketmq.broker.BrokerStartup', '-c', file, '-n', namesrvAddr], { cwd: dir }),
    path.join(dir, 'logs', 'server.log'));
}

async function startBrokerNode(kind: string, brokerName: string, port: number, dir: string, spawn: () => Tracked, logFile: string): Promise<Node> {
  const n = node(kind, `127.0.0.1:${port}`, dir, spawn,
    new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${port}\\] boot success`), logFile);
  await n.start();
  return n;
}

/** Our broker (node dist/cli.js broker -c) in controller mode with the same keys as the Apache ones. */
export function ourControllerBroker(brokerName: string, namesrvAddr: string, controllerAddr: string,
  conf: Record<string, string | number | boolean> = {}, options: OurNodeOptions = {}): Promise<Node> {
  return ourBroker(brokerName, namesrvAddr, { ...controllerModeKeys(brokerName, namesrvAddr, controllerAddr), ...conf }, options);
}

export interface ReplicaInfo {
  masterBrokerId: number;
  masterAddress: string;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

/** CONTROLLER_GET_REPLICA_INFO (1004) for brokerName: who the controller says is master, and the in-sync set. */
export async function replicaInfo(controllerAddr: string, brokerName: string, timeoutMs = 3000): Promise<ReplicaInfo> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(controllerAddr, createRequest(RequestCode.CONTROLLER_GET_REPLICA_INFO, { brokerName }), timeoutMs);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`GET_REPLICA_INFO ${brokerName}@${controllerAddr}: code ${res.code} ${res.remark ?? ''}`);
    const h = res.extFields ?? {};
    const body = res.body?.length ? JSON.parse(String(res.body)) as { syncStateSet?: number[]; syncStateSetEpoch?: number } : {};
    return {
      masterBrokerId: Number(h.masterBrokerId ?? -1),
      masterAddress: h.masterAddress ?? '',
      masterEpoch: Number(h.masterEpoch ?? 0),
      syncStateSet: body.syncStateSet ?? [],
      syncStateSetEpoch: body.syncStateSetEpoch ?? 0,
    };
  } finally {
    client.close();
  }
}

/** Polls until pred holds for the replica info; throws with the last answer. */
export async function waitForReplicaInfo(controllerAddr: string, brokerName: string, pred: (r: ReplicaInfo) => boolean,
  timeoutMs: number, pollMs = 100): Promise<ReplicaInfo> {
  const deadline = Date.now() + timeoutMs;
  let last: ReplicaInfo | string = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await replicaInfo(controllerAddr, brokerName);
      last = r;
      if (pred(r)) return r;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((res) => setTimeout(res, pollMs));
  }
  throw new Error(`replica info of ${brokerName} never matched in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** The master address the NameServer routes for brokerName (brokerAddrs[0] in GET_BROKER_CLUSTER_INFO), or undefined. */
export async function routedMaster(namesrvAddr: string, brokerName: string): Promise<string | undefined> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO, {}), 3000);
    if (res.code !== ResponseCode.SUCCESS) return undefined;
    // brokerAddrs keys are numbers in Java's JSON (fastjson writes {0:"addr"}): quote them before parsing.
    const text = String(res.body).replace(/([{,])(-?\d+):/g, '$1"$2":');
    const data = JSON.parse(text) as { brokerAddrTable?: Record<string, { brokerAddrs?: Record<string, string> }> };
    return data.brokerAddrTable?.[brokerName]?.brokerAddrs?.['0'];
  } finally {
    client.close();
  }
}

export interface Ack {
  key: string;
  host: string;
  atMs: number;
}

export interface LoadClient {
  /** Acknowledged sends so far, in order. */
  acks(): Ack[];
  /** Failed sends so far. */
  errors(): Array<{ key: string; atMs: number; reason: string }>;
  /** Resolves with the first ack written by `host` at or after `sinceMs`. */
  waitForAck(host: string, sinceMs: number, timeoutMs: number): Promise<Ack>;
  stop(): Promise<void>;
  output(): string;
}

function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
}

/** Starts the Java 5.3.3 producer sending to topic, synchronously, one message at a time until stop(). */
export async function startLoad(namesrvAddr: string, topic: string): Promise<LoadClient> {
  const cp = await controllerClasspath();
  const dir = makeTempDir('rocketmq-ts-ctrl-load');
  const out = path.join(dir, 'acks.txt');
  const stopFile = path.join(dir, 'stop');
  const jvm = startTracked('java load', 'java',
    [...CLIENT_JVM, `-Duser.home=${dir}`, '-Duser.language=en', '-Drocketmq.client.logUseSlf4j=false',
      `-Drocketmq.client.logRoot=${path.join(dir, 'logs')}`, '-cp', cp, 'rocketmqts.controller.Load', 'send', namesrvAddr, topic, out, stopFile],
    { cwd: dir });
  await jvm.waitFor([/LOAD STARTED/], 60_000);
  const acks = (): Ack[] => readLines(out).filter((l) => l.startsWith('ACK ')).map((l) => {
    const [, key, host, at] = l.split(' ');
    return { key, host, atMs: Number(at) };
  });
  return {
    acks,
    errors: () => readLines(out).filter((l) => l.startsWith('ERR ')).map((l) => {
      const [, key, at, ...reason] = l.split(' ');
      return { key, atMs: Number(at), reason: reason.join(' ') };
    }),
    async waitForAck(host, sinceMs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const a = acks().find((x) => x.host === host && x.atMs >= sinceMs);
        if (a) return a;
        if (!jvm.running) throw new Error(`load client exited:\n${jvm.tail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const tail = readLines(out).slice(-8).join('\n');
      throw new Error(`no send acknowledged by ${host} within ${timeoutMs} ms; last load lines:\n${tail}`);
    },
    async stop() {
      fs.writeFileSync(stopFile, '');
      const timer = setTimeout(() => void jvm.kill(), 15_000);
      await jvm.exited;
      clearTimeout(timer);
    },
    output: () => jvm.output,
  };
}

export interface CheckResult {
  read: number;
  found: number;
  missing: number;
  missingKeys: string[];
}

/** Reads every queue of topic back with the Java 5.3.3 pull consumer and reports which of `keys` are absent. */
export async function checkKeys(namesrvAddr: string, topic: string, keys: string[]): Promise<CheckResult> {
  const cp = await controllerClasspath();
  const dir = makeTempDir('rocketmq-ts-ctrl-check');
  const keysFile = path.join(dir, 'keys.txt');
  fs.writeFileSync(keysFile, keys.join('\n') + '\n');
  const jvm = startTracked('java check', 'java',
    [...CLIENT_JVM, `-Duser.home=${dir}`, '-Duser.language=en', '-Drocketmq.client.logUseSlf4j=false',
      `-Drocketmq.client.logRoot=${path.join(dir, 'logs')}`, '-cp', cp, 'rocketmqts.controller.Load', 'check', namesrvAddr, topic, keysFile],
    { cwd: dir });
  const timer = setTimeout(() => void jvm.kill(), 60_000);
  const exit = await jvm.exited;
  clearTimeout(timer);
  const o = jvm.output;
  const num = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(o)?.[1] ?? NaN);
  if (exit.code !== 0 || Number.isNaN(num('MISSING'))) throw new Error(`check exited ${JSON.stringify(exit)}:\n${jvm.tail()}`);
  return { read: num('READ'), found: num('FOUND'), missing: num('MISSING'), missingKeys: [...o.matchAll(/^MISSING-KEY (\S+)$/gm)].map((m) => m[1]) };
}

/**
 * Creates topic on the master of a controller-mode group (slaves refuse topic changes: AdminBrokerProcessor
 * validateSlave) and waits until the NameServer routes it and every slave has it through SlaveSynchronize
 * (every 3 s in controller mode, ReplicasManager#handleSlaveSynchronize), so a new master has it at once.
 */
export async function createGroupTopic(namesrvAddr: string, controllerAddr: string, brokerName: string, brokers: Node[], topic: string): Promise<void> {
  const master = (await waitForReplicaInfo(controllerAddr, brokerName, (r) => r.masterAddress !== '', 60_000)).masterAddress;
  await createTopicOnBrokers(namesrvAddr, [master], topic, 4);
  const client = new RemotingClient();
  try {
    for (const b of brokers.filter((x) => x.addr !== master)) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await client.invoke(b.addr, createRequest(RequestCode.GET_ALL_TOPIC_CONFIG, {}), 5000);
        if (res.code === ResponseCode.SUCCESS && String(res.body).includes(`"${topic}"`)) break;
        if (Date.now() > deadline) throw new Error(`slave ${b.addr} never synchronised topic ${topic} from ${master}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.close();
  }
}
