/**
 * Starts the real Apache RocketMQ NameServer and broker (4.9.7: the newest 4.x server on Maven Central)
 * from Maven jars, on free loopback ports, in a temp dir: rocketmq.home.dir points at compat-tests/apache
 * (its conf/logback_*.xml, which 4.9.x requires, and JDK 17 needs the --add-opens flags below), user.home
 * at the temp dir (store, kvConfig, logs).
 * Same interface as startOurServer, for validating scenarios, mixed clusters and benchmarks.
 * No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { brokerPort, freePort } from '../../test/support/ports.js';
import { startTracked, toProperties, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, assertCleanStops, makeTempDir, removeDir, type RunningServer, type StopResult } from '../../test/support/server.js';

export const APACHE_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'apache');

export interface ApacheOptions {
  /** broker.conf keys overriding the defaults below. */
  brokerConf?: Record<string, string | number | boolean>;
  /** JVM flags for the broker; the defaults fit 2 cores and a few GiB. */
  brokerJvmArgs?: string[];
  readyTimeoutMs?: number;
}

const READY_TIMEOUT_MS_DEFAULT = 60_000;
/** The Java broker's shutdown hook flushes and unregisters; a few seconds normally. */
const STOP_GRACE_MS = 30_000;

/** Needed by the 4.9.x broker on JDK 17 (it reaches into NIO internals for mmap cleanup). */
const JDK17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
];
const NAMESRV_JVM = ['-Xms128m', '-Xmx256m'];
const BROKER_JVM = ['-Xms1g', '-Xmx1g', '-XX:MaxDirectMemorySize=1g'];

export function apacheClasspath(): Promise<string> {
  return mavenClasspath(APACHE_PROJECT_DIR, false);
}

export async function startApacheRocketMQ(options: ApacheOptions = {}): Promise<RunningServer> {
  const cp = await apacheClasspath();
  const dir = makeTempDir('rocketmq-ts-apache');
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const brokerName = 'broker-a';
  const namesrvConf = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(namesrvConf, toProperties({ listenPort: namesrvPort, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json') }));
  const brokerConf = path.join(dir, 'broker.conf');
  fs.writeFileSync(brokerConf, toProperties({
    brokerClusterName: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    namesrvAddr,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    listenPort,
    storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    enablePropertyFilter: true,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    transactionCheckInterval: 10_000,
    // Flow control: by default the broker answers SYSTEM_BUSY ("[TIMEOUT_CLEAN_QUEUE]broker busy") to a send
    // that waited 200 ms in its queue, or ("[PC_SYNCHRONIZED]") when a put holds the CommitLog lock 1 s. On a
    // loaded 2-core test machine that happens, and one-way sends are then silently lost. Tests judge
    // delivery, not flow control, so both are relaxed here; benchmarks may pass the defaults back.
    waitTimeMillsInSendQueue: 3000,
    osPageCacheBusyTimeOutMills: 5000,
    ...options.brokerConf,
  }));
  const common = [`-Drocketmq.home.dir=${APACHE_PROJECT_DIR}`, `-Duser.home=${dir}`, '-Duser.language=en', '-cp', cp];
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
  let namesrv: Tracked | undefined;
  let broker: Tracked | undefined;
  let earlier = '';

  const start = async () => {
    namesrv = startTracked('apache namesrv', 'java',
      [...NAMESRV_JVM, ...common, 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', namesrvConf], { cwd: dir });
    await namesrv.waitFor([/The Name Server boot success/], readyTimeoutMs);
    broker = startTracked('apache broker', 'java',
      [...(options.brokerJvmArgs ?? BROKER_JVM), ...JDK17_OPENS, ...common,
        'org.apache.rocketmq.broker.BrokerStartup', '-c', brokerConf, '-n', namesrvAddr], { cwd: dir });
    await broker.waitFor([new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${listenPort}\\] boot success`)], readyTimeoutMs);
  };
  const stop = async (): Promise<StopResult[]> => {
    const results: StopResult[] = [];
    // Broker first, so it unregisters from a NameServer that is still there.
    for (const p of [broker, namesrv]) {
      if (!p) continue;
      const r = await p.stop('SIGTERM', STOP_GRACE_MS);
      earlier += `--- ${p.name}\n${p.output}\n[exited ${JSON.stringify(r)}]\n`;
      results.push(r);
    }
    broker = namesrv = undefined;
    return results;
  };

  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kind: 'apache-4.9.7',
    namesrvAddr,
    brokerAddr: `127.0.0.1:${listenPort}`,
    dir,
    stop,
    async kill() {
      for (const p of [broker, namesrv]) if (p) await p.kill();
      earlier += (broker?.output ?? '') + (namesrv?.output ?? '') + '\n[SIGKILLed]\n';
      broker = namesrv = undefined;
    },
    async restart() {
      assertCleanStops('apache rocketmq', await stop(), earlier);
      await start();
    },
    async dispose() {
      await stop();
      removeDir(dir);
    },
    output: () => earlier + (namesrv ? `--- namesrv\n${namesrv.output}` : '') + (broker ? `--- broker\n${broker.output}` : ''),
  };
}
